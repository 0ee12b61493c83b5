using System.Net.Http.Json;
using System.Text.Json;
using LongJobs.Client.Resilience;

namespace LongJobs.Client.Tests.Support;

/// <summary>
/// A handler in the client's chain that lets the first request reach the server, then loses the server's answer:
/// it keeps its body and throws an <see cref="HttpRequestException"/>, as if the connection dropped after the
/// server acted. Later requests pass untouched. It records the <c>Idempotency-Key</c> of every request.
/// </summary>
internal sealed class FirstResponseLoss : DelegatingHandler
{
    private readonly Lock _gate = new();
    private readonly List<string?> _idempotencyKeys = [];
    private JsonElement? _lostBody;

    /// <summary>The JSON body of the answer that was lost; <see langword="null"/> until then.</summary>
    public JsonElement? LostBody
    {
        get
        {
            lock (_gate)
            {
                return _lostBody;
            }
        }
    }

    /// <summary>Each request's <c>Idempotency-Key</c> (<see langword="null"/> when it had none), in the order they were sent.</summary>
    public IReadOnlyList<string?> IdempotencyKeys
    {
        get
        {
            lock (_gate)
            {
                return [.. _idempotencyKeys];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        bool first;
        lock (_gate)
        {
            first = _idempotencyKeys.Count == 0;
            _idempotencyKeys.Add(request.Headers.TryGetValues(LongJobsResilienceHandler.IdempotencyKeyHeader, out var keys) ? string.Join(",", keys) : null);
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (!first)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            lock (_gate)
            {
                _lostBody = body;
            }
        }

        throw new HttpRequestException(HttpRequestError.ResponseEnded, "The connection was dropped before the response arrived (on purpose).");
    }
}
