using LongJobs.Sample.Jobs;
using LongJobs.Server;
using LongJobs.Server.Execution;
using LongJobs.Server.Observability;
using NSwag;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var builder = WebApplication.CreateBuilder(args);

var jobs = builder.Services
    .AddLongJobs(options => builder.Configuration.GetSection("LongJobs").Bind(options))
    .AddJob<SleepJob, SleepRequest, SleepResult>("sleep")
    .AddJob<FailJob, FailRequest, SleepResult>("fail")
    .AddJob<PrimesJob, PrimesRequest, PrimesResult>("primes")
    // One report at a time per customer: a start while one is unfinished answers with it (LongJobs-Deduplicated). With
    // "Sample:NightlyReport" (a cron expression, UTC), a report of every customer runs on that schedule, once per
    // occurrence however many servers share the store.
    .AddJob<ReportJob, ReportRequest, ReportResult>("report", kind =>
    {
        kind.UniqueBy<ReportRequest>(request => request.CustomerId);
        if (builder.Configuration["Sample:NightlyReport"] is { Length: > 0 } nightly)
        {
            kind.AddSchedule("nightly-report", nightly, new ReportRequest { CustomerId = "all-customers", Seconds = 5 });
        }
    });

// "LongJobs:Store": InMemory (the default) or PostgreSql, with the connection string "ConnectionStrings:LongJobs"
// and the store's options in "LongJobs:PostgreSql" (Schema, LeaseDuration, HeartbeatInterval, NodeName).
switch (builder.Configuration["LongJobs:Store"] ?? "InMemory")
{
    case var store when store.Equals("PostgreSql", StringComparison.OrdinalIgnoreCase):
        jobs.UsePostgreSql(
            builder.Configuration.GetConnectionString("LongJobs")
                ?? throw new InvalidOperationException("LongJobs:Store is PostgreSql: set the connection string 'ConnectionStrings:LongJobs'."),
            options => builder.Configuration.GetSection("LongJobs:PostgreSql").Bind(options));
        break;
    case var store when store.Equals("InMemory", StringComparison.OrdinalIgnoreCase):
        break;
    case var store:
        throw new InvalidOperationException($"LongJobs:Store '{store}' is unknown: use InMemory or PostgreSql.");
}

// "LongJobs:Webhooks": the hosts that may receive webhooks, and the key that signs them. The sample's receivers run
// on this machine, so plain http and loopback addresses are allowed in Development; anywhere else webhooks need https
// and public addresses.
jobs.AddWebhooks(options =>
{
    options.AllowHttp = options.AllowPrivateNetworks = builder.Environment.IsDevelopment();
    builder.Configuration.GetSection("LongJobs:Webhooks").Bind(options);
});

// "LongJobs:Email" with a Host lets jobs ask for an email when they finish (header LongJobs-Notify-Email): Port,
// Security, UserName, Password, From, AllowedRecipientDomains; it needs "LongJobs:PublicBaseUrl". Absent by default.
var email = builder.Configuration.GetSection("LongJobs:Email");
if (email["Host"] is not null)
{
    jobs.AddEmail(options => email.Bind(options));
}

// Metrics at /metrics (Prometheus text format) and health at /health; "Telemetry:ConsoleTraces": true also prints
// every job's run (and every request) as a trace to the console.
builder.Services.AddOpenTelemetry()
    .WithMetrics(metrics => metrics.AddMeter(LongJobsTelemetry.MeterName).AddPrometheusExporter())
    .WithTracing(tracing =>
    {
        tracing.AddSource(LongJobsTelemetry.ActivitySourceName, "Microsoft.AspNetCore");
        if (builder.Configuration.GetValue<bool>("Telemetry:ConsoleTraces"))
        {
            tracing.AddConsoleExporter();
        }
    });

// The OpenAPI document, written at build time to obj/openapi/openapi.json and served at /swagger/v1/swagger.json. What
// LongJobs leaves to the app is set here: the sample's API is MIT-licensed and open to anyone (one empty security
// requirement: no authentication).
builder.Services.AddLongJobsOpenApiDocument(document =>
{
    document.Title = "LongJobs sample";
    document.Description = "Start long-running jobs, follow them, await their typed results.";
    document.PostProcess = openApi =>
    {
        openApi.Info.License = new OpenApiLicense { Name = "MIT", Url = "https://opensource.org/licenses/MIT" };
        openApi.Security = [new OpenApiSecurityRequirement()];
    };
});

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

// The document as generated, without the request's host in "servers": the live document equals the one written at build
// time, and clients call relative to where they fetched it.
app.UseLongJobsOpenApi();
app.UseSwaggerUi();

app.MapLongJobs();

// The jobs dashboard at /jobs (the root redirects there). The sample has no users, and its API is open to anyone: so is
// its dashboard, in any environment. An app with users sets options.ViewerPolicy (and OperatorPolicy for who may
// cancel) instead; outside Development, mapping without either refuses to start.
app.MapLongJobsDashboard("/jobs", options => options.AllowAnonymous = true);
app.MapGet("/", () => Results.Redirect("jobs/")).ExcludeFromDescription();
app.MapHealthChecks("/health");
app.MapPrometheusScrapingEndpoint();

// The original article's style: an ad-hoc job started from any endpoint, with a continuation.
app.MapPost("/api/countdown/{seconds:int}", async (int seconds, IJobScheduler jobs, TimeProvider time, ILogger<Program> logger) =>
    {
        if (seconds is < 1 or > 3600)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["seconds"] = ["The value must be from 1 to 3600."] });
        }

        var job = await jobs.StartAsync("countdown", async (context, cancellationToken) =>
        {
            for (var left = seconds; left > 0; left--)
            {
                await context.ReportProgressAsync((double)(seconds - left) / seconds, $"{left} s to go", cancellationToken);
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            }

            return seconds;
        });
        _ = job.Task.ContinueWith(task => logger.LogInformation("Countdown {JobId} ended: {Status}", job.Id, task.Status), TaskScheduler.Default);
        return Results.Accepted($"/api/jobs/{job.Id}", new { job.Id });
    })
    .WithName("StartCountdown")
    .WithSummary("Starts an ad-hoc countdown job, as in the original article.")
    .ExcludeFromDescription();

app.Run();
