using LongJobs.Client;
using LongJobs.ClientSample.Api;
using Microsoft.Extensions.DependencyInjection;

// Usage: dotnet run --project samples/LongJobs.ClientSample [server-url] [below]
var server = new Uri(args.Length > 0 ? args[0] : "http://localhost:5080/");
var below = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000_000;

await using var services = new ServiceCollection()
    .AddLongJobsClient<SampleJobsClient>(options => options.BaseAddress = server)
    .Services.BuildServiceProvider();
var jobs = services.GetRequiredService<SampleJobsClient>();

Console.WriteLine($"Counting the primes below {below:N0}...");
var progress = new Progress<JobProgress>(p => Console.WriteLine($"  {p.Status,-9} {p.Fraction,4:P0} {p.Message}"));
PrimesResult result = await jobs.RunPrimesJobAsync(new PrimesRequest { Below = below }, progress);
Console.WriteLine($"{result.Count:N0} primes below {result.Below:N0}; the largest is {result.Largest:N0}.");
