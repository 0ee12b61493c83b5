namespace LongJobs.Client.Tests.Support;

/// <summary>
/// A handler in the client's chain that records every request that passes it (as <c>METHOD /path?query</c>) and
/// every response status, and lets a test await either.
/// </summary>
internal sealed class RequestLog : DelegatingHandler
{
    private const int Sent = 0;

    private readonly Lock _gate = new();
    private readonly List<(string Request, int Status)> _events = [];
    private readonly List<(Func<string, int, bool> Match, TaskCompletionSource Signal)> _waiters = [];

    /// <summary>The requests so far, in the order they were sent.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _events.Where(e => e.Status == Sent).Select(e => e.Request)];
            }
        }
    }

    /// <summary>How many sent requests start with <paramref name="prefix"/> (for example <c>"GET /api/jobs/"</c>).</summary>
    public int Count(string prefix) => Requests.Count(request => request.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Completes once a request starting with <paramref name="prefix"/> has been sent (earlier ones count).</summary>
    public Task WaitForRequestAsync(string prefix) =>
        WaitAsync((request, status) => status == Sent && request.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Completes once a request starting with <paramref name="prefix"/> got a <paramref name="status"/> response (earlier ones count).</summary>
    public Task WaitForResponseAsync(string prefix, int status) =>
        WaitAsync((request, code) => code == status && request.StartsWith(prefix, StringComparison.Ordinal));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var line = $"{request.Method} {request.RequestUri?.PathAndQuery}";
        Record(line, Sent);
        var response = await base.SendAsync(request, cancellationToken);
        Record(line, (int)response.StatusCode);
        return response;
    }

    private Task WaitAsync(Func<string, int, bool> match)
    {
        lock (_gate)
        {
            if (_events.Any(e => match(e.Request, e.Status)))
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, signal));
            return signal.Task.WaitAsync(TestTimeouts.Signal);
        }
    }

    private void Record(string request, int status)
    {
        List<TaskCompletionSource> matched;
        lock (_gate)
        {
            _events.Add((request, status));
            matched = [.. _waiters.Where(waiter => waiter.Match(request, status)).Select(waiter => waiter.Signal)];
            _waiters.RemoveAll(waiter => waiter.Match(request, status));
        }

        foreach (var signal in matched)
        {
            signal.TrySetResult();
        }
    }
}
