using System.Globalization;
using System.Text.RegularExpressions;
using LongJobs.Server.Security;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace LongJobs.Server.Api;

/// <summary>
/// The waits of the jobs API (long-polls): a status request with <c>wait</c> or <c>Prefer: wait=N</c> (RFC 7240), and a
/// start request with <c>Prefer: wait=N</c>. A wait is a preference: at most <see cref="MaxSeconds"/>, at most
/// <see cref="LongJobsOptions.MaxLongPollsPerCaller"/> open per caller (beyond it the request answers at once), cut short
/// when the host stops. <c>Preference-Applied: wait=N</c> says the server waited.
/// </summary>
internal sealed partial class JobWaits(IJobChangeFeed changes, JobAccess access, LongJobsOptions options, TimeProvider time, IHostApplicationLifetime lifetime)
{
    private readonly OpenRequestsPerCaller _waiting = new(options.MaxLongPollsPerCaller);

    /// <summary>The longest a request waits, in seconds.</summary>
    public const int MaxSeconds = 60;

    /// <summary>
    /// Waits up to <paramref name="seconds"/> (capped at <see cref="MaxSeconds"/>) for <paramref name="job"/> to reach a
    /// state <paramref name="isAnswer"/> accepts, following every change of the stored job.
    /// </summary>
    /// <returns>The latest state, whether or not it is an answer; <see langword="null"/> when the job was removed meanwhile.</returns>
    public async Task<JobRecord?> WaitAsync(JobRecord job, int seconds, Func<JobRecord, bool> isAnswer, HttpContext context, CancellationToken cancellationToken)
    {
        seconds = Math.Min(seconds, MaxSeconds);
        if (seconds <= 0 || isAnswer(job))
        {
            return job;
        }

        // A caller with MaxLongPollsPerCaller waits open is answered at once, and Retry-After tells it when to ask again.
        var caller = OpenRequestsPerCaller.KeyOf(access.CallerOf(context), context);
        if (!_waiting.TryEnter(caller))
        {
            return job;
        }

        JobRecord? latest = job;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds), time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, lifetime.ApplicationStopping, cancellationToken);
            while (latest is not null && !isAnswer(latest))
            {
                latest = await changes.WaitForChangeAsync(latest.Id, latest.Version, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The wait is over, or the host is stopping: answer with the latest state.
        }
        finally
        {
            _waiting.Exit(caller);
        }

        // A wait cut short because the host is stopping is not the wait asked for: the client asks again, elsewhere.
        if (!lifetime.ApplicationStopping.IsCancellationRequested)
        {
            context.Response.Headers["Preference-Applied"] = "wait=" + seconds.ToString(CultureInfo.InvariantCulture);
        }

        return latest;
    }

    /// <summary>The <c>wait</c> preference of <c>Prefer</c> headers (RFC 7240 §4.3), if any: the first one that is a number of seconds.</summary>
    public static int? PreferredSeconds(string? prefer)
    {
        foreach (Match match in PreferWait().Matches(prefer ?? string.Empty))
        {
            if (int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return seconds;
            }
        }

        return null;
    }

    [GeneratedRegex(@"(?:^|[\s,;])wait\s*=\s*(\d{1,9})\b", RegexOptions.CultureInvariant)]
    private static partial Regex PreferWait();
}
