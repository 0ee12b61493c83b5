using LongJobs.Client;
using LongJobs.Client.Resilience;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers LongJobs clients with <see cref="IHttpClientFactory"/>.</summary>
public static class LongJobsClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="LongJobsClient"/>, the calls every LongJobs server answers, on a named
    /// <see cref="HttpClient"/> (<see cref="LongJobsClient.HttpClientName"/>) with the retry pipeline.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the server's address and the retry and waiting behaviour.</param>
    /// <returns>The HTTP client's builder, to add handlers such as authentication.</returns>
    public static IHttpClientBuilder AddLongJobsClient(this IServiceCollection services, Action<LongJobsClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddLongJobsClientCore<LongJobsClient>(LongJobsClient.HttpClientName, configure);
    }

    /// <summary>
    /// Registers <typeparamref name="TClient"/>, a client generated for one server (an item
    /// <c>&lt;LongJobsClient Include="…" ClassName="…" /&gt;</c>), on a <see cref="HttpClient"/> of its own with the
    /// retry pipeline. Each client type has its own options, so one app can use several servers.
    /// </summary>
    /// <typeparam name="TClient">The generated client.</typeparam>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the server's address and the retry and waiting behaviour.</param>
    /// <returns>The HTTP client's builder (named after <typeparamref name="TClient"/>), to add handlers such as authentication.</returns>
    public static IHttpClientBuilder AddLongJobsClient<TClient>(this IServiceCollection services, Action<LongJobsClientOptions> configure)
        where TClient : LongJobsClient
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddLongJobsClientCore<TClient>(typeof(TClient).FullName ?? typeof(TClient).Name, configure);
    }

    /// <summary>
    /// Adds the LongJobs retry pipeline to an HTTP client, for example to a client of your own for a LongJobs server.
    /// Its settings are the <see cref="LongJobsClientOptions"/> named after the HTTP client (set them with the overload
    /// that takes <c>configure</c>, or <c>services.ConfigureAll&lt;LongJobsClientOptions&gt;</c>); each attempt has its
    /// own <see cref="LongJobsClientOptions.AttemptTimeout"/>, so the client's <see cref="HttpClient.Timeout"/> is set
    /// to <see cref="Timeout.InfiniteTimeSpan"/>.
    /// </summary>
    /// <param name="builder">The HTTP client's builder.</param>
    /// <returns>The same builder.</returns>
    public static IHttpClientBuilder AddLongJobsResilience(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var name = builder.Name;
        builder.Services.AddOptions<LongJobsClientOptions>(name).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LongJobsClientOptions>, LongJobsClientOptionsValidator>());

        // The whole call, retries and backoff included, has no timeout; a long-poll would otherwise hit the default 100 s.
        return builder
            .ConfigureHttpClient(httpClient => httpClient.Timeout = Timeout.InfiniteTimeSpan)
            .AddHttpMessageHandler(provider => new LongJobsResilienceHandler(provider.GetRequiredService<IOptionsMonitor<LongJobsClientOptions>>().Get(name)));
    }

    /// <summary>Adds the LongJobs retry pipeline to an HTTP client, with its settings.</summary>
    /// <param name="builder">The HTTP client's builder.</param>
    /// <param name="configure">Sets the retry behaviour, in the options named after the HTTP client.</param>
    /// <returns>The same builder.</returns>
    public static IHttpClientBuilder AddLongJobsResilience(this IHttpClientBuilder builder, Action<LongJobsClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(builder.Name, configure);
        return builder.AddLongJobsResilience();
    }

    /// <summary>
    /// Registers <typeparamref name="TClient"/> (unless the app registered one) on the HTTP client <paramref name="name"/>,
    /// with the options of that name and the retry pipeline.
    /// </summary>
    private static IHttpClientBuilder AddLongJobsClientCore<TClient>(this IServiceCollection services, string name, Action<LongJobsClientOptions> configure)
        where TClient : LongJobsClient
    {
        services.Configure(name, configure);
        services.TryAddTransient(provider => ActivatorUtilities.CreateInstance<TClient>(
            provider,
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(name),
            provider.GetRequiredService<IOptionsMonitor<LongJobsClientOptions>>().Get(name)));
        return services.AddHttpClient(name)
            .ConfigureHttpClient((provider, httpClient) =>
            {
                var options = provider.GetRequiredService<IOptionsMonitor<LongJobsClientOptions>>().Get(name);
                if (options.BaseAddress is { } address)
                {
                    httpClient.BaseAddress = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
                }
            })
            .AddLongJobsResilience();
    }
}

/// <summary>Checks every <see cref="LongJobsClientOptions"/> limit and the rules that span fields, and reports all violations at once.</summary>
internal sealed class LongJobsClientOptionsValidator : IValidateOptions<LongJobsClientOptions>
{
    private readonly LongJobsClientOptionsLimitsValidator _limits = new();

    public ValidateOptionsResult Validate(string? name, LongJobsClientOptions options)
    {
        var result = new ValidateOptionsResultBuilder();
        result.AddResult(_limits.Validate(name, options));
        if (options.AttemptTimeout <= options.LongPollWait)
        {
            result.AddError(
                $"{nameof(LongJobsClientOptions.AttemptTimeout)} ({options.AttemptTimeout}) must exceed {nameof(LongJobsClientOptions.LongPollWait)} ({options.LongPollWait}), or every long-poll times out.",
                nameof(LongJobsClientOptions.AttemptTimeout));
        }

        if (options.AttemptTimeout <= options.StartWait)
        {
            result.AddError(
                $"{nameof(LongJobsClientOptions.AttemptTimeout)} ({options.AttemptTimeout}) must exceed {nameof(LongJobsClientOptions.StartWait)} ({options.StartWait}), or a run's start times out.",
                nameof(LongJobsClientOptions.AttemptTimeout));
        }

        if (options.RetryDelay > options.MaxRetryDelay)
        {
            result.AddError(
                $"{nameof(LongJobsClientOptions.RetryDelay)} ({options.RetryDelay}) must not exceed {nameof(LongJobsClientOptions.MaxRetryDelay)} ({options.MaxRetryDelay}).",
                nameof(LongJobsClientOptions.RetryDelay));
        }

        if (options.PollingInterval > options.MaxPollingInterval)
        {
            result.AddError(
                $"{nameof(LongJobsClientOptions.PollingInterval)} ({options.PollingInterval}) must not exceed {nameof(LongJobsClientOptions.MaxPollingInterval)} ({options.MaxPollingInterval}).",
                nameof(LongJobsClientOptions.PollingInterval));
        }

        if (options.LongPollWait == TimeSpan.Zero && options.PollingInterval == TimeSpan.Zero)
        {
            result.AddError(
                $"{nameof(LongJobsClientOptions.LongPollWait)} and {nameof(LongJobsClientOptions.PollingInterval)} are both zero: waiting would be a busy poll. Set one of them.",
                nameof(LongJobsClientOptions.PollingInterval));
        }

        return result.Build();
    }
}

/// <summary>Checks the limits declared on <see cref="LongJobsClientOptions"/>' properties.</summary>
[OptionsValidator]
internal sealed partial class LongJobsClientOptionsLimitsValidator : IValidateOptions<LongJobsClientOptions>;
