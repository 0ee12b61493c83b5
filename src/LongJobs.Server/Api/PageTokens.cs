using System.Buffers.Binary;
using LongJobs.Server.Storage;

namespace LongJobs.Server.Api;

/// <summary>
/// The <c>pageToken</c> of job lists: the keyset cursor of the last job on a page (its creation time and ID) in 24 bytes,
/// URL-safe base64 without padding. Opaque to clients; a token this server did not issue reads as invalid.
/// </summary>
internal static class PageTokens
{
    public static string Encode(JobCursor cursor)
    {
        Span<byte> bytes = stackalloc byte[24];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, cursor.CreatedAt.UtcTicks);
        cursor.Id.TryWriteBytes(bytes[8..]);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <returns>The cursor, or <see langword="null"/> when <paramref name="token"/> is not one this server issued.</returns>
    public static JobCursor? Decode(string token)
    {
        Span<byte> bytes = stackalloc byte[24];
        var base64 = token.Replace('-', '+').Replace('_', '/');
        if (token.Length != 32 || !Convert.TryFromBase64String(base64, bytes, out var written) || written != 24)
        {
            return null;
        }

        var ticks = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        return ticks is < 0 || ticks > DateTimeOffset.MaxValue.UtcTicks
            ? null
            : new JobCursor(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[8..]));
    }
}
