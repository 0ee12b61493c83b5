using LongJobs.Server;
using LongJobs.Server.Api;
using LongJobs.Server.Dashboard;
using LongJobs.Server.Execution;
using LongJobs.Server.Kinds;
using LongJobs.Server.Notifications;
using LongJobs.Server.Security;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the LongJobs dashboard.</summary>
public static class LongJobsDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the jobs dashboard at <paramref name="pattern"/>, open to anyone: allowed only in the Development environment.
    /// Elsewhere, use the overload with options and set <see cref="LongJobsDashboardOptions.ViewerPolicy"/>.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The dashboard's path.</param>
    /// <returns>The dashboard's route group, to add conventions.</returns>
    /// <exception cref="InvalidOperationException"><c>AddLongJobs</c> was not called, or the environment is not Development.</exception>
    public static IEndpointConventionBuilder MapLongJobsDashboard(this IEndpointRouteBuilder endpoints, string pattern) =>
        endpoints.MapLongJobsDashboard(pattern, static _ => { });

    /// <summary>
    /// Maps the jobs dashboard at <paramref name="pattern"/>: an overview, the job list with filters, each job's
    /// detail, live by server-sent events, and cancel for operators. Its page, script and style sheet are embedded in
    /// this assembly. It shows a caller the jobs the jobs API (<c>MapLongJobs</c>) shows them. Outside the Development
    /// environment it needs <see cref="LongJobsDashboardOptions.ViewerPolicy"/>, or
    /// <see cref="LongJobsDashboardOptions.AllowAnonymous"/>.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The dashboard's path.</param>
    /// <param name="configure">Sets who may view and who may act.</param>
    /// <returns>The dashboard's route group, to add conventions.</returns>
    /// <exception cref="InvalidOperationException">
    /// <c>AddLongJobs</c> was not called; or outside Development, neither a viewer policy nor anonymous access was set;
    /// or a policy was set without <c>AddAuthorization</c>.
    /// </exception>
    public static IEndpointConventionBuilder MapLongJobsDashboard(this IEndpointRouteBuilder endpoints, string pattern, Action<LongJobsDashboardOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentNullException.ThrowIfNull(configure);

        var services = endpoints.ServiceProvider;
        var kinds = services.GetService<JobKindRegistry>() ?? throw new InvalidOperationException(
            "LongJobs services are missing: call 'builder.Services.AddLongJobs()' before 'app.MapLongJobsDashboard()'.");
        var options = new LongJobsDashboardOptions();
        configure(options);

        var environment = services.GetRequiredService<IHostEnvironment>();
        if (options.ViewerPolicy is null && !options.AllowAnonymous && !environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                $"The jobs dashboard at '{pattern}' shows jobs to anyone who reaches it, and the environment is '{environment.EnvironmentName}', not Development: "
                + "set an authorization policy, app.MapLongJobsDashboard(\"/jobs\", options => options.ViewerPolicy = \"...\") (with OperatorPolicy for who may cancel), "
                + "or, if something else guards the path, set options.AllowAnonymous = true.");
        }

        var authorization = services.GetService<IAuthorizationService>();
        if ((options.ViewerPolicy ?? options.OperatorPolicy) is { } policy && authorization is null)
        {
            throw new InvalidOperationException(
                $"The jobs dashboard's policy '{policy}' needs authorization services: call 'builder.Services.AddAuthorization()' and register the policy.");
        }

        // A misspelt policy would otherwise fail every request to the dashboard; the default provider answers at once.
        var policies = services.GetService<IAuthorizationPolicyProvider>();
        foreach (var name in new[] { options.ViewerPolicy, options.OperatorPolicy }.OfType<string>())
        {
            if (policies is not null && policies.GetPolicyAsync(name).GetAwaiter().GetResult() is null)
            {
                throw new InvalidOperationException(
                    $"The jobs dashboard's policy '{name}' is not registered: add it with 'builder.Services.AddAuthorization(options => options.AddPolicy(\"{name}\", ...))'.");
            }
        }

        var dashboard = new DashboardEndpoints(
            options,
            services.GetRequiredService<JobLinks>(),
            kinds,
            services.GetRequiredService<IJobRecords>(),
            services.GetRequiredService<IQueuedJobs>(),
            services.GetRequiredService<IJobStatistics>(),
            services.GetRequiredService<IJobNodes>(),
            services.GetRequiredService<IJobScheduler>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<JobAccess>(),
            services.GetRequiredService<JobNotFound>(),
            services.GetRequiredService<IAntiforgery>(),
            authorization);

        var group = endpoints.MapGroup(pattern)
            .ExcludeFromDescription()
            .AddEndpointFilter<BindingFailureFilter>()
            .AddEndpointFilter(new RetryLaterFilter(services.GetRequiredService<IOptions<LongJobsOptions>>().Value))
            .AddEndpointFilter(new OwnerIdentifierFilter(services.GetRequiredService<JobAccess>()));
        if (options.ViewerPolicy is { } viewers)
        {
            group.RequireAuthorization(viewers);
        }

        // As a Delegate: a handler taking only the HttpContext would otherwise bind as a RequestDelegate, its result discarded.
        group.MapGet("/", (Delegate)dashboard.PageAsync);

        group.MapGet("/_assets/{file}", DashboardEndpoints.Asset);

        group.MapGet("/_api/overview", dashboard.OverviewAsync);

        group.MapGet("/_api/jobs/{id}/request", dashboard.RequestAsync)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/_api/jobs/{id}/cancel", dashboard.CancelAsync)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/_api/jobs/{id}/retry", dashboard.RetryAsync)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/_api/kinds/{kind}/pause", dashboard.PauseKindAsync)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/_api/kinds/{kind}/resume", dashboard.ResumeKindAsync)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/_api/schedules/{name}/pause", dashboard.PauseScheduleAsync)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/_api/schedules/{name}/resume", dashboard.ResumeScheduleAsync)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }
}
