using System.Globalization;
using MimeKit;

namespace LongJobs.Server.Notifications.Email;

/// <summary>
/// Which addresses a job may ask to email: one bare address (no display name, list, group, comment or line break)
/// whose domain is among <see cref="EmailOptions.AllowedRecipientDomains"/>.
/// </summary>
internal sealed class EmailRecipientRules
{
    /// <summary>The longest address accepted (RFC 5321's path limit, less the angle brackets).</summary>
    public const int MaxAddressLength = 254;

    /// <summary>The longest local part (before the <c>@</c>) accepted (RFC 5321).</summary>
    public const int MaxLocalPartLength = 64;

    private static readonly ParserOptions StrictParser = new()
    {
        AddressParserComplianceMode = RfcComplianceMode.Strict,
        AllowAddressesWithoutDomain = false,
        AllowUnquotedCommasInAddresses = false,
    };

    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true };

    private readonly HashSet<string> _domains = new(StringComparer.Ordinal);
    private readonly string[] _parentDomains;

    /// <param name="allowedDomains">Entries as <see cref="EmailOptions.AllowedRecipientDomains"/> holds them; each must pass <see cref="CheckDomainEntry"/>.</param>
    public EmailRecipientRules(IEnumerable<string> allowedDomains)
    {
        var parents = new List<string>();
        foreach (var entry in allowedDomains)
        {
            var trimmed = entry.Trim();
            if (trimmed.StartsWith("*.", StringComparison.Ordinal))
            {
                parents.Add("." + Normalize(trimmed[2..]));
            }
            else
            {
                _domains.Add(Normalize(trimmed));
            }
        }

        _parentDomains = [.. parents];
    }

    /// <summary>Checks one entry of <see cref="EmailOptions.AllowedRecipientDomains"/>.</summary>
    /// <returns>What is wrong with it, or <see langword="null"/> when it is valid.</returns>
    public static string? CheckDomainEntry(string? entry)
    {
        var domain = entry?.Trim() ?? string.Empty;
        if (domain.StartsWith("*.", StringComparison.Ordinal))
        {
            domain = domain[2..];
        }

        return TryNormalize(domain, out _) ? null
            : $"'{entry}' is not a domain (example.com) or a subdomain wildcard (*.example.com).";
    }

    /// <summary>Parses a plain address, such as <see cref="EmailOptions.From"/>.</summary>
    /// <returns>The mailbox, or <see langword="null"/> when <paramref name="address"/> is not one bare address.</returns>
    public static MailboxAddress? ParseAddress(string? address) => Parse(address, out _);

    /// <summary>Checks the address a start request asks to email.</summary>
    /// <returns>Why it cannot be emailed (the 400 problem's message), or <see langword="null"/> when it can.</returns>
    public string? Check(string? address) => Check(address, out _);

    /// <summary>Checks the address a start request asks to email.</summary>
    /// <param name="address">The address.</param>
    /// <param name="recipient">The parsed address, when it can be emailed.</param>
    /// <returns>Why it cannot be emailed (the 400 problem's message), or <see langword="null"/> when it can.</returns>
    public string? Check(string? address, out MailboxAddress? recipient)
    {
        recipient = Parse(address, out var problem);
        if (recipient is null)
        {
            return problem;
        }

        if (!TryNormalize(recipient.Domain, out var domain) || !IsAllowed(domain))
        {
            recipient = null;
            return $"This server does not send email to addresses at '{DomainOf(address!)}'.";
        }

        return null;
    }

    private bool IsAllowed(string domain) =>
        _domains.Contains(domain) || _parentDomains.Any(parent => domain.EndsWith(parent, StringComparison.Ordinal));

    private static MailboxAddress? Parse(string? address, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(address))
        {
            problem = "Send one email address, such as someone@example.com.";
            return null;
        }

        if (address.Length > MaxAddressLength)
        {
            problem = $"The address is too long: at most {MaxAddressLength} characters.";
            return null;
        }

        // Line breaks would let a value smuggle headers (Bcc:) into a message; no control character belongs in an address.
        if (address.Any(char.IsControl))
        {
            problem = "The address must not contain line breaks or other control characters.";
            return null;
        }

        if (!InternetAddressList.TryParse(StrictParser, address, out var addresses) || addresses.Count == 0)
        {
            problem = "The value is not a valid email address.";
            return null;
        }

        if (addresses.Count > 1 || addresses[0] is not MailboxAddress mailbox)
        {
            problem = "Send exactly one email address, not a list or a group.";
            return null;
        }

        if (!string.IsNullOrEmpty(mailbox.Name) || mailbox.Route.Count > 0 || address.AsSpan().IndexOfAny("<>()") >= 0)
        {
            problem = "Send the bare address (someone@example.com), without a display name, angle brackets or comments.";
            return null;
        }

        if (mailbox.LocalPart.Length > MaxLocalPartLength)
        {
            problem = $"The part before the '@' is too long: at most {MaxLocalPartLength} characters.";
            return null;
        }

        return mailbox;
    }

    private static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..].Trim();

    private static string Normalize(string domain) =>
        TryNormalize(domain, out var normalized) ? normalized : throw new ArgumentException($"'{domain}' is not a domain.", nameof(domain));

    /// <summary>The domain's ASCII (punycode) form in lowercase, without a trailing dot; false when it is not a host name.</summary>
    private static bool TryNormalize(string domain, out string normalized)
    {
        normalized = string.Empty;
        domain = domain.TrimEnd('.');
        if (domain.Length == 0)
        {
            return false;
        }

        try
        {
            normalized = Idn.GetAscii(domain).ToLowerInvariant();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
