using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LongJobs.Server.Security;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Api;

/// <summary>
/// The hostile-input corpus that the API runs on every store: requests an attacker or a broken client sends, each with
/// the answer it must get: a 4xx problem (RFC 9457), or a 2xx where the input is valid; never a 5xx, never a hang.
/// <c>BadInputTests</c> runs it on the in-memory store, one test per request; <c>HostileInputTests</c> in
/// LongJobs.Server.PostgreSql.Tests (which links this file) runs it on PostgreSQL. The server under test has the kinds
/// <c>gated</c> and <c>failing</c> (<c>TestJobs.cs</c>), and what <see cref="Configure"/>, <see cref="AddNotifications"/>
/// and <see cref="AddServices"/> set up.
/// </summary>
internal static class HostileRequests
{
    public const int MaxBodySize = 4096;

    /// <summary>The longest owner identifier the API accepts (README, Security).</summary>
    public const int MaxOwnerLength = 512;

    /// <summary>
    /// A request that must be answered with <paramref name="Expected"/>; <paramref name="Field"/> is the error key it must
    /// name, if any; <paramref name="Headers"/> are sent as they are, unvalidated.
    /// </summary>
    public sealed record BadRequest(HttpMethod Method, string Url, string? ContentType, byte[]? Body, HttpStatusCode Expected, string? Field = null, (string Name, string[] Values)[]? Headers = null)
    {
        /// <summary>Whether the request is valid after all, and starts a job.</summary>
        public bool StartsAJob => Expected == HttpStatusCode.Accepted;
    }

    public const string CallbackHeader = "LongJobs-Callback-Url";
    public const string EmailHeader = "LongJobs-Notify-Email";
    public const string NotBeforeHeader = "LongJobs-Not-Before";
    public const string DelayHeader = "LongJobs-Delay";
    private const string Fine = """{"gateKey":"a"}""";
    private const string OneItemBatch = """[{"request":{"gateKey":"a"}}]""";

    public static readonly string NestedJson =
        """{"gateKey":"a","extra":""" + new string('[', 1000) + new string(']', 1000) + "}";

