using System.Buffers.Binary;
using System.Security.Cryptography;

namespace LongJobs.Server.Execution.Scheduling;

/// <summary>
/// New job IDs: version 7 UUIDs (RFC 9562), ordered by creation time, as <see cref="Guid.CreateVersion7(DateTimeOffset)"/>
/// makes them, with their 74 random bits from a cryptographically secure generator (a job's ID is what a caller needs to
/// read an unowned job, so it must not be guessable). <see cref="Guid.CreateVersion7(DateTimeOffset)"/> asks the
/// operating system for 16 random bytes per ID, a system call per job that the profile of the in-process load put among
/// its heaviest costs; here each thread draws random bytes 4 KiB at a time.
/// </summary>
internal static class JobIds
{
    private const int BufferSize = 4096;
    private const int RandomBytesPerId = 10;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_used;

    /// <summary>A new version 7 UUID for a job created at <paramref name="createdAt"/>.</summary>
    public static Guid New(DateTimeOffset createdAt)
    {
        var random = t_random;
        if (random is null || t_used + RandomBytesPerId > BufferSize)
        {
            random = t_random ??= new byte[BufferSize];
            RandomNumberGenerator.Fill(random);
            t_used = 0;
        }

        var bits = random.AsSpan(t_used, RandomBytesPerId);
        t_used += RandomBytesPerId;

        Span<byte> uuid = stackalloc byte[16];
        var milliseconds = createdAt.ToUnixTimeMilliseconds();
        BinaryPrimitives.WriteInt64BigEndian(uuid[..8], milliseconds << 16);
        uuid[6] = (byte)(0x70 | (bits[0] & 0x0F));
        uuid[7] = bits[1];
        uuid[8] = (byte)(0x80 | (bits[2] & 0x3F));
        bits[3..].CopyTo(uuid[9..]);
        return new Guid(uuid, bigEndian: true);
    }
}
