using System.Runtime.InteropServices;
using LongJobs.Server.Security;
using Microsoft.AspNetCore.Http;

namespace LongJobs.Server.Tests.Support;

/// <summary>
/// The caller's owner is any string at all, as an application's resolver or an identity provider may produce: the
/// header <see cref="Header"/> holds its UTF-16 code units in base64 (so NUL and lone surrogates travel intact).
/// </summary>
internal sealed class TestOwnerResolver : IJobOwnerResolver
{
    public const string Header = "X-Test-Owner";

    public static string Encode(string owner) => Convert.ToBase64String(MemoryMarshal.AsBytes(owner.AsSpan()));

    public string? GetOwner(HttpContext context) =>
        context.Request.Headers[Header].ToString() is { Length: > 0 } encoded
            ? new string(MemoryMarshal.Cast<byte, char>(Convert.FromBase64String(encoded)))
            : null;
}
