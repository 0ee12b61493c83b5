using LongJobs.Server.Execution.Scheduling;

namespace LongJobs.Server.Tests.Execution;

/// <summary>Job IDs are version 7 UUIDs, as <see cref="Guid.CreateVersion7(DateTimeOffset)"/> makes them: ordered by creation time, and random beyond it.</summary>
public sealed class JobIdsTests
{
    [Fact]
    public void AnId_IsAVersion7Uuid_WhoseTimestampIsItsCreationMillisecond()
    {
        var createdAt = new DateTimeOffset(2026, 12, 2, 4, 5, 6, 789, TimeSpan.Zero);

        var id = JobIds.New(createdAt);

        Assert.Equal(7, id.Version);
        Assert.Equal(0b10, id.Variant >> 2);
        var bytes = id.ToByteArray(bigEndian: true);
        var milliseconds = ((long)bytes[0] << 40) | ((long)bytes[1] << 32) | ((long)bytes[2] << 24) | ((long)bytes[3] << 16) | ((long)bytes[4] << 8) | bytes[5];
        Assert.Equal(createdAt.ToUnixTimeMilliseconds(), milliseconds);
        Assert.Equal(Guid.CreateVersion7(createdAt).ToString()[..13], id.ToString()[..13]);
    }

    [Fact]
    public void Ids_AreOrderedByCreationTime_AndNeverRepeat()
    {
        var start = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, 10_000).Select(i => JobIds.New(start.AddMilliseconds(i / 10))).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        for (var i = 10; i < ids.Count; i += 10)
        {
            Assert.True(ids[i - 1].CompareTo(ids[i]) < 0, $"ID {i} is not after ID {i - 1}.");
        }
    }
}
