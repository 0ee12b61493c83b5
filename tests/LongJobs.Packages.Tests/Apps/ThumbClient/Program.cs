using LongJobs.Client;
using Microsoft.Extensions.DependencyInjection;
using ThumbClient.Api;

var services = new ServiceCollection();
services.AddLongJobsClient<ThumbJobsClient>(options => options.BaseAddress = new Uri(args[0]));
await using var provider = services.BuildServiceProvider();
var thumbs = provider.GetRequiredService<ThumbJobsClient>();

var progress = new Progress<JobProgress>(p => Console.WriteLine($"progress: {p.Status} {p.Fraction:0.00} {p.Message}"));
ThumbnailResult result = await thumbs.RunThumbnailJobAsync(new ThumbnailRequest { Url = new Uri("https://example.com/cat.png"), Width = 320 }, progress);
Console.WriteLine($"result: {result.Url} {result.Width}x{result.Height}");
