using System.Reflection;
using LongJobs.Server;
using LongJobs.Server.Api;
using LongJobs.Server.Execution;
using LongJobs.Server.Kinds;
using LongJobs.Server.Notifications;
using LongJobs.Server.Security;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the LongJobs REST API.</summary>
public static class LongJobsEndpointRouteBuilderExtensions
{
    private static readonly MethodInfo MapKindMethod =
        typeof(LongJobsEndpointRouteBuilderExtensions).GetMethod(nameof(MapKind), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>
    /// Maps the jobs API under <paramref name="prefix"/>: for every registered kind <c>POST {prefix}/{kind}</c>
    /// (with <c>Prefer: wait=N</c> to answer with the end of a quick job), <c>POST {prefix}/{kind}/batch</c> (many jobs
    /// at once) and <c>GET {prefix}/{kind}/{id}</c>, and for
    /// all jobs <c>GET {prefix}/{id}</c> (with <c>?wait=N</c> long-poll and <c>If-None-Match</c>), <c>GET {prefix}/{id}/history</c>
    /// (its attempts and log),
    /// <c>POST {prefix}/{id}/cancel</c>, <c>DELETE {prefix}/{id}</c> (removes a finished job) and <c>GET {prefix}</c>.
    /// A job started by an authenticated user belongs to them (see <see cref="LongJobs.Server.Security.IJobOwnerResolver"/>);
    /// to require authentication, or a policy, for the whole API, call <c>RequireAuthorization</c> on the returned group.
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
        var access = services.GetRequiredService<JobAccess>();
        var waits = new JobWaits(services.GetRequiredService<IJobChangeFeed>(), access, options, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<IHostApplicationLifetime>());
        var api = new JobsApi(
            prefix.TrimEnd('/'),
            kinds,
            services.GetRequiredService<IJobRecords>(),
            services.GetRequiredService<IJobHistory>(),
            services.GetRequiredService<IJobScheduler>(),
            services.GetRequiredService<IRegisteredJobStarter>(),
            access,
            options,
            waits,
            services.GetRequiredService<JobNotFound>(),
            [.. services.GetServices<INotificationChannel>()],
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger<JobsApi>());

        var group = endpoints.MapGroup(prefix)
            .WithTags("Jobs")
            .AddEndpointFilter<BindingFailureFilter>()
            .AddEndpointFilter(new RetryLaterFilter(options))
            .AddEndpointFilter(new OwnerIdentifierFilter(access));

        foreach (var kind in kinds.Kinds.OrderBy(kind => kind.Name, StringComparer.Ordinal))
        {
            MapKindMethod.MakeGenericMethod(kind.RequestType, kind.ResultType).Invoke(null, [group, api, kind]);
        }

        group.MapPost("/{kind}", api.Unmatched)
            .ExcludeFromDescription();

        group.MapPost("/{kind}/batch", api.Unmatched)
            .ExcludeFromDescription();

        group.MapGet("/{id}", api.GetAsync)
            .WithName("GetJob")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{id}/history", api.GetHistoryAsync)
            .WithName("GetJobHistory")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        var events = services.GetRequiredService<JobEventStreams>();
        group.MapGet("/{id}/events", events.StreamJobAsync)
            .WithName("StreamJobEvents")
            .ExcludeFromDescription();

        group.MapGet("/events", events.StreamAllAsync)
            .WithName("StreamAllJobEvents")
            .ExcludeFromDescription();

        group.MapPost("/{id}/cancel", api.CancelAsync)
            .WithName("CancelJob")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{id}/retry", api.RetryAsync)
            .WithName("RetryJob")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapDelete("/{id}", api.DeleteAsync)
            .WithName("DeleteJob")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/", api.ListAsync)
            .WithName("ListJobs")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapGet("/kinds", api.ListKindsAsync)
            .WithName("ListJobKinds")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost("/kinds/{kind}/pause", api.PauseKindAsync)
            .WithName("PauseJobKind")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost("/kinds/{kind}/resume", api.ResumeKindAsync)
            .WithName("ResumeJobKind")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/schedules", api.ListSchedulesAsync)
            .WithName("ListJobSchedules")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost("/schedules/{name}/pause", api.PauseScheduleAsync)
            .WithName("PauseJobSchedule")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost("/schedules/{name}/resume", api.ResumeScheduleAsync)
            .WithName("ResumeJobSchedule")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        return group;
    }

    private static void MapKind<TRequest, TResult>(RouteGroupBuilder group, JobsApi api, JobKind kind)
        where TRequest : notnull
        where TResult : class
    {
        var operation = kind.OperationName;
        var endpoints = new JobKindEndpoints<TRequest, TResult>(api, kind);

        // NSwag takes each operation's summary, description and responses from its handler's XML documentation, the
        // same for every kind; the summaries here name the kind for tools that read endpoint metadata.

        group.MapPost($"/{kind.Name}", endpoints.StartAsync)
            .WithName($"Start{operation}Job")
            .WithSummary($"Starts a '{kind.Name}' job.")
            .Accepts<TRequest>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost($"/{kind.Name}/batch", endpoints.StartBatchAsync)
            .WithName($"Start{operation}Jobs")
            .WithSummary($"Starts many '{kind.Name}' jobs.")
            .Accepts<IReadOnlyList<JobBatchItem<TRequest>>>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet($"/{kind.Name}/{{id}}", endpoints.GetAsync)
            .WithName($"Get{operation}Job")
            .WithSummary($"Gets a '{kind.Name}' job with its typed result, or waits for its next change.")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }
}