    public static readonly Dictionary<string, BadRequest> Cases = new(StringComparer.Ordinal)
    {
        ["malformed JSON"] = Post("""{gateKey: a}"""),
        ["truncated JSON"] = Post("""{"gateKey":"a","val"""),
        ["wrong types"] = Post("""{"gateKey":5,"value":"five"}"""),
        ["wrong type of one property"] = Post("""{"gateKey":"a","value":"five"}""", field: "$.value"),
        ["JSON null"] = Post("null", field: "$"),
        ["empty body"] = Post(""),
        ["JSON array"] = Post("[]"),
        ["JSON string"] = Post("\"gateKey\""),
        ["missing required property"] = Post("""{"value":1}"""),
        ["property named twice"] = Post("""{"gateKey":"a","value":1,"value":2}"""),
        ["property named twice in another case"] = Post("""{"gateKey":"a","GATEKEY":"b"}"""),
        ["failed validation"] = Post("""{"gateKey":"","value":5000}""", field: "gateKey"),
        ["too long string"] = Post($$"""{"gateKey":"{{new string('k', 41)}}"}""", field: "gateKey"),
        ["huge number"] = Post("""{"gateKey":"a","value":99999999999999999999999999}"""),
        ["huge exponent"] = Post("""{"gateKey":"a","value":1e400}"""),
        ["fraction for an integer"] = Post("""{"gateKey":"a","value":1.5}"""),
        ["deeply nested JSON"] = Post(NestedJson),
        ["invalid UTF-8"] = new(HttpMethod.Post, "/api/jobs/gated", "application/json", [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], HttpStatusCode.BadRequest),
        ["body over the size limit"] = Post($$"""{"gateKey":"a","padding":"{{new string('x', MaxBodySize)}}"}""", expected: HttpStatusCode.RequestEntityTooLarge),
        ["text/plain content type"] = new(HttpMethod.Post, "/api/jobs/gated", "text/plain", Encoding.UTF8.GetBytes("""{"gateKey":"a"}"""), HttpStatusCode.UnsupportedMediaType),
        ["form content type"] = new(HttpMethod.Post, "/api/jobs/gated", "application/x-www-form-urlencoded", Encoding.UTF8.GetBytes("gateKey=a"), HttpStatusCode.UnsupportedMediaType),
        ["no content type"] = new(HttpMethod.Post, "/api/jobs/gated", null, Encoding.UTF8.GetBytes("""{"gateKey":"a"}"""), HttpStatusCode.UnsupportedMediaType),
        ["unknown kind"] = new(HttpMethod.Post, "/api/jobs/no-such-kind", "application/json", Encoding.UTF8.GetBytes("{}"), HttpStatusCode.NotFound),
        ["invalid GUID on GET"] = new(HttpMethod.Get, "/api/jobs/not-a-guid", null, null, HttpStatusCode.BadRequest, "id"),
        ["invalid GUID on typed GET"] = new(HttpMethod.Get, "/api/jobs/gated/12345", null, null, HttpStatusCode.BadRequest, "id"),
        ["invalid GUID on DELETE"] = new(HttpMethod.Delete, "/api/jobs/not-a-guid", null, null, HttpStatusCode.BadRequest, "id"),
        ["non-numeric wait"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=soon", null, null, HttpStatusCode.BadRequest, "wait"),
        ["fractional wait"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=1.5", null, null, HttpStatusCode.BadRequest, "wait"),
        ["overflowing wait"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=99999999999", null, null, HttpStatusCode.BadRequest, "wait"),
        ["PUT on a job"] = new(HttpMethod.Put, $"/api/jobs/{Guid.NewGuid()}", "application/json", Encoding.UTF8.GetBytes("{}"), HttpStatusCode.MethodNotAllowed),
        ["PATCH on a kind"] = new(HttpMethod.Patch, "/api/jobs/gated", "application/json", Encoding.UTF8.GetBytes("{}"), HttpStatusCode.MethodNotAllowed),
        ["DELETE on the list"] = new(HttpMethod.Delete, "/api/jobs", null, null, HttpStatusCode.MethodNotAllowed),
        ["POST on the list"] = new(HttpMethod.Post, "/api/jobs", "application/json", Encoding.UTF8.GetBytes("{}"), HttpStatusCode.MethodNotAllowed),
        ["negative number"] = Post("""{"gateKey":"a","value":-5}""", field: "value"),
        ["absurdly large number"] = Post("""{"gateKey":"a","value":1000000}""", field: "value"),
        ["number past Int32"] = Post("""{"gateKey":"a","value":2147483648}"""),
        ["NaN"] = Post("""{"gateKey":"a","value":NaN}"""),
        ["trailing garbage"] = Post("""{"gateKey":"a"} x"""),
        ["comment"] = Post("""{"gateKey":"a" /* hi */}"""),
        ["trailing comma"] = Post("""{"gateKey":"a",}"""),
        ["single quotes"] = Post("{'gateKey':'a'}"),
        ["object for a string"] = Post("""{"gateKey":{"a":1}}"""),
        ["XML"] = new(HttpMethod.Post, "/api/jobs/gated", "application/xml", Encoding.UTF8.GetBytes("<gated><gateKey>a</gateKey></gated>"), HttpStatusCode.UnsupportedMediaType),
        ["path traversal as a kind"] = new(HttpMethod.Post, "/api/jobs/..%2F..%2Fetc%2Fpasswd", "application/json", Encoding.UTF8.GetBytes("{}"), HttpStatusCode.NotFound),
        ["very long kind"] = new(HttpMethod.Post, "/api/jobs/" + new string('k', 6000), "application/json", Encoding.UTF8.GetBytes("{}"), HttpStatusCode.NotFound),
        ["GUID with a suffix"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}x", null, null, HttpStatusCode.BadRequest, "id"),
        ["invalid GUID for events"] = new(HttpMethod.Get, "/api/jobs/nope/events", null, null, HttpStatusCode.BadRequest, "id"),
        ["events of an unknown job with a garbage Last-Event-ID"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}/events", null, null, HttpStatusCode.NotFound, Headers: [("Last-Event-ID", ["%%%"])]),
        ["unknown job"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}", null, null, HttpStatusCode.NotFound),
        ["negative wait"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=-1", null, null, HttpStatusCode.BadRequest, "wait"),
        ["unknown status filter"] = new(HttpMethod.Get, "/api/jobs?status=Done", null, null, HttpStatusCode.BadRequest, "status"),
        ["numeric status filter"] = new(HttpMethod.Get, "/api/jobs?status=1", null, null, HttpStatusCode.BadRequest, "status"),
        ["page size zero"] = new(HttpMethod.Get, "/api/jobs?pageSize=0", null, null, HttpStatusCode.BadRequest, "pageSize"),
        ["page size too large"] = new(HttpMethod.Get, "/api/jobs?pageSize=100000", null, null, HttpStatusCode.BadRequest, "pageSize"),
        ["truncated page token"] = new(HttpMethod.Get, "/api/jobs?pageToken=AAAAAAAA", null, null, HttpStatusCode.BadRequest, "pageToken"),
        ["garbage page token"] = new(HttpMethod.Get, "/api/jobs?pageToken=%3Cscript%3E", null, null, HttpStatusCode.BadRequest, "pageToken"),
        ["empty quoted Idempotency-Key"] = Post(Fine, field: "Idempotency-Key", headers: [("Idempotency-Key", ["\"\""])]),
        ["too long Idempotency-Key"] = Post(Fine, field: "Idempotency-Key", headers: [("Idempotency-Key", [new string('k', 300)])]),
        ["Idempotency-Key with a space"] = Post(Fine, field: "Idempotency-Key", headers: [("Idempotency-Key", ["a b"])]),
        ["two Idempotency-Keys"] = Post(Fine, field: "Idempotency-Key", headers: [("Idempotency-Key", ["one", "two"])]),
        ["relative callback URL"] = Post(Fine, field: CallbackHeader, headers: [(CallbackHeader, ["/hooks/done"])]),
        ["callback URL to a host not allowed"] = Post(Fine, field: CallbackHeader, headers: [(CallbackHeader, ["https://evil.example.com/x"])]),
        ["callback URL to the cloud metadata address"] = Post(Fine, field: CallbackHeader, headers: [(CallbackHeader, ["http://169.254.169.254/latest/meta-data"])]),
        ["callback URL to loopback"] = Post(Fine, field: CallbackHeader, headers: [(CallbackHeader, ["https://127.0.0.1/hook"])]),
        ["callback URL with credentials"] = Post(Fine, field: CallbackHeader, headers: [(CallbackHeader, ["https://user:secret@hooks.allowed.test/x"])]),
        ["callback URL over ftp"] = Post(Fine, field: CallbackHeader, headers: [(CallbackHeader, ["ftp://hooks.allowed.test/x"])]),
        ["plain http callback URL"] = Post(Fine, field: CallbackHeader, headers: [(CallbackHeader, ["http://hooks.allowed.test/x"])]),
        ["very long callback URL"] = Post(Fine, field: CallbackHeader, headers: [(CallbackHeader, ["https://hooks.allowed.test/" + new string('x', 3000)])]),
        ["two callback URLs"] = Post(Fine, field: CallbackHeader, headers: [(CallbackHeader, ["https://hooks.allowed.test/a", "https://hooks.allowed.test/b"])]),
        ["not an email address"] = Post(Fine, field: EmailHeader, headers: [(EmailHeader, ["not-an-address"])]),
        ["email to a domain not allowed"] = Post(Fine, field: EmailHeader, headers: [(EmailHeader, ["someone@evil.test"])]),
        ["email with a display name"] = Post(Fine, field: EmailHeader, headers: [(EmailHeader, ["\"Boss\" <boss@allowed.test>"])]),
        ["two email recipients in one value"] = Post(Fine, field: EmailHeader, headers: [(EmailHeader, ["a@allowed.test, b@allowed.test"])]),
        ["email header sent twice"] = Post(Fine, field: EmailHeader, headers: [(EmailHeader, ["a@allowed.test", "b@allowed.test"])]),
        ["start time without an offset"] = Post(Fine, field: NotBeforeHeader, headers: [(NotBeforeHeader, ["2030-01-01T00:00:00"])]),
        ["start time as a date only"] = Post(Fine, field: NotBeforeHeader, headers: [(NotBeforeHeader, ["2030-01-01"])]),
        ["start time in words"] = Post(Fine, field: NotBeforeHeader, headers: [(NotBeforeHeader, ["tomorrow"])]),
        ["start time past the calendar's end"] = Post(Fine, field: NotBeforeHeader, headers: [(NotBeforeHeader, ["9999-12-31T23:59:59-14:00"])]),
        ["start time before the calendar's start"] = Post(Fine, field: NotBeforeHeader, headers: [(NotBeforeHeader, ["0001-01-01T00:00:00+14:00"])]),
        ["start time sent twice"] = Post(Fine, field: NotBeforeHeader, headers: [(NotBeforeHeader, ["2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z"])]),
        ["negative delay"] = Post(Fine, field: DelayHeader, headers: [(DelayHeader, ["-5"])]),
        ["fractional delay"] = Post(Fine, field: DelayHeader, headers: [(DelayHeader, ["1.5"])]),
        ["delay past Int64"] = Post(Fine, field: DelayHeader, headers: [(DelayHeader, ["99999999999999999999"])]),
        ["delay over ten years"] = Post(Fine, field: DelayHeader, headers: [(DelayHeader, ["316224001"])]),
        ["start time on a batch"] = new(HttpMethod.Post, "/api/jobs/gated/batch", "application/json", Encoding.UTF8.GetBytes(OneItemBatch), HttpStatusCode.BadRequest, DelayHeader, [(DelayHeader, ["60"])]),
        ["delay and start time together"] = Post(Fine, field: DelayHeader, headers: [(DelayHeader, ["5"]), (NotBeforeHeader, ["2030-01-01T00:00:00Z"])]),
        ["invalid GUID on cancel"] = new(HttpMethod.Post, "/api/jobs/not-a-guid/cancel", null, null, HttpStatusCode.BadRequest, "id"),
        ["cancel of an unknown job"] = new(HttpMethod.Post, $"/api/jobs/{Guid.NewGuid()}/cancel", null, null, HttpStatusCode.NotFound),
        ["DELETE of an unknown job"] = new(HttpMethod.Delete, $"/api/jobs/{Guid.NewGuid()}", null, null, HttpStatusCode.NotFound),
        ["GET on cancel"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}/cancel", null, null, HttpStatusCode.MethodNotAllowed),
        ["PUT on cancel"] = new(HttpMethod.Put, $"/api/jobs/{Guid.NewGuid()}/cancel", "application/json", Encoding.UTF8.GetBytes("{}"), HttpStatusCode.MethodNotAllowed),
        ["negative wait with If-None-Match"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=-1", null, null, HttpStatusCode.BadRequest, "wait", [("If-None-Match", ["\"1\""])]),
        ["If-None-Match * on an unknown job"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=30", null, null, HttpStatusCode.NotFound, Headers: [("If-None-Match", ["*"])]),
        ["hostile If-None-Match on an unknown job"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}", null, null, HttpStatusCode.NotFound, Headers: [("If-None-Match", ["W/\"\\\"\", , ,*"])]),
        ["bad body with Prefer: wait"] = Post("""{"gateKey":""}""", field: "gateKey", headers: [("Prefer", ["wait=30"])]),

        // What PostgreSQL refuses in text (NUL) or cannot encode (a lone surrogate): refused before any store, or kept
        // as JSON escapes where the JSON is valid.
        ["NUL escaped in a string"] = Post("""{"gateKey":"a\u0000b"}""", expected: HttpStatusCode.Accepted),
        ["lone high surrogate escaped in a string"] = Post("""{"gateKey":"\ud800"}"""),
        ["lone low surrogate escaped in a string"] = Post("""{"gateKey":"a\udc00b"}"""),
        ["raw NUL byte in a string"] = Bytes("{\"gateKey\":\"a"u8, [0x00], "\"}"u8),
        ["raw control character in a string"] = Bytes("{\"gateKey\":\"a"u8, [0x01], "\"}"u8),
        ["overlong UTF-8"] = Bytes("{\"gateKey\":\"a"u8, [0xC0, 0xAF], "\"}"u8),
        ["UTF-8 encoded surrogate"] = Bytes("{\"gateKey\":\"a"u8, [0xED, 0xA0, 0x80], "\"}"u8),
        ["UTF-8 past U+10FFFF"] = Bytes("{\"gateKey\":\"a"u8, [0xF4, 0x90, 0x80, 0x80], "\"}"u8),
        ["UTF-16 body"] = new(HttpMethod.Post, "/api/jobs/gated", "application/json", Encoding.Unicode.GetBytes(Fine), HttpStatusCode.BadRequest),
        ["decomposed Unicode in a string"] = Post("{\"gateKey\":\"e\u0301\u202Ex\"}", expected: HttpStatusCode.Accepted),
        ["huge string"] = Post($$"""{"gateKey":"{{new string('k', MaxBodySize - 100)}}"}""", field: "gateKey"),
        ["huge string of escapes"] = Post($$"""{"gateKey":"{{string.Concat(Enumerable.Repeat("\\u0000", 600))}}"}""", field: "gateKey"),
        ["deeply nested object"] = Post("""{"gateKey":"a","extra":""" + string.Concat(Enumerable.Repeat("""{"a":""", 500)) + "1" + new string('}', 500) + "}"),
        ["negative zero"] = Post("""{"gateKey":"a","value":-0}""", expected: HttpStatusCode.Accepted),
        ["negative zero as a fraction"] = Post("""{"gateKey":"a","value":-0.0}"""),
        ["exponent for an integer"] = Post("""{"gateKey":"a","value":1e2}"""),
        ["negative huge exponent"] = Post("""{"gateKey":"a","value":-1e400}"""),
        ["tiny exponent"] = Post("""{"gateKey":"a","value":1e-400}"""),
        ["huge negative integer"] = Post("""{"gateKey":"a","value":-99999999999999999999999999}"""),
        ["Infinity"] = Post("""{"gateKey":"a","value":Infinity}"""),
        ["leading zeros"] = Post("""{"gateKey":"a","value":007}"""),
        ["JSON true"] = Post("true"),
        ["JSON number"] = Post("42"),
        ["whitespace only"] = Post("  \r\n\t "),
        ["two JSON objects"] = Post("""{"gateKey":"a"}{"gateKey":"b"}"""),
        ["a +json content type"] = new(HttpMethod.Post, "/api/jobs/gated", "application/problem+json", Encoding.UTF8.GetBytes(Fine), HttpStatusCode.Accepted),
        ["kind in another case"] = new(HttpMethod.Post, "/api/jobs/GATED", "application/json", Encoding.UTF8.GetBytes(Fine), HttpStatusCode.Accepted),

        // Batches: a body that is not an array of items is refused whole; hostile items are answered one by one (200) and
        // start nothing.
        ["batch of malformed JSON"] = Batch("""[{"request":{gateKey: a}}]"""),
        ["batch as an object"] = Batch("""{"request":{"gateKey":"a"}}""", field: "$"),
        ["batch as JSON null"] = Batch("null", field: "$"),
        ["empty batch body"] = Batch(""),
        ["batch of invalid UTF-8"] = new(HttpMethod.Post, "/api/jobs/gated/batch", "application/json", [0x5B, 0x22, 0xC3, 0x28, 0x22, 0x5D], HttpStatusCode.BadRequest),
        ["batch nested too deep"] = Batch("[" + NestedJson + "]"),
        ["batch over the size limit"] = Batch("[{\"request\":{\"gateKey\":\"a\",\"padding\":\"" + new string('x', MaxBodySize) + "\"}}]", expected: HttpStatusCode.RequestEntityTooLarge),
        ["batch of more items than allowed"] = Batch("[" + string.Join(",", Enumerable.Repeat("{}", 1001)) + "]", expected: HttpStatusCode.RequestEntityTooLarge),
        ["batch as text/plain"] = new(HttpMethod.Post, "/api/jobs/gated/batch", "text/plain", Encoding.UTF8.GetBytes("[]"), HttpStatusCode.UnsupportedMediaType),
        ["batch of an unknown kind"] = new(HttpMethod.Post, "/api/jobs/no-such-kind/batch", "application/json", Encoding.UTF8.GetBytes("[]"), HttpStatusCode.NotFound),
        ["empty batch"] = Batch("[]", expected: HttpStatusCode.OK),
        ["batch of hostile items"] = Batch(
            """
            [{"request":{"gateKey":"\ud800"}},{"request":{"gateKey":"a","value":1e400}},{"request":null},null,7,"x",[],
             {"request":{"gateKey":"a"},"idempotencyKey":"a\u0000b"},{"request":{"gateKey":"a"},"idempotencyKey":""},
             {"request":{"gateKey":"a"},"callbackUrl":"http://169.254.169.254/latest/meta-data"},
             {"request":{"gateKey":"a"},"notifyEmail":"someone@evil.test"},{"request":{"gateKey":"a","gateKey":"b"}},
             {"request":{"gateKey":"a"},"request":{"gateKey":"b"}}]
            """,
            expected: HttpStatusCode.OK),

        // Identifiers: never anything but a GUID reaches a store. (A NUL in the path never reaches the app: Kestrel
        // refuses it, and TestServer's client cannot send it.)
        ["empty GUID"] = new(HttpMethod.Get, $"/api/jobs/{Guid.Empty}", null, null, HttpStatusCode.NotFound),
        ["GUID in braces"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid():B}", null, null, HttpStatusCode.NotFound),
        ["very long ID"] = new(HttpMethod.Get, "/api/jobs/" + new string('9', 5000), null, null, HttpStatusCode.BadRequest, "id"),

        // Waits.
        ["NUL as the wait"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=%00", null, null, HttpStatusCode.BadRequest, "wait"),
        ["largest wait on an unknown job"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=2147483647", null, null, HttpStatusCode.NotFound),
        ["smallest wait"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=-2147483648", null, null, HttpStatusCode.BadRequest, "wait"),
        ["wait in hex"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=0x10", null, null, HttpStatusCode.BadRequest, "wait"),

        // List filters and page tokens.
        ["NUL as the kind filter"] = new(HttpMethod.Get, "/api/jobs?kind=%00", null, null, HttpStatusCode.BadRequest, "kind"),
        ["NUL inside the kind filter"] = new(HttpMethod.Get, "/api/jobs?kind=gated%00", null, null, HttpStatusCode.BadRequest, "kind"),
        ["lone surrogate as the kind filter"] = new(HttpMethod.Get, "/api/jobs?kind=%ED%A0%80", null, null, HttpStatusCode.BadRequest, "kind"),
        ["huge kind filter"] = new(HttpMethod.Get, "/api/jobs?kind=" + new string('k', 10_000), null, null, HttpStatusCode.BadRequest, "kind"),
        ["kind filter in another case"] = new(HttpMethod.Get, "/api/jobs?kind=Gated", null, null, HttpStatusCode.OK),
        ["kind filter of no kind"] = new(HttpMethod.Get, "/api/jobs?kind=no-such-kind", null, null, HttpStatusCode.OK),
        ["kind filter with SQL"] = new(HttpMethod.Get, "/api/jobs?kind=gated'%20OR%20'1'='1", null, null, HttpStatusCode.BadRequest, "kind"),
        ["NUL as the kind filter of events"] = new(HttpMethod.Get, "/api/jobs/events?kind=%00", null, null, HttpStatusCode.BadRequest, "kind"),
        ["huge kind filter of events"] = new(HttpMethod.Get, "/api/jobs/events?kind=" + new string('k', 10_000), null, null, HttpStatusCode.BadRequest, "kind"),
        ["lower-case status filter"] = new(HttpMethod.Get, "/api/jobs?status=queued", null, null, HttpStatusCode.BadRequest, "status"),
        ["NUL as the status filter"] = new(HttpMethod.Get, "/api/jobs?status=%00", null, null, HttpStatusCode.BadRequest, "status"),
        ["two status filters"] = new(HttpMethod.Get, "/api/jobs?status=Queued&status=Failed", null, null, HttpStatusCode.BadRequest, "status"),
        ["negative page size"] = new(HttpMethod.Get, "/api/jobs?pageSize=-1", null, null, HttpStatusCode.BadRequest, "pageSize"),
        ["page size past Int32"] = new(HttpMethod.Get, "/api/jobs?pageSize=99999999999", null, null, HttpStatusCode.BadRequest, "pageSize"),
        ["page size as an exponent"] = new(HttpMethod.Get, "/api/jobs?pageSize=1e2", null, null, HttpStatusCode.BadRequest, "pageSize"),
        ["page token past the latest instant"] = new(HttpMethod.Get, "/api/jobs?pageToken=" + PageToken(long.MaxValue, Guid.NewGuid()), null, null, HttpStatusCode.BadRequest, "pageToken"),
        ["page token before the earliest instant"] = new(HttpMethod.Get, "/api/jobs?pageToken=" + PageToken(-1, Guid.NewGuid()), null, null, HttpStatusCode.BadRequest, "pageToken"),
        ["page token with NUL"] = new(HttpMethod.Get, "/api/jobs?pageToken=" + PageToken(0, Guid.Empty)[..31] + "%00", null, null, HttpStatusCode.BadRequest, "pageToken"),
        ["page token too long"] = new(HttpMethod.Get, "/api/jobs?pageToken=" + PageToken(0, Guid.Empty) + "AAAA", null, null, HttpStatusCode.BadRequest, "pageToken"),
        ["page token at the first instant"] = new(HttpMethod.Get, "/api/jobs?pageToken=" + PageToken(0, Guid.Empty), null, null, HttpStatusCode.OK),
        ["page token at the last instant"] = new(HttpMethod.Get, "/api/jobs?pageToken=" + PageToken(DateTimeOffset.MaxValue.UtcTicks, Guid.NewGuid()), null, null, HttpStatusCode.OK),
        ["page token of a forged job"] = new(HttpMethod.Get, "/api/jobs?pageSize=100&pageToken=" + PageToken(DateTimeOffset.UnixEpoch.AddYears(30).UtcTicks + 7, Guid.NewGuid()), null, null, HttpStatusCode.OK),
        ["Last-Event-ID past the latest instant on an unknown job's events"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}/events", null, null, HttpStatusCode.NotFound, Headers: [("Last-Event-ID", [long.MaxValue.ToString(CultureInfo.InvariantCulture)])]),

        // Idempotency keys: visible ASCII only.
        ["Idempotency-Key with NUL"] = Post(Fine, field: "Idempotency-Key", headers: [("Idempotency-Key", ["a\0b"])]),
        ["Idempotency-Key with a control character"] = Post(Fine, field: "Idempotency-Key", headers: [("Idempotency-Key", ["a\u007Fb"])]),
        ["Idempotency-Key with a tab"] = Post(Fine, field: "Idempotency-Key", headers: [("Idempotency-Key", ["a\tb"])]),
        ["non-ASCII Idempotency-Key"] = Post(Fine, field: "Idempotency-Key", headers: [("Idempotency-Key", ["ключ"])]),
        ["huge Idempotency-Key"] = Post(Fine, field: "Idempotency-Key", headers: [("Idempotency-Key", [new string('k', 100_000)])]),
        ["Idempotency-Key of one quote"] = Post(Fine, expected: HttpStatusCode.Accepted, headers: [("Idempotency-Key", ["\""])]),
        ["Idempotency-Key of SQL"] = Post(Fine, expected: HttpStatusCode.Accepted, headers: [("Idempotency-Key", ["');DROP_TABLE_jobs;--"])]),
        ["Idempotency-Key of the longest length"] = Post(Fine, expected: HttpStatusCode.Accepted, headers: [("Idempotency-Key", [new string('~', 255)])]),

        // Notification headers with encoded line breaks: kept in the URL, never a header of the webhook.
        ["callback URL with an encoded line break"] = Post(Fine, expected: HttpStatusCode.Accepted, headers: [(CallbackHeader, ["https://hooks.allowed.test/a%0D%0ALocation:%20https://evil.example.com"])]),
        ["email address with NUL"] = Post(Fine, field: EmailHeader, headers: [(EmailHeader, ["a\0b@allowed.test"])]),

        // Owners an identity provider or an application's resolver may produce (sent in X-Test-Owner, see TestOwnerResolver).
        ["owner with NUL starting a job"] = Post(Fine, expected: HttpStatusCode.BadRequest, headers: [Owner("user\0admin")]),
        ["owner with NUL listing jobs"] = new(HttpMethod.Get, "/api/jobs", null, null, HttpStatusCode.BadRequest, Headers: [Owner("\0")]),
        ["owner with NUL streaming events"] = new(HttpMethod.Get, "/api/jobs/events", null, null, HttpStatusCode.BadRequest, Headers: [Owner("\0")]),
        ["owner with a lone surrogate starting a job"] = Post(Fine, expected: HttpStatusCode.BadRequest, headers: [Owner("user\ud800")]),
        ["owner with a lone surrogate listing jobs"] = new(HttpMethod.Get, "/api/jobs", null, null, HttpStatusCode.BadRequest, Headers: [Owner("\udfff")]),
        ["owner with a control character"] = Post(Fine, expected: HttpStatusCode.BadRequest, headers: [Owner("user\u001B[31m")]),
        ["huge owner starting a job"] = Post(Fine, expected: HttpStatusCode.BadRequest, headers: [Owner(RandomText(10_000))]),
        ["huge owner with an Idempotency-Key"] = Post(Fine, expected: HttpStatusCode.BadRequest, headers: [Owner(RandomText(3_000)), ("Idempotency-Key", ["k"])]),
        ["huge owner listing jobs"] = new(HttpMethod.Get, "/api/jobs", null, null, HttpStatusCode.BadRequest, Headers: [Owner(RandomText(10_000))]),
        ["owner of the longest length"] = Post(Fine, expected: HttpStatusCode.Accepted, headers: [Owner(RandomText(MaxOwnerLength)), ("Idempotency-Key", [new string('k', 255)])]),
        ["owner of astral characters"] = Post(Fine, expected: HttpStatusCode.Accepted, headers: [Owner(string.Concat(Enumerable.Repeat("\U0001F600", MaxOwnerLength / 2)))]),
        ["owner in another normalisation form"] = Post(Fine, expected: HttpStatusCode.Accepted, headers: [Owner("Zoe\u0308")]),
    };

    /// <summary>
    /// Hostile or malformed <c>If-None-Match</c> and <c>Prefer</c> values on a finished job's routes and on start: each
    /// is ignored (a preference, or a condition the server cannot read, is as if not sent), so the request is answered
    /// as without it; never a 5xx. <c>{0}</c> in the URL is the finished job's ID.
    /// </summary>
    public static readonly Dictionary<string, (HttpMethod Method, string Url, string Header, string Value, HttpStatusCode Expected)> IgnoredHeaders = new(StringComparer.Ordinal)
    {
        ["If-None-Match: an unquoted tag"] = (HttpMethod.Get, "/api/jobs/{0}", "If-None-Match", "12", HttpStatusCode.OK),
        ["If-None-Match: an unterminated tag"] = (HttpMethod.Get, "/api/jobs/{0}?wait=30", "If-None-Match", "\"12", HttpStatusCode.OK),
        ["If-None-Match: W/ alone"] = (HttpMethod.Get, "/api/jobs/gated/{0}", "If-None-Match", "W/", HttpStatusCode.OK),
        ["If-None-Match: tags without commas"] = (HttpMethod.Get, "/api/jobs/{0}", "If-None-Match", "\"1\" \"2\"", HttpStatusCode.OK),
        ["If-None-Match: only commas"] = (HttpMethod.Get, "/api/jobs/{0}", "If-None-Match", ", , ,", HttpStatusCode.OK),
        ["If-None-Match: a number too large for a version"] = (HttpMethod.Get, "/api/jobs/{0}?wait=30", "If-None-Match", "\"99999999999999999999999999\"", HttpStatusCode.OK),
        ["If-None-Match: a negative version"] = (HttpMethod.Get, "/api/jobs/{0}", "If-None-Match", "\"-1\"", HttpStatusCode.OK),
        ["If-None-Match: ten thousand tags"] = (HttpMethod.Get, "/api/jobs/{0}?wait=30", "If-None-Match", string.Join(", ", Enumerable.Range(1000, 2000).Select(n => $"\"{n}\"")), HttpStatusCode.OK),
        ["If-None-Match: one huge tag"] = (HttpMethod.Get, "/api/jobs/{0}", "If-None-Match", "\"" + new string('9', 8000) + "\"", HttpStatusCode.OK),
        ["If-None-Match: a script"] = (HttpMethod.Get, "/api/jobs/{0}", "If-None-Match", "<script>alert(1)</script>", HttpStatusCode.OK),
        ["If-None-Match on cancel"] = (HttpMethod.Post, "/api/jobs/{0}/cancel", "If-None-Match", "*", HttpStatusCode.OK),
        ["If-None-Match on start"] = (HttpMethod.Post, "/api/jobs/gated", "If-None-Match", "*", HttpStatusCode.Accepted),
        ["Prefer: a negative wait on GET"] = (HttpMethod.Get, "/api/jobs/{0}", "Prefer", "wait=-1", HttpStatusCode.OK),
        ["Prefer: a wait too long to read on GET"] = (HttpMethod.Get, "/api/jobs/{0}", "Prefer", "wait=99999999999999999999", HttpStatusCode.OK),
        ["Prefer: a wait that is not a number on GET"] = (HttpMethod.Get, "/api/jobs/{0}", "Prefer", "wait=soon", HttpStatusCode.OK),
        ["Prefer: a negative wait on start"] = (HttpMethod.Post, "/api/jobs/gated", "Prefer", "wait=-1", HttpStatusCode.Accepted),
        ["Prefer: a wait too long to read on start"] = (HttpMethod.Post, "/api/jobs/gated", "Prefer", "wait=2147483648", HttpStatusCode.Accepted),
        ["Prefer: a fractional wait on start"] = (HttpMethod.Post, "/api/jobs/gated", "Prefer", "wait=.5", HttpStatusCode.Accepted),
        ["Prefer: an empty wait on start"] = (HttpMethod.Post, "/api/jobs/gated", "Prefer", "wait=", HttpStatusCode.Accepted),
        ["Prefer: a wait in a quoted string on start"] = (HttpMethod.Post, "/api/jobs/gated", "Prefer", "wait=\"5\"", HttpStatusCode.Accepted),
        ["Prefer: a long junk value on start"] = (HttpMethod.Post, "/api/jobs/gated", "Prefer", string.Concat(Enumerable.Repeat("handling=strict; ", 400)), HttpStatusCode.Accepted),
        ["Prefer: waitx=5 on start"] = (HttpMethod.Post, "/api/jobs/gated", "Prefer", "waitx=5, xwait=5", HttpStatusCode.Accepted),
        ["another kind's route, with If-None-Match"] = (HttpMethod.Get, "/api/jobs/failing/{0}", "If-None-Match", "*", HttpStatusCode.NotFound),
        ["another kind's route, with a long wait"] = (HttpMethod.Get, "/api/jobs/failing/{0}?wait=60", "Prefer", "wait=60", HttpStatusCode.NotFound),
    };

    /// <summary>The options of the server under test: a small body limit, and links for notifications.</summary>
    public static void Configure(LongJobsOptions options) =>
        (options.MaxRequestBodySize, options.PublicBaseUrl) = (MaxBodySize, "https://jobs.example.com");

    /// <summary>Webhooks and email on, so that their headers are checked by their own rules.</summary>
    public static void AddNotifications(LongJobsBuilder jobs) => jobs
        .AddWebhooks(webhooks =>
        {
            webhooks.AllowedHosts.Add("hooks.allowed.test");
            webhooks.SigningKey = "whsec_" + Convert.ToBase64String(new byte[32]);
        })
        .AddEmail(email =>
        {
            email.Host = "smtp.allowed.test";
            email.From = "jobs@allowed.test";
            email.AllowedRecipientDomains.Add("allowed.test");
        });

    /// <summary>Registers <see cref="TestOwnerResolver"/> (before <c>AddLongJobs</c>, whose default it replaces).</summary>
    public static void AddServices(IServiceCollection services) => services.AddSingleton<IJobOwnerResolver, TestOwnerResolver>();

    /// <summary>Sends <paramref name="bad"/> and checks the answer.</summary>
    /// <returns>What is wrong with the answer, or <see langword="null"/> when it is the one expected.</returns>
    public static async Task<string?> CheckAsync(HttpClient client, string name, BadRequest bad)
    {
        using var message = new HttpRequestMessage(bad.Method, new Uri(bad.Url, UriKind.Relative));
        foreach (var (header, values) in bad.Headers ?? [])
        {
            if (!message.Headers.TryAddWithoutValidation(header, values))
            {
                return $"{name}: the header {header} cannot be sent.";
            }
        }

        if (bad.Body is not null)
        {
            message.Content = new ByteArrayContent(bad.Body);
            message.Content.Headers.ContentType = bad.ContentType is null ? null : MediaTypeHeaderValue.Parse(bad.ContentType);
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(message).WithSafetyTimeout();
        }
        catch (TimeoutException)
        {
            return $"{name}: no answer within {SafetyTimeout.Value}.";
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            if (bad.Expected != response.StatusCode)
            {
                return $"{name}: expected {(int)bad.Expected}, got {(int)response.StatusCode} {body}";
            }

            if (body.Contains(".cs:line", StringComparison.Ordinal))
            {
                return $"{name}: the answer shows a stack trace: {body}";
            }

            if (response.IsSuccessStatusCode)
            {
                return null;
            }

            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                return $"{name}: content type {response.Content.Headers.ContentType}, body {body}";
            }

            using var problem = System.Text.Json.JsonDocument.Parse(body);
            if (!problem.RootElement.TryGetProperty("status", out var status) || status.GetInt32() != (int)response.StatusCode)
            {
                return $"{name}: the problem's status is not the response's: {body}";
            }

            return bad.Field is not null && !(problem.RootElement.TryGetProperty("errors", out var errors) && errors.TryGetProperty(bad.Field, out _))
                ? $"{name}: no error for '{bad.Field}' in {body}"
                : null;
        }
    }

    /// <summary>Sends the request of <see cref="IgnoredHeaders"/> named <paramref name="name"/> about the finished job <paramref name="id"/> and checks the answer.</summary>
    /// <returns>What is wrong with the answer, or <see langword="null"/> when it is the one expected.</returns>
    public static async Task<string?> CheckIgnoredHeaderAsync(HttpClient client, string name, Guid id)
    {
        var (method, url, header, value, expected) = IgnoredHeaders[name];
        using var message = new HttpRequestMessage(method, new Uri(string.Format(CultureInfo.InvariantCulture, url, id), UriKind.Relative));
        if (!message.Headers.TryAddWithoutValidation(header, value))
        {
            return $"{name}: the header cannot be sent.";
        }

        if (method == HttpMethod.Post && url == "/api/jobs/gated")
        {
            message.Content = new StringContent("""{"gateKey":"finished"}""", Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(message).WithSafetyTimeout();
        return expected != response.StatusCode ? $"{name}: expected {(int)expected}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}"
            : response.Headers.Contains("Preference-Applied") ? $"{name}: a preference was applied."
            : null;
    }

    /// <summary>Lets every job that the valid requests of the corpus started finish, so that they free their slots.</summary>
    public static void ReleaseGatesOfValidCases(JobGates gates)
    {
        foreach (var request in Cases.Values.Where(request => request.StartsAJob))
        {
            using var json = System.Text.Json.JsonDocument.Parse(request.Body);
            gates[json.RootElement.GetProperty("gateKey").GetString()!].Release();
        }
    }

    private static BadRequest Post(string json, HttpStatusCode expected = HttpStatusCode.BadRequest, string? field = null, (string Name, string[] Values)[]? headers = null) =>
        new(HttpMethod.Post, "/api/jobs/gated", "application/json", Encoding.UTF8.GetBytes(json), expected, field, headers);

    /// <summary>A POST of <paramref name="json"/> to the batch route of <c>gated</c>.</summary>
    private static BadRequest Batch(string json, HttpStatusCode expected = HttpStatusCode.BadRequest, string? field = null) =>
        new(HttpMethod.Post, "/api/jobs/gated/batch", "application/json", Encoding.UTF8.GetBytes(json), expected, field);

    /// <summary>A POST of raw bytes, which need not be UTF-8.</summary>
    private static BadRequest Bytes(ReadOnlySpan<byte> before, byte[] middle, ReadOnlySpan<byte> after) =>
        new(HttpMethod.Post, "/api/jobs/gated", "application/json", [.. before, .. middle, .. after], HttpStatusCode.BadRequest);

    /// <summary>A page token as the server makes them (see <c>PageTokens</c>), for any instant, even one no job has.</summary>
    private static string PageToken(long ticks, Guid id)
    {
        var bytes = new byte[24];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, ticks);
        id.TryWriteBytes(bytes.AsSpan(8));
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The header that makes <paramref name="owner"/> the caller, whatever its characters (see <see cref="TestOwnerResolver"/>).</summary>
    private static (string Name, string[] Values) Owner(string owner) => (TestOwnerResolver.Header, [TestOwnerResolver.Encode(owner)]);

    /// <summary>Text that compresses badly (CJK ideographs, three bytes each in UTF-8), the same on every run.</summary>
    private static string RandomText(int length)
    {
        var random = new Random(length);
        return string.Create(length, random, static (span, random) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (char)random.Next(0x4E00, 0x9FFF);
            }
        });
    }
}
