using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace LongJobs.Client.Webhooks;

/// <summary>
/// Verifies that a webhook came from a LongJobs server that knows the shared signing key (Standard Webhooks):
/// <c>webhook-signature</c> holds one or more space-separated <c>v1,{base64}</c> entries, each the HMAC-SHA256 of
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c>, and <c>webhook-timestamp</c> (Unix seconds) must be recent.
/// The body is the job's final state: read it with <c>JsonSerializer.Deserialize&lt;JobState&gt;(body)</c>, after
/// verifying it.
/// </summary>
public static class WebhookSignature
{
    /// <summary>The header with the webhook's ID: the job's ID, the same in every attempt, to drop repeats by.</summary>
    public const string IdHeader = "webhook-id";

    /// <summary>The header with the time the attempt was signed, in Unix seconds.</summary>
    public const string TimestampHeader = "webhook-timestamp";

    /// <summary>The header with the signatures.</summary>
    public const string SignatureHeader = "webhook-signature";

    private const string KeyPrefix = "whsec_";
    private const string SignaturePrefix = "v1,";
    private const int SignatureBytes = 32;

    /// <summary>Verifies a webhook from its request headers, such as ASP.NET Core's <c>HttpRequest.Headers</c>.</summary>
    /// <param name="signingKey">The key shared with the server: <c>whsec_</c> followed by base64, or the base64 alone.</param>
    /// <param name="headers">The request's headers; names compare case-insensitively.</param>
    /// <param name="body">The request's body, exactly as received.</param>
    /// <param name="tolerance">How far the timestamp may be from now, either way, to refuse replays; five minutes is usual.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>Whether a signature matches and the timestamp is within <paramref name="tolerance"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="signingKey"/> is not base64, or is empty.</exception>
    public static bool Verify(string signingKey, IEnumerable<KeyValuePair<string, StringValues>> headers, ReadOnlySpan<byte> body, TimeSpan tolerance, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(headers);
        StringValues id = default, timestamp = default, signatures = default;
        foreach (var (name, values) in headers)
        {
            if (string.Equals(name, IdHeader, StringComparison.OrdinalIgnoreCase))
            {
                id = StringValues.Concat(id, values);
            }
            else if (string.Equals(name, TimestampHeader, StringComparison.OrdinalIgnoreCase))
            {
                timestamp = StringValues.Concat(timestamp, values);
            }
            else if (string.Equals(name, SignatureHeader, StringComparison.OrdinalIgnoreCase))
            {
                signatures = StringValues.Concat(signatures, values);
            }
        }

        return Verify(
            signingKey,
            id.Count == 1 ? id[0] : null,
            timestamp.Count == 1 ? timestamp[0] : null,
            string.Join(' ', signatures.ToArray()),
            body,
            tolerance,
            timeProvider);
    }

    /// <summary>Verifies a webhook from the values of its three headers.</summary>
    /// <param name="signingKey">The key shared with the server: <c>whsec_</c> followed by base64, or the base64 alone.</param>
    /// <param name="id">The <c>webhook-id</c> header.</param>
    /// <param name="timestamp">The <c>webhook-timestamp</c> header.</param>
    /// <param name="signatures">The <c>webhook-signature</c> header: space-separated <c>v1,{base64}</c> entries; one must match.</param>
    /// <param name="body">The request's body, exactly as received.</param>
    /// <param name="tolerance">How far the timestamp may be from now, either way, to refuse replays; five minutes is usual.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>Whether a signature matches and the timestamp is within <paramref name="tolerance"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="signingKey"/> is not base64, or is empty.</exception>
    public static bool Verify(string signingKey, string? id, string? timestamp, string? signatures, ReadOnlySpan<byte> body, TimeSpan tolerance, TimeProvider? timeProvider = null)
    {
        var key = DecodeKey(signingKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(tolerance, TimeSpan.Zero);
        if (string.IsNullOrEmpty(id)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs((timeProvider ?? TimeProvider.System).GetUtcNow().ToUnixTimeSeconds() - seconds) > tolerance.TotalSeconds
            || string.IsNullOrEmpty(signatures))
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[SignatureBytes];
        using (var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key))
        {
            hmac.AppendData(Encoding.UTF8.GetBytes($"{id}.{timestamp}."));
            hmac.AppendData(body);
            hmac.GetHashAndReset(expected);
        }

        Span<byte> given = stackalloc byte[SignatureBytes];
        var matches = false;
        foreach (var signature in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            // Every entry is compared, in constant time, so the time taken tells nothing about which one matched.
            matches |= signature.StartsWith(SignaturePrefix, StringComparison.Ordinal)
                && Convert.TryFromBase64String(signature[SignaturePrefix.Length..], given, out var written)
                && written == SignatureBytes
                && CryptographicOperations.FixedTimeEquals(expected, given);
        }

        return matches;
    }

    private static byte[] DecodeKey(string signingKey)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        var base64 = signingKey.StartsWith(KeyPrefix, StringComparison.Ordinal) ? signingKey[KeyPrefix.Length..] : signingKey;
        var key = new byte[base64.Length * 3 / 4];
        return Convert.TryFromBase64String(base64, key, out var written) && written > 0
            ? key[..written]
            : throw new ArgumentException($"The signing key is not '{KeyPrefix}' followed by base64, nor base64 alone.", nameof(signingKey));
    }
}
