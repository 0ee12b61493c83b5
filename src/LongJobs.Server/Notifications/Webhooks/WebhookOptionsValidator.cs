using Microsoft.Extensions.Options;

namespace LongJobs.Server.Notifications.Webhooks;

/// <summary>Checks <see cref="WebhookOptions"/> at start-up, limits, the allowed hosts and the key, and reports all violations at once.</summary>
internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    private readonly WebhookOptionsLimitsValidator _limits = new();

    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var result = new ValidateOptionsResultBuilder();
        result.AddResult(_limits.Validate(name, options));
        if (options.AllowedHosts.Count == 0)
        {
            result.AddError("List at least one host: webhooks go only to the hosts listed.", nameof(WebhookOptions.AllowedHosts));
        }

        foreach (var entry in options.AllowedHosts.Where(entry => !AllowedHost.TryParse(entry, out _)))
        {
            result.AddError(
                $"'{entry}' is not a host name, '*.' and a host name, or an IP address (IPv6 in brackets), optionally followed by ':port'.",
                nameof(WebhookOptions.AllowedHosts));
        }

        if (options.RetryDelays is { } delays && DeliverySchedules.Check(delays) is { } wrong)
        {
            result.AddError(wrong, nameof(WebhookOptions.RetryDelays));
        }

        if (!WebhookSigner.TryDecodeKey(options.SigningKey, out _))
        {
            result.AddError(
                $"Set the key shared with receivers: '{WebhookSigner.KeyPrefix}' followed by the base64 of {WebhookSigner.MinKeyBytes} to {WebhookSigner.MaxKeyBytes} random bytes, or that base64 alone.",
                nameof(WebhookOptions.SigningKey));
        }

        return result.Build();
    }
}

/// <summary>Checks the limits declared on <see cref="WebhookOptions"/>' properties.</summary>
[OptionsValidator]
internal sealed partial class WebhookOptionsLimitsValidator : IValidateOptions<WebhookOptions>;
