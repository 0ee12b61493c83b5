using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace LongJobs.Server.Notifications.Webhooks;

/// <summary>
/// Connects webhook requests, refusing host names that resolve to loopback, private, link-local or other
/// non-public addresses (unless <see cref="WebhookOptions.AllowPrivateNetworks"/>): an allowed name whose DNS
/// answer changes to an internal address (DNS rebinding) cannot reach inside the network. An IP address written in
/// the URL was allowed by the list explicitly, so it is not checked.
/// </summary>
internal static class PrivateNetworkGuard
{
    /// <summary>A <see cref="SocketsHttpHandler.ConnectCallback"/> that connects only to addresses webhooks may reach.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(WebhookOptions options) =>
        async (context, cancellationToken) =>
        {
            var endpoint = context.DnsEndPoint;
            var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
            if (literal is null && !options.AllowPrivateNetworks && addresses.FirstOrDefault(IsNonPublic) is { } inside)
            {
                throw new WebhookAddressRefusedException($"The host '{endpoint.Host}' resolves to the non-public address {inside}; webhooks go to public addresses only (AllowPrivateNetworks).");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };

    /// <summary>Loopback, private (RFC 1918, unique local), link-local (cloud metadata), carrier-grade NAT, unspecified, multicast.</summary>
    internal static bool IsNonPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
        }

        var bytes = address.GetAddressBytes();
        return bytes[0] switch
        {
            0 or 10 or 127 => true,
            100 => bytes[1] is >= 64 and <= 127,
            169 => bytes[1] == 254,
            172 => bytes[1] is >= 16 and <= 31,
            192 => bytes[1] == 168,
            >= 224 => true,
            _ => false,
        };
    }
}

/// <summary>A webhook's host resolves to an address webhooks may not reach: a permanent failure, not retried.</summary>
internal sealed class WebhookAddressRefusedException(string message) : Exception(message);
