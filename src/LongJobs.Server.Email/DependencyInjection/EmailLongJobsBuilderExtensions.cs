using LongJobs.Server;
using LongJobs.Server.Notifications;
using LongJobs.Server.Notifications.Email;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Sends email notifications of finished jobs.</summary>
public static class EmailLongJobsBuilderExtensions
{
    /// <summary>
    /// Lets a start request ask, with the <c>LongJobs-Notify-Email</c> header, for an email when its job finishes:
    /// sent through the SMTP server of <paramref name="configure"/>'s options to an address on
    /// <see cref="EmailOptions.AllowedRecipientDomains"/>, with a link under <see cref="LongJobsOptions.PublicBaseUrl"/>,
    /// which must be set. Options are validated when the host starts.
    /// </summary>
    /// <param name="builder">The builder from <c>AddLongJobs</c>.</param>
    /// <param name="configure">Sets the SMTP server, the sender and the allowed recipient domains.</param>
    /// <returns>The same builder.</returns>
    public static LongJobsBuilder AddEmail(this LongJobsBuilder builder, Action<EmailOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        builder.Services.AddOptions<EmailOptions>().Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmailOptions>, EmailOptionsValidator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LongJobsOptions>, EmailNeedsPublicBaseUrl>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, EmailChannel>());
        return builder;
    }
}
