using LongJobs.Server.Jobs;
using LongJobs.Server.Kinds;

namespace LongJobs.Server.Execution.Following;

/// <summary>The handle of a job of a registered kind started here that no slot of this server runs (yet).</summary>
internal sealed class FollowedJob(LongRunningJob handle, JobKind kind)
{
    /// <summary>Marks a job whose following stopped for good.</summary>
    private static readonly CancellationTokenSource Stopped = new();

    private CancellationTokenSource? _following;

    public LongRunningJob Handle { get; } = handle;

    public JobKind Kind { get; } = kind;

    /// <summary>Starts following the job in the store, unless it is followed already or was stopped.</summary>
    /// <returns>The source whose token ends the following (the follower disposes it), or <see langword="null"/> when not started.</returns>
    public CancellationTokenSource? TryStartFollowing(CancellationToken shutdown)
    {
        if (Volatile.Read(ref _following) is not null)
        {
            return null;
        }

        var following = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        if (Interlocked.CompareExchange(ref _following, following, null) is null)
        {
            return following;
        }

        following.Dispose();
        return null;
    }

    /// <summary>Stops following for good: this server runs the job now, or its handle completes.</summary>
    public void StopFollowing()
    {
        var following = Interlocked.Exchange(ref _following, Stopped);
        if (following is not null && !ReferenceEquals(following, Stopped))
        {
            try
            {
                following.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The follower ended meanwhile.
            }
        }
    }
}
