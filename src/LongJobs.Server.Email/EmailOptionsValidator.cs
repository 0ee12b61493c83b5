using Microsoft.Extensions.Options;

namespace LongJobs.Server.Notifications.Email;

/// <summary>Checks <see cref="EmailOptions"/> at start-up: the limits on its properties and the rules that span them, all errors at once.</summary>
internal sealed class EmailOptionsValidator : IValidateOptions<EmailOptions>
{
    private readonly EmailOptionsLimitsValidator _limits = new();

    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        var result = new ValidateOptionsResultBuilder();
        result.AddResult(_limits.Validate(name, options));
        if (!string.IsNullOrEmpty(options.From) && EmailRecipientRules.ParseAddress(options.From) is null)
        {
            result.AddError($"'{options.From}' is not one plain email address, such as jobs@example.com; put the display name in {nameof(EmailOptions.FromName)}.", nameof(EmailOptions.From));
        }

        if (options.FromName?.Any(char.IsControl) == true)
        {
            result.AddError("The sender's display name must not contain line breaks or other control characters.", nameof(EmailOptions.FromName));
        }

        if (string.IsNullOrEmpty(options.UserName) != string.IsNullOrEmpty(options.Password))
        {
            result.AddError($"Set both {nameof(EmailOptions.UserName)} and {nameof(EmailOptions.Password)} to authenticate, or neither.", nameof(EmailOptions.UserName));
        }

        if (options.AllowedRecipientDomains.Count == 0)
        {
            result.AddError(
                $"{nameof(EmailOptions.AllowedRecipientDomains)} is empty: list the domains jobs may email (example.com, *.example.com), so the server cannot be used to send mail anywhere.",
                nameof(EmailOptions.AllowedRecipientDomains));
        }

        foreach (var entry in options.AllowedRecipientDomains)
        {
            if (EmailRecipientRules.CheckDomainEntry(entry) is { } problem)
            {
                result.AddError($"{nameof(EmailOptions.AllowedRecipientDomains)}: {problem}", nameof(EmailOptions.AllowedRecipientDomains));
            }
        }

        if (options.RetryDelays is { } delays && DeliverySchedules.Check(delays) is { } wrong)
        {
            result.AddError(wrong, nameof(EmailOptions.RetryDelays));
        }

        return result.Build();
    }
}

/// <summary>Checks the limits declared on <see cref="EmailOptions"/>' properties.</summary>
[OptionsValidator]
internal sealed partial class EmailOptionsLimitsValidator : IValidateOptions<EmailOptions>;

/// <summary>Emails link to the job's status, which needs an absolute URL: <see cref="LongJobsOptions.PublicBaseUrl"/> must be set.</summary>
internal sealed class EmailNeedsPublicBaseUrl : IValidateOptions<LongJobsOptions>
{
    public ValidateOptionsResult Validate(string? name, LongJobsOptions options) => options.PublicBaseUrl is null
        ? ValidateOptionsResult.Fail(
            $"Email notifications link to the job's status, so they need {nameof(LongJobsOptions)}.{nameof(LongJobsOptions.PublicBaseUrl)}: set it to the absolute URL clients reach this application at (for example https://jobs.example.com).")
        : ValidateOptionsResult.Success;
}
