using LongJobs.Client;
using LongJobs.Client.Resilience;
using LongJobs.Client.Sample;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the LongJobs client with <see cref="IHttpClientFactory"/>.</summary>
public static class LongJobsClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="LongJobsClient"/> and the generated <see cref="SampleJobsClient"/> on one named
    /// <see cref="HttpClient"/> with the retry pipeline.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the server's address and the retry and waiting behaviour.</param>
    /// <returns>The HTTP client's builder, to add handlers such as authentication.</returns>
    public static IHttpClientBuilder AddLongJobsClient(this IServiceCollection services, Action<LongJobsClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<LongJobsClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LongJobsClientOptions>, LongJobsClientOptionsValidator>());
        services.TryAddTransient(provider => new LongJobsClient(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(LongJobsClient.HttpClientName),
            provider.GetRequiredService<IOptions<LongJobsClientOptions>>().Value));
        services.TryAddTransient(provider => new SampleJobsClient(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(LongJobsClient.HttpClientName)));
        services.TryAddTransient<ISampleJobsClient>(provider => provider.GetRequiredService<SampleJobsClient>());

        return services.AddHttpClient(LongJobsClient.HttpClientName)
            .ConfigureHttpClient((provider, httpClient) =>
            {
                var options = provider.GetRequiredService<IOptions<LongJobsClientOptions>>().Value;
                if (options.BaseAddress is { } address)
                {
                    httpClient.BaseAddress = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
                }
            })
            .AddLongJobsResilience();
    }

    /// <summary>
    /// Adds the LongJobs retry pipeline to an HTTP client, for example to the typed client you generated for your
    /// own LongJobs server. Its settings come from <see cref="LongJobsClientOptions"/>; each attempt has its own
    /// <see cref="LongJobsClientOptions.AttemptTimeout"/>, so the client's <see cref="HttpClient.Timeout"/> is set to
    /// <see cref="Timeout.InfiniteTimeSpan"/>.
    /// </summary>
    /// <param name="builder">The HTTP client's builder.</param>
    /// <returns>The same builder.</returns>
    public static IHttpClientBuilder AddLongJobsResilience(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<LongJobsClientOptions>().ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LongJobsClientOptions>, LongJobsClientOptionsValidator>());

        // The whole call, retries and backoff included, has no timeout; a long-poll would otherwise hit the default 100 s.
        return builder
            .ConfigureHttpClient(httpClient => httpClient.Timeout = Timeout.InfiniteTimeSpan)
            .AddHttpMessageHandler(provider => new LongJobsResilienceHandler(provider.GetRequiredService<IOptions<LongJobsClientOptions>>().Value));
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
