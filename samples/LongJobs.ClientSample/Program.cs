using LongJobs.Client;
using LongJobs.Client.Sample;
using Microsoft.Extensions.DependencyInjection;

// Usage: dotnet run --project samples/LongJobs.ClientSample [server-url] [below]
var server = new Uri(args.Length > 0 ? args[0] : "http://localhost:5080/");
var below = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000_000;

using var services = new ServiceCollection()
    .AddLongJobsClient(options => options.BaseAddress = server)
    .Services.BuildServiceProvider();
var api = services.GetRequiredService<SampleJobsClient>();
var jobs = services.GetRequiredService<LongJobsClient>();

var accepted = await api.StartPrimesJobAsync(new PrimesRequest { Below = below });
Console.WriteLine($"Started job {accepted.Id}; waiting for its result...");
PrimesResult result = await jobs.GetOperation<PrimesResult>(accepted.Id).WaitForCompletionAsync();
Console.WriteLine($"{result.Count:N0} primes below {result.Below:N0}; the largest is {result.Largest:N0}.");
