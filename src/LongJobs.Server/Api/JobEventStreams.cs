using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using LongJobs.Server.Jobs;
using LongJobs.Server.Notifications;
using LongJobs.Server.Security;
using LongJobs.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Api;

/// <summary>
/// Server-sent events of job changes: <c>GET {prefix}/{id}/events</c> for one job, ending after its final event,
/// and <c>GET {prefix}/events</c> for every job. Each event is named <c>status</c> (the first, and whenever the
/// status or attempt changes), <c>progress</c> or <c>finished</c>, and carries the job's state as
/// <c>GET {prefix}/{id}</c> answers it. Streams read the job store at their own pace, so a slow or vanished client
/// holds up nothing but its own stream; they end when the client goes or the host stops.
/// </summary>
internal sealed class JobEventStreams(
    JobLinks links,
    IJobRecords records,
    IJobChangeFeed changeFeed,
    JobAccess access,
    IOptions<LongJobsOptions> longJobsOptions,
    JobNotFound notFound,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    IOptions<JsonOptions> jsonOptions)
{
    private readonly JobLinks _links = links;
    private readonly TimeProvider _time = time;
    private readonly TimeSpan _heartbeatInterval = longJobsOptions.Value.EventStreamHeartbeatInterval;
    private readonly TimeSpan _maxDuration = longJobsOptions.Value.MaxEventStreamDuration;
    private readonly OpenRequestsPerCaller _openByCaller = new(longJobsOptions.Value.MaxEventStreamsPerCaller);
    private readonly JsonSerializerOptions _serializerOptions = jsonOptions.Value.SerializerOptions;

    /// <summary>The media type of the streams.</summary>
    public const string EventStreamMediaType = "text/event-stream";

    /// <summary>How far before the last event a resumed stream of every job looks for jobs that finished: covers clocks of servers that differ a little.</summary>
    internal static readonly TimeSpan ResumeMargin = TimeSpan.FromSeconds(5);

    /// <summary>How many job changes a stream of every job buffers for its client; past that it reads the store again instead.</summary>
    internal const int ChangeBufferSize = 1024;

    /// <summary>How many jobs of each status a stream of every job reads again when it resumes or fell behind.</summary>
    internal const int ResyncLimit = 1000;

    private static readonly byte[] Heartbeat = ": heartbeat\n\n"u8.ToArray();
    private static readonly byte[] Retry = "retry: 2000\n\n"u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    private int _openStreams;

    /// <summary>The streams open now; for tests.</summary>
    internal int OpenStreams => Volatile.Read(ref _openStreams);

    /// <summary>GET /{id}/events: the changes of one job from now (or after <c>Last-Event-ID</c>) to its final event.</summary>
    public async Task<Results<EmptyHttpResult, NoContent, ProblemHttpResult>> StreamJobAsync(Guid id, HttpContext context, CancellationToken cancellationToken)
    {
        var job = await records.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null || !access.CallerOf(context).CanAccess(job))
        {
            return notFound.Problem(id);
        }

        // The event ID is the job's version: a client that saw the final event has nothing more to get, and a
        // 204 tells a browser's EventSource to stop reconnecting.
        var sent = long.TryParse(context.Request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out var lastEventId) ? lastEventId : 0;
        if (job.Status.IsFinished() && job.Version <= sent)
        {
            return TypedResults.NoContent();
        }

        await using var stream = await OpenAsync(context, cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return TooManyStreams(context);
        }

        JobStatus? status = null;
        var attempt = 0;
        try
        {
            while (true)
            {
                if (job.Version > sent)
                {
                    var name = EventName(job, status, attempt);
                    await stream.WriteEventAsync(job.Version.ToString(CultureInfo.InvariantCulture), name, job).ConfigureAwait(false);
                    (sent, status, attempt) = (job.Version, job.Status, job.Attempt);
                }

                if (job.Status.IsFinished())
                {
                    return TypedResults.Empty;
                }

                using var heartbeat = new CancellationTokenSource(_heartbeatInterval, _time);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stream.Token, heartbeat.Token);
                try
                {
                    var next = await changeFeed.WaitForChangeAsync(id, job.Version, wait.Token).ConfigureAwait(false);
                    if (next is null)
                    {
                        // Removed (retention, or deleted): nothing more will come.
                        return TypedResults.Empty;
                    }

                    job = next;
                }
                catch (OperationCanceledException) when (heartbeat.IsCancellationRequested && !stream.Token.IsCancellationRequested)
                {
                    await stream.WriteAsync(Heartbeat).ConfigureAwait(false);
                }
            }
        }
        catch (Exception exception) when (stream.Ends(exception))
        {
            return TypedResults.Empty;
        }
    }

    /// <summary>
    /// GET /events: the changes of every job the caller lists (its own; an administrator's: all), of one kind with
    /// <paramref name="kind"/>, from now on. With
    /// <c>Last-Event-ID</c>, first the current state of every unfinished job and of every job finished since that
    /// event, so a client that reconnects misses no final event.
    /// </summary>
    public async Task<Results<EmptyHttpResult, ProblemHttpResult, ValidationProblem>> StreamAllAsync(string? kind, HttpContext context, CancellationToken cancellationToken)
    {
        if (!JobsApi.TryReadKindFilter(ref kind))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["kind"] = [JobsApi.KindFilterRule] }, title: "The event stream request is not valid.");
        }

        var caller = access.CallerOf(context);
        var changes = Channel.CreateBounded<Guid>(new BoundedChannelOptions(ChangeBufferSize) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
        var fellBehind = 0;
        using var watch = changeFeed.WatchChanges(id =>
        {
            if (id == Guid.Empty || !changes.Writer.TryWrite(id))
            {
                // Changes were missed (a lost connection, or this client reads too slowly): read the store again.
                Volatile.Write(ref fellBehind, 1);
                changes.Writer.TryWrite(Guid.Empty);
            }
        });

        DateTimeOffset? resumeAfter = long.TryParse(context.Request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out var lastEventAt)
            ? DateTimeOffset.FromUnixTimeMilliseconds(Math.Min(lastEventAt, DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())) - ResumeMargin
            : null;

        await using var stream = await OpenAsync(context, cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return TooManyStreams(context);
        }

        var sent = new Dictionary<Guid, (long Version, JobStatus Status, int Attempt)>();
        try
        {
            if (resumeAfter is { } since)
            {
                await ResyncAsync(stream, kind, caller, since, sent).ConfigureAwait(false);
            }

            while (true)
            {
                using var heartbeat = new CancellationTokenSource(_heartbeatInterval, _time);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stream.Token, heartbeat.Token);
                Guid id;
                try
                {
                    id = await changes.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (heartbeat.IsCancellationRequested && !stream.Token.IsCancellationRequested)
                {
                    await stream.WriteAsync(Heartbeat).ConfigureAwait(false);
                    continue;
                }

                if (Interlocked.Exchange(ref fellBehind, 0) == 1)
                {
                    while (changes.Reader.TryRead(out _))
                    {
                    }

                    await ResyncAsync(stream, kind, caller, stream.LastEventAt - ResumeMargin, sent).ConfigureAwait(false);
                }
                else if (id != Guid.Empty && await records.GetAsync(id, stream.Token).ConfigureAwait(false) is { } job && (kind is null || job.Kind == kind) && caller.Lists(job))
                {
                    await SendIfNewAsync(stream, job, sent).ConfigureAwait(false);
                }
            }
        }
        catch (Exception exception) when (stream.Ends(exception))
        {
            return TypedResults.Empty;
        }
    }

    /// <summary>Sends the state of every unfinished job and of every job finished since <paramref name="since"/>, unless sent already.</summary>
    private async Task ResyncAsync(EventStream stream, string? kind, JobCaller caller, DateTimeOffset since, Dictionary<Guid, (long Version, JobStatus Status, int Attempt)> sent)
    {
        var owner = caller.ListedOwner;
        var queries = new[]
        {
            new JobQuery { Kind = kind, Owner = owner, Status = JobStatus.Scheduled },
            new JobQuery { Kind = kind, Owner = owner, Status = JobStatus.Queued },
            new JobQuery { Kind = kind, Owner = owner, Status = JobStatus.Running },
            new JobQuery { Kind = kind, Owner = owner, CompletedAfter = since },
        };
        foreach (var query in queries)
        {
            var read = 0;
            JobCursor? after = null;
            do
            {
                var page = await records.ListAsync(query with { PageSize = JobQuery.MaxPageSize, After = after }, stream.Token).ConfigureAwait(false);
                foreach (var listed in page.Items)
                {
                    // Lists leave results out: read a finished job whole.
                    var job = listed.Status.IsFinished() ? await records.GetAsync(listed.Id, stream.Token).ConfigureAwait(false) : listed;
                    if (job is not null)
                    {
                        await SendIfNewAsync(stream, job, sent).ConfigureAwait(false);
                    }
                }

                read += page.Items.Count;
                after = page.Next;
            }
            while (after is not null && read < ResyncLimit);
        }
    }

    private static async Task SendIfNewAsync(EventStream stream, JobRecord job, Dictionary<Guid, (long Version, JobStatus Status, int Attempt)> sent)
    {
        var known = sent.TryGetValue(job.Id, out var previous);
        if (known && previous.Version >= job.Version)
        {
            return;
        }

        // Bounded: forgetting only risks sending a job's current state twice.
        if (!known && sent.Count >= ChangeBufferSize * 16)
        {
            sent.Clear();
        }

        sent[job.Id] = (job.Version, job.Status, job.Attempt);
        var name = EventName(job, known ? previous.Status : null, known ? previous.Attempt : 0);
        await stream.WriteEventAsync(null, name, job).ConfigureAwait(false);
    }

    private static string EventName(JobRecord job, JobStatus? previousStatus, int previousAttempt) =>
        job.Status.IsFinished() ? "finished"
        : job.Status != previousStatus || job.Attempt != previousAttempt ? "status"
        : "progress";

    /// <summary>
    /// Starts the event stream response (headers, no buffering, the reconnection delay), unless the caller has
    /// <see cref="LongJobsOptions.MaxEventStreamsPerCaller"/> streams open already.
    /// </summary>
    /// <returns>The stream, or <see langword="null"/> when the caller has too many.</returns>
    private async Task<EventStream?> OpenAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var caller = OpenRequestsPerCaller.KeyOf(access.CallerOf(context), context);
        if (!_openByCaller.TryEnter(caller))
        {
            return null;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = EventStreamMediaType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // A stream lasts at most MaxEventStreamDuration; the client then reconnects with Last-Event-ID.
        var stream = new EventStream(this, context, caller, new CancellationTokenSource(_maxDuration, _time), cancellationToken, lifetime.ApplicationStopping);
        try
        {
            await stream.WriteAsync(Retry).ConfigureAwait(false);
        }
        catch (Exception exception) when (stream.Ends(exception))
        {
            // The client went as the stream began: the caller's first wait or write ends it, and disposes it.
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return stream;
    }

    private ProblemHttpResult TooManyStreams(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "5";
        return TypedResults.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many event streams.",
            detail: $"A caller may have at most {_openByCaller.Limit} event streams open at once; close one, or follow several jobs with GET {_links.Prefix}/events.");
    }

    /// <summary>One open stream: writes events, and ends with the request or the host.</summary>
    private sealed class EventStream : IAsyncDisposable
    {
        private readonly JobEventStreams _owner;
        private readonly HttpContext _context;
        private readonly string _caller;
        private readonly CancellationTokenSource _maxDuration;
        private readonly CancellationTokenSource _ending;

        public EventStream(JobEventStreams owner, HttpContext context, string caller, CancellationTokenSource maxDuration, CancellationToken request, CancellationToken stopping)
        {
            _owner = owner;
            _context = context;
            _caller = caller;
            _maxDuration = maxDuration;
            _ending = CancellationTokenSource.CreateLinkedTokenSource(request, stopping, maxDuration.Token);
            LastEventAt = owner._time.GetUtcNow();
            Interlocked.Increment(ref owner._openStreams);
        }

        /// <summary>Signalled when the client goes, the host stops, or the stream has lasted its longest.</summary>
        public CancellationToken Token => _ending.Token;

        /// <summary>When the last event was sent (its ID in a stream of every job), or the stream opened.</summary>
        public DateTimeOffset LastEventAt { get; private set; }

        public async Task WriteEventAsync(string? id, string name, JobRecord job)
        {
            LastEventAt = _owner._time.GetUtcNow();
            id ??= LastEventAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            var state = JobState.Of(job.ToSnapshot(), $"{_context.Request.PathBase}{_owner._links.Prefix}/{job.Id}");
            var data = JsonSerializer.SerializeToUtf8Bytes(state, _owner._serializerOptions);
            var header = Encoding.UTF8.GetBytes($"id: {id}\nevent: {name}\ndata: ");
            var body = _context.Response.Body;
            await body.WriteAsync(header, Token).ConfigureAwait(false);
            await body.WriteAsync(data, Token).ConfigureAwait(false);
            await body.WriteAsync(EventEnd, Token).ConfigureAwait(false);
            await body.FlushAsync(Token).ConfigureAwait(false);
        }

        public async Task WriteAsync(byte[] bytes)
        {
            await _context.Response.Body.WriteAsync(bytes, Token).ConfigureAwait(false);
            await _context.Response.Body.FlushAsync(Token).ConfigureAwait(false);
        }

        /// <summary>Whether <paramref name="exception"/> just means the stream is over: the client went, the host stops, or the store is unreachable (the client reconnects later).</summary>
        public bool Ends(Exception exception) =>
            exception is OperationCanceledException && Token.IsCancellationRequested
            || exception is IOException or JobStoreUnavailableException;

        public ValueTask DisposeAsync()
        {
            Interlocked.Decrement(ref _owner._openStreams);
            _owner._openByCaller.Exit(_caller);
            _ending.Dispose();
            _maxDuration.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
