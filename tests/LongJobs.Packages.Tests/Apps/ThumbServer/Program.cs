using System.ComponentModel.DataAnnotations;
using LongJobs.Server.Jobs;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddLongJobs().AddJob<ThumbnailJob, ThumbnailRequest, ThumbnailResult>("thumbnail");
builder.Services.AddLongJobsOpenApiDocument(document => document.Title = "Thumbs");

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseLongJobsOpenApi();
app.MapLongJobs();
app.Run();

public sealed record ThumbnailRequest([property: Required, Url] string Url, [property: Range(16, 4096)] int Width);

public sealed record ThumbnailResult(string Url, int Width, int Height);

public sealed class ThumbnailJob : IJobHandler<ThumbnailRequest, ThumbnailResult>
{
    public async Task<ThumbnailResult> ExecuteAsync(ThumbnailRequest request, JobContext context, CancellationToken cancellationToken)
    {
        for (var step = 1; step <= 4; step++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(400), cancellationToken);   // the work: fetch, decode, resize, encode
            await context.ReportProgressAsync(step / 4.0, $"Step {step} of 4", cancellationToken);
        }

        return new ThumbnailResult(request.Url + "?w=" + request.Width, request.Width, request.Width * 3 / 4);
    }
}
