using System.Collections.Concurrent;
using LongJobs.Server.Security;
using Microsoft.AspNetCore.Http;

namespace LongJobs.Server.Api;

/// <summary>
/// Counts the long-lived requests (event streams, long-polls) each caller has open on this server, up to a limit.
/// Callers are told apart by their owner identifier, or anonymous ones by address.
/// </summary>
internal sealed class OpenRequestsPerCaller(int limit)
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>The most requests one caller may have open.</summary>
    public int Limit => limit;

    /// <summary>The key <paramref name="caller"/> is counted under.</summary>
    public static string KeyOf(JobCaller caller, HttpContext context) =>
        caller.Owner ?? "address:" + context.Connection.RemoteIpAddress;

    /// <summary>Counts one more open request of <paramref name="key"/>, unless it has <see cref="Limit"/> already.</summary>
    /// <returns>Whether the request may stay open; if so, call <see cref="Exit"/> when it ends.</returns>
    public bool TryEnter(string key)
    {
        if (_open.AddOrUpdate(key, 1, static (_, open) => open + 1) <= limit)
        {
            return true;
        }

        Exit(key);
        return false;
    }

    /// <summary>Counts one request of <paramref name="key"/> less.</summary>
    public void Exit(string key)
    {
        if (_open.AddOrUpdate(key, 0, static (_, open) => open - 1) <= 0)
        {
            _open.TryRemove(KeyValuePair.Create(key, 0));
        }
    }
}
