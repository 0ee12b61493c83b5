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
    private readonly List<(Func<List<(string Request, int Status)>, bool> Reached, TaskCompletionSource Signal)> _waiters = [];

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

    /// <summary>Completes once <paramref name="count"/> requests starting with <paramref name="prefix"/> have been sent (earlier ones count).</summary>
    public Task WaitForRequestAsync(string prefix, int count = 1) =>
        WaitAsync(events => events.Count(e => e.Status == Sent && e.Request.StartsWith(prefix, StringComparison.Ordinal)) >= count);

    /// <summary>Completes once a request starting with <paramref name="prefix"/> got a <paramref name="status"/> response (earlier ones count).</summary>
    public Task WaitForResponseAsync(string prefix, int status) =>
        WaitAsync(events => events.Any(e => e.Status == status && e.Request.StartsWith(prefix, StringComparison.Ordinal)));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var line = $"{request.Method} {request.RequestUri?.PathAndQuery}";
        Record(line, Sent);
        var response = await base.SendAsync(request, cancellationToken);
        Record(line, (int)response.StatusCode);
        return response;
    }

    private Task WaitAsync(Func<List<(string Request, int Status)>, bool> reached)
    {
        lock (_gate)
        {
            if (reached(_events))
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((reached, signal));
            return signal.Task.WaitAsync(TestTimeouts.Signal);
        }
    }

    private void Record(string request, int status)
    {
        List<TaskCompletionSource> signals;
        lock (_gate)
        {
            _events.Add((request, status));
            var done = _waiters.Where(waiter => waiter.Reached(_events)).ToList();
            _waiters.RemoveAll(done.Contains);
            signals = [.. done.Select(waiter => waiter.Signal)];
        }

        foreach (var signal in signals)
        {
            signal.TrySetResult();
        }
    }
}
