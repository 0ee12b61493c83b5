using System.Globalization;
using System.Reflection;
using LongJobs.Server;
using LongJobs.Server.Api;
using LongJobs.Server.Execution;
using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;
using LongJobs.Server.Notifications;
using LongJobs.Server.Security;
using LongJobs.Server.Storage;
using System.ComponentModel;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the LongJobs REST API.</summary>
public static class LongJobsEndpointRouteBuilderExtensions
{
    private static readonly MethodInfo MapKindMethod =
        typeof(LongJobsEndpointRouteBuilderExtensions).GetMethod(nameof(MapKind), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>
    /// Maps the jobs API under <paramref name="prefix"/>: for every registered kind <c>POST {prefix}/{kind}</c>
    /// and <c>GET {prefix}/{kind}/{id}</c>, and for all jobs <c>GET {prefix}/{id}</c> (with <c>?wait=N</c>
    /// long-poll), <c>DELETE {prefix}/{id}</c> and <c>GET {prefix}</c>. A job started by an authenticated user
    /// belongs to them (see <see cref="LongJobs.Server.Security.IJobOwnerResolver"/>); to require authentication, or
    /// a policy, for the whole API, call <c>RequireAuthorization</c> on the returned group.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="prefix">The route prefix.</param>
    /// <returns>The route group, to add conventions such as authorization.</returns>
    /// <exception cref="InvalidOperationException"><c>AddLongJobs</c> was not called.</exception>
    public static RouteGroupBuilder MapLongJobs(this IEndpointRouteBuilder endpoints, string prefix = "/api/jobs")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(prefix);

        var services = endpoints.ServiceProvider;
        var kinds = services.GetService<JobKindRegistry>() ?? throw new InvalidOperationException(
            "LongJobs services are missing: call 'builder.Services.AddLongJobs()' before 'app.MapLongJobs()'.");
        var options = services.GetRequiredService<IOptions<LongJobsOptions>>().Value;
        services.GetRequiredService<JobLinks>().Prefix = prefix.TrimEnd('/');
        var api = new JobsApi(
            prefix.TrimEnd('/'),
            kinds,
            services.GetRequiredService<IJobStore>(),
            services.GetRequiredService<JobScheduler>(),
            services.GetRequiredService<JobAccess>(),
            options,
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<IHostApplicationLifetime>(),
            [.. services.GetServices<INotificationChannel>()]);

        var group = endpoints.MapGroup(prefix)
            .WithTags("Jobs")
            .AddEndpointFilter<BindingFailureFilter>()
            .AddEndpointFilter(new RetryLaterFilter(options));

        foreach (var kind in kinds.Kinds.OrderBy(kind => kind.Name, StringComparer.Ordinal))
        {
            MapKindMethod.MakeGenericMethod(kind.RequestType, kind.ResultType).Invoke(null, [group, api, kind]);
        }

        group.MapPost("/{kind}", (string kind) => api.Unmatched(kind))
            .ExcludeFromDescription();

        group.MapGet("/{id}", (Guid id, int? wait, HttpContext context, CancellationToken cancellationToken) => api.GetAsync(id, wait, context, cancellationToken))
            .WithName("GetJob")
            .WithSummary("Gets a job's state.")
            .WithDescription($"With 'wait' (seconds, at most {JobsApi.MaxWaitSeconds}) or 'Prefer: wait=N', answers as soon as the job finishes or when the wait is over. 'Retry-After' suggests when to ask again while the job is unfinished.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var events = services.GetRequiredService<JobEventStreams>();
        group.MapGet("/{id}/events", (Guid id, HttpContext context, CancellationToken cancellationToken) => events.StreamJobAsync(id, context, cancellationToken))
            .WithName("StreamJobEvents")
            .ExcludeFromDescription();

        group.MapGet("/events", (string? kind, HttpContext context, CancellationToken cancellationToken) => events.StreamAllAsync(kind, context, cancellationToken))
            .WithName("StreamAllJobEvents")
            .ExcludeFromDescription();

        group.MapDelete("/{id}", (Guid id, HttpContext context, CancellationToken cancellationToken) => api.CancelAsync(id, context, cancellationToken))
            .WithName("CancelJob")
            .WithSummary("Asks a job to stop.")
            .WithDescription("A queued job is cancelled at once; a running job is signalled and ends Canceled when it honours the signal. Cancelling a finished job changes nothing.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/", (JobStatus? status, string? kind, int? pageSize, string? pageToken, HttpContext context, CancellationToken cancellationToken) =>
                api.ListAsync(status, kind, pageSize, pageToken, context, cancellationToken))
            .WithName("ListJobs")
            .WithSummary("Lists jobs, newest first.");

        return group;
    }

    private static void MapKind<TRequest, TResult>(RouteGroupBuilder group, JobsApi api, JobKind kind)
        where TRequest : notnull
        where TResult : class
    {
        var operation = kind.OperationName;

        group.MapPost($"/{kind.Name}", (
                    [FromHeader(Name = JobsApi.CallbackUrlHeader), Description("An absolute URL to POST the job's final state to when it finishes (a webhook signed with HMAC-SHA256); its host must be on the server's allow-list.")] string? callbackUrl,
                    [FromHeader(Name = JobsApi.NotifyEmailHeader), Description("An email address to tell when the job finishes; it must be allowed by the server's recipient rules.")] string? notifyEmail,
                    HttpContext context,
                    CancellationToken cancellationToken) =>
                api.StartAsync<TRequest>(kind, context, cancellationToken))
            .WithName($"Start{operation}Job")
            .WithSummary($"Starts a '{kind.Name}' job.")
            .WithDescription($"Answers 202 Accepted at once, with the job's status URL in 'Location'. With an 'Idempotency-Key' header, repeating the request (same key, same body) answers with the same job instead of starting another; the same key with another body is 422. '{JobsApi.CallbackUrlHeader}' and '{JobsApi.NotifyEmailHeader}' ask for a webhook and an email when the job finishes.")
            .Accepts<TRequest>("application/json")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet($"/{kind.Name}/{{id}}", (Guid id, int? wait, HttpContext context, CancellationToken cancellationToken) =>
                api.GetTypedAsync<TResult>(kind, id, wait, context, cancellationToken))
            .WithName($"Get{operation}Job")
            .WithSummary($"Gets a '{kind.Name}' job's state with its typed result.")
            .WithDescription($"With 'wait' (seconds, at most {JobsApi.MaxWaitSeconds}) or 'Prefer: wait=N', answers as soon as the job finishes or when the wait is over.")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }
}
