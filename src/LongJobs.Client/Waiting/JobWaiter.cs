using System.Net;
using System.Net.Http.Headers;
using LongJobs.Client.Http;
using LongJobs.Client.Models;
using Polly;
using Polly.Retry;

namespace LongJobs.Client.Waiting;

/// <summary>
/// Reads a job's state until it has finished. Where the server long-polls, each request waits there: for the job's
/// end, or, when progress is followed, for its next change (<c>If-None-Match</c> with the last version, answered with
/// the new state or <c>304 Not Modified</c>). Where it does not, the waiter polls after <c>Retry-After</c> or with
/// exponential backoff.
/// </summary>
internal sealed class JobWaiter
{
    private static readonly ResiliencePropertyKey<int> PlainPollsKey = new("LongJobs.PlainPolls");

    private readonly HttpClient _httpClient;
    private readonly LongJobsClientOptions _options;
    private readonly ResiliencePipeline<JobPoll> _pipeline;

    public JobWaiter(HttpClient httpClient, LongJobsClientOptions options)
    {
        _httpClient = httpClient;
        _options = options;
        _pipeline = CreatePipeline(options);
    }

    /// <summary>Waits for the job to finish, calling <paramref name="observe"/> with every new state read.</summary>
    /// <param name="id">The job's ID.</param>
    /// <param name="lastSeen">The job's state as last read, if any: its version makes the first request conditional, and a 404 after it means the job was lost.</param>
    /// <param name="followChanges">Whether to wake for every change (progress) rather than only for the end.</param>
    /// <param name="observe">Called with every new state, the final one included.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The job's final state.</returns>
    public async Task<JobState> WaitAsync(Guid id, JobState? lastSeen, bool followChanges, Action<JobState> observe, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var poll = await _pipeline.ExecuteAsync(
                static async (context, state) =>
                {
                    var poll = await state.Waiter.PollAsync(state.Id, state.Last.Current, state.FollowChanges, context.CancellationToken).ConfigureAwait(false);
                    context.Properties.Set(PlainPollsKey, poll.LongPolled ? 0 : context.Properties.GetValue(PlainPollsKey, 0) + 1);
                    if (poll.State is { } changed)
                    {
                        state.Last.Current = changed;
                        state.Observe(changed);
                    }

                    return poll with { State = state.Last.Current };
                },
                context,
                (Waiter: this, Id: id, Last: new LastSeen(lastSeen), FollowChanges: followChanges, Observe: observe)).ConfigureAwait(false);
            return poll.State!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Reads the job once; <see cref="JobPoll.State"/> is <see langword="null"/> when it has not changed since <paramref name="lastSeen"/>.</summary>
    private async Task<JobPoll> PollAsync(Guid id, JobState? lastSeen, bool followChanges, CancellationToken cancellationToken)
    {
        // Following changes needs the job's version: without one, read the state at once, then wait for what follows it.
        var version = followChanges && lastSeen?.ETag is { } etag && EntityTagHeaderValue.TryParse(etag, out var tag) ? tag : null;
        var firstRead = followChanges && version is null;
        using var request = new HttpRequestMessage(HttpMethod.Get, JobPaths.Job(_options, id, firstRead ? TimeSpan.Zero : _options.LongPollWait));
        if (version is not null)
        {
            request.Headers.IfNoneMatch.Add(version);
        }

        using var response = await _httpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var longPolled = _options.LongPollWait > TimeSpan.Zero && response.Headers.Contains("Preference-Applied");
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return new JobPoll(null, response.Headers.RetryAfter, longPolled);
        }

        try
        {
            // Following changes, a new version means the next request can wait for the change after it: ask at once.
            var state = await JobResponses.ReadStateAsync(response, _options.SerializerOptions, cancellationToken).ConfigureAwait(false);
            var newVersion = followChanges && state.ETag is not null && state.ETag != lastSeen?.ETag;
            return new JobPoll(state, response.Headers.RetryAfter, longPolled || newVersion);
        }
        catch (LongJobsRequestException exception) when (lastSeen is not null && JobResponses.IsNotFound(exception))
        {
            throw JobResponses.Lost(lastSeen, exception);
        }
    }

    /// <summary>Polls again while the job is unfinished: at once after a long-poll, else after <c>Retry-After</c> or the backoff.</summary>
    /// <remarks>Polly's attempt number counts long-polls too, so the backoff counts only the answers since the last long-poll.</remarks>
    private static ResiliencePipeline<JobPoll> CreatePipeline(LongJobsClientOptions options) =>
        new ResiliencePipelineBuilder<JobPoll> { TimeProvider = options.TimeProvider }
            .AddRetry(new RetryStrategyOptions<JobPoll>
            {
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } poll && poll.State?.IsFinished != true),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Result is { } poll
                    ? PollingDelay(poll, args.Context.Properties.GetValue(PlainPollsKey, 0), options)
                    : null),
            })
            .Build();

    /// <summary>
    /// The wait before the next status request: none after a long-poll; else the server's <c>Retry-After</c>, or
    /// <see cref="LongJobsClientOptions.PollingInterval"/> doubled for each of the <paramref name="plainPolls"/>
    /// answers since the last long-poll after the first, with ±25 % jitter; never more than
    /// <see cref="LongJobsClientOptions.MaxPollingInterval"/>.
    /// </summary>
    private static TimeSpan PollingDelay(JobPoll poll, int plainPolls, LongJobsClientOptions options)
    {
        if (poll.LongPolled)
        {
            return TimeSpan.Zero;
        }

        var max = options.MaxPollingInterval.Ticks;
        var retryAfter = poll.RetryAfter?.Delta ?? (poll.RetryAfter?.Date is { } date ? date - options.TimeProvider.GetUtcNow() : null);
        if (retryAfter is { } asked)
        {
            return TimeSpan.FromTicks(Math.Clamp(asked.Ticks, 0, max));
        }

        var backoff = options.PollingInterval.Ticks * Math.Pow(2, Math.Clamp(plainPolls - 1, 0, 30));
        var jittered = backoff * (0.75 + (0.5 * Random.Shared.NextDouble()));
        return TimeSpan.FromTicks((long)Math.Min(jittered, max));
    }

    /// <summary>
    /// One answer: the job's state (<see langword="null"/> when unchanged), the server's <c>Retry-After</c>, and whether
    /// to ask again at once (the server long-polled, or the answer brought a new version to wait on while following changes).
    /// </summary>
    private sealed record JobPoll(JobState? State, RetryConditionHeaderValue? RetryAfter, bool LongPolled);

    /// <summary>The state last read, carried from one poll to the next.</summary>
    private sealed class LastSeen(JobState? current)
    {
        public JobState? Current { get; set; } = current;
    }
}
