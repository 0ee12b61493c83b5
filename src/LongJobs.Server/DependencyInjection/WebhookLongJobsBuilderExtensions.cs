using LongJobs.Server.Notifications;
using LongJobs.Server.Notifications.Webhooks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Sends webhooks when jobs finish.</summary>
public static class WebhookLongJobsBuilderExtensions
{
    /// <summary>
    /// Lets a job be started with a <c>LongJobs-Callback-Url</c> header: when it finishes, the server that finished it
    /// POSTs the job's final state to that URL, signed with HMAC-SHA256 (Standard Webhooks), retrying failures. URLs
    /// whose host is not on <see cref="WebhookOptions.AllowedHosts"/> are refused with 400 when the job is started.
    /// </summary>
    /// <param name="builder">The builder from <c>AddLongJobs</c>.</param>
    /// <param name="configure">Sets the options, at least <see cref="WebhookOptions.AllowedHosts"/> and <see cref="WebhookOptions.SigningKey"/>; they are validated when the host starts.</param>
    /// <returns>The same builder.</returns>
    public static LongJobsBuilder AddWebhooks(this LongJobsBuilder builder, Action<WebhookOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        builder.Services.AddOptions<WebhookOptions>().Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>());

        // Redirects are not followed: one could lead to a host that is not allowed. Host names that resolve inside the
        // network are refused when connecting (DNS rebinding). Each attempt's timeout is Polly's.
        // The channel logs every attempt with the receiver's host only (the URL's path may hold a secret).
        builder.Services.AddHttpClient(WebhookChannel.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static services => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                ConnectCallback = PrivateNetworkGuard.ConnectCallback(services.GetRequiredService<IOptions<WebhookOptions>>().Value),
            })
            .RemoveAllLoggers();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, WebhookChannel>());
        return builder;
    }
}
