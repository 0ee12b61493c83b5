using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LongJobs.Server.Notifications.Webhooks;

/// <summary>
/// Signs webhooks as Standard Webhooks does: <c>v1,</c> and the base64 HMAC-SHA256, keyed with
/// <see cref="WebhookOptions.SigningKey"/>, of <c>{webhook-id}.{webhook-timestamp}.{body}</c>.
/// </summary>
internal sealed class WebhookSigner
{
    /// <summary>The prefix Standard Webhooks puts before a key's base64.</summary>
    public const string KeyPrefix = "whsec_";

    /// <summary>The fewest bytes a key has.</summary>
    public const int MinKeyBytes = 24;

    /// <summary>The most bytes a key has.</summary>
    public const int MaxKeyBytes = 64;

    private readonly byte[] _key;

    /// <summary>Creates a signer with a key in the form <see cref="TryDecodeKey"/> reads.</summary>
    public WebhookSigner(string signingKey) =>
        _key = TryDecodeKey(signingKey, out var key) ? key : throw new ArgumentException("The signing key is not valid.", nameof(signingKey));

    /// <summary>Reads <c>whsec_</c> followed by the base64 of <see cref="MinKeyBytes"/> to <see cref="MaxKeyBytes"/> bytes, or that base64 alone.</summary>
    public static bool TryDecodeKey(string? signingKey, [NotNullWhen(true)] out byte[]? key)
    {
        key = null;
        var base64 = signingKey?.StartsWith(KeyPrefix, StringComparison.Ordinal) == true ? signingKey[KeyPrefix.Length..] : signingKey;
        var buffer = new byte[MaxKeyBytes];
        if (base64 is null || !Convert.TryFromBase64String(base64, buffer, out var written) || written < MinKeyBytes)
        {
            return false;
        }

        key = buffer[..written];
        return true;
    }

    /// <summary>The <c>webhook-signature</c> header of a webhook.</summary>
    /// <param name="id">Its <c>webhook-id</c>.</param>
    /// <param name="timestamp">Its <c>webhook-timestamp</c>: Unix seconds.</param>
    /// <param name="body">Its body, as sent.</param>
    public string Sign(string id, long timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{id}.{timestamp}.")));
        hmac.AppendData(body);
        return "v1," + Convert.ToBase64String(hmac.GetHashAndReset());
    }
}
