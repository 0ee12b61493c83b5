using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Api;

/// <summary>Every kind of bad input is a 4xx problem, never a 5xx, and leaves the server working.</summary>
public sealed class BadInputTests
{
    private const int MaxBodySize = 4096;

    /// <summary>
    /// A request that must be refused with <paramref name="Expected"/>; <paramref name="Field"/> is the error key it must
    /// name, if any; <paramref name="Headers"/> are sent as they are, unvalidated.
    /// </summary>
    public sealed record BadRequest(HttpMethod Method, string Url, string? ContentType, byte[]? Body, HttpStatusCode Expected, string? Field = null, (string Name, string[] Values)[]? Headers = null);

    private const string CallbackHeader = "LongJobs-Callback-Url";
    private const string EmailHeader = "LongJobs-Notify-Email";
    private const string Fine = """{"gateKey":"a"}""";

    private static readonly string NestedJson =
        """{"gateKey":"a","extra":""" + new string('[', 1000) + new string(']', 1000) + "}";

    private static readonly Dictionary<string, BadRequest> Cases = new(StringComparer.Ordinal)
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
        ["invalid GUID on cancel"] = new(HttpMethod.Post, "/api/jobs/not-a-guid/cancel", null, null, HttpStatusCode.BadRequest, "id"),
        ["cancel of an unknown job"] = new(HttpMethod.Post, $"/api/jobs/{Guid.NewGuid()}/cancel", null, null, HttpStatusCode.NotFound),
        ["DELETE of an unknown job"] = new(HttpMethod.Delete, $"/api/jobs/{Guid.NewGuid()}", null, null, HttpStatusCode.NotFound),
        ["GET on cancel"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}/cancel", null, null, HttpStatusCode.MethodNotAllowed),
        ["PUT on cancel"] = new(HttpMethod.Put, $"/api/jobs/{Guid.NewGuid()}/cancel", "application/json", Encoding.UTF8.GetBytes("{}"), HttpStatusCode.MethodNotAllowed),
        ["negative wait with If-None-Match"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=-1", null, null, HttpStatusCode.BadRequest, "wait", [("If-None-Match", ["\"1\""])]),
        ["If-None-Match * on an unknown job"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}?wait=30", null, null, HttpStatusCode.NotFound, Headers: [("If-None-Match", ["*"])]),
        ["hostile If-None-Match on an unknown job"] = new(HttpMethod.Get, $"/api/jobs/{Guid.NewGuid()}", null, null, HttpStatusCode.NotFound, Headers: [("If-None-Match", ["W/\"\\\"\", , ,*"])]),
        ["bad body with Prefer: wait"] = Post("""{"gateKey":""}""", field: "gateKey", headers: [("Prefer", ["wait=30"])]),
    };

    /// <summary>
    /// Hostile or malformed <c>If-None-Match</c> and <c>Prefer</c> values on a finished job's routes and on start: each
    /// is ignored (a preference, or a condition the server cannot read, is as if not sent), so the request is answered
    /// as without it; never a 5xx. <c>{0}</c> in the URL is the finished job's ID.
    /// </summary>
    private static readonly Dictionary<string, (HttpMethod Method, string Url, string Header, string Value, HttpStatusCode Expected)> IgnoredHeaders = new(StringComparer.Ordinal)
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
    };

    public static TheoryData<string> IgnoredHeaderNames => [.. IgnoredHeaders.Keys];

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Fact]
    public void TheCorpus_HasAtLeastFiftyHostileOrMalformedRequests() => Assert.True(Cases.Count >= 50, $"{Cases.Count} cases.");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Request_WithBadInput_Returns4xxProblemDetails(string name)
    {
        await using var api = await StartAsync();

        await SendAndCheckAsync(api, name, Cases[name]);

        Assert.Equal(0, api.Store.Count);
    }

    [Theory]
    [MemberData(nameof(IgnoredHeaderNames))]
    public async Task Request_WithAHostileIfNoneMatchOrPrefer_IsAnsweredAsWithoutIt(string name)
    {
        await using var api = await StartAsync();
        api.Gates["finished"].Release();
        var id = await api.StartGatedAsync("finished");
        await api.WaitUntilFinishedAsync(id);
        var (method, url, header, value, expected) = IgnoredHeaders[name];
        using var message = new HttpRequestMessage(method, new Uri(string.Format(System.Globalization.CultureInfo.InvariantCulture, url, id), UriKind.Relative));
        Assert.True(message.Headers.TryAddWithoutValidation(header, value), $"{name}: the header cannot be sent.");
        if (method == HttpMethod.Post && url == "/api/jobs/gated")
        {
            message.Content = TestApi.Json("""{"gateKey":"finished"}""");
        }

        using var response = await api.Client.SendAsync(message).WithSafetyTimeout();

        Assert.True(expected == response.StatusCode, $"{name}: expected {(int)expected}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Null(TestApi.Header(response, "Preference-Applied"));
    }

    [Fact]
    public async Task FailedValidation_NamesEachFieldInCamelCase()
    {
        await using var api = await StartAsync();

        using var response = await api.PostAsync("gated", """{"gateKey":"","value":-1}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        var fields = problem.GetProperty("errors").EnumerateObject().Select(field => field.Name).Order().ToList();
        Assert.Equal(["gateKey", "value"], fields);
        Assert.All(problem.GetProperty("errors").EnumerateObject(), field => Assert.NotEmpty(field.Value.EnumerateArray()));
    }

    [Fact]
    public async Task NumberSentAsAString_Returns400ValidationProblemForThatField()
    {
        await using var api = await StartAsync();

        using var response = await api.PostAsync("gated", """{"gateKey":"a","value":"5"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty("$.value", out _), problem.ToString());
        Assert.Equal(0, api.Store.Count);
    }

    [Theory]
    [InlineData("""{"gateKey":"a","value":"five"}""", null)]
    [InlineData("""{"gateKey":"a","value":true}""", null)]
    [InlineData("""{"value":1}""", "gateKey")]
    [InlineData("""{gateKey: a}""", null)]
    [InlineData("""{"gateKey":"a",""", null)]
    public async Task JsonError_Returns400WithoutDotNetTypeNames(string json, string? namedProperty)
    {
        await using var api = await StartAsync();

        using var response = await api.PostAsync("gated", json);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await TestApi.ReadProblemAsync(response);
        Assert.DoesNotContain("System.", body, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(GatedRequest), body, StringComparison.Ordinal);
        Assert.DoesNotContain("LongJobs.", body, StringComparison.Ordinal);
        if (namedProperty is not null)
        {
            Assert.Contains(namedProperty, body, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"gateKey":"a","value":"five"}""", "$.value", "The value has the wrong type or is out of range.")]
    [InlineData("""[1]""", "$", "The value has the wrong type or is out of range.")]
    [InlineData("""{"value":1}""", "$", "Required properties are missing: 'gateKey'.")]
    [InlineData("""{"value":"five"}""", "$.value", "The value has the wrong type or is out of range.")]
    [InlineData("""{gateKey: a}""", null, "The body is not well-formed JSON (line 1, byte 2).")]
    [InlineData(null, null, "The JSON is nested deeper than 64 levels (line 1, byte ")]
    public async Task JsonError_SaysWhatIsWrong_AndWhere(string? json, string? key, string message)
    {
        await using var api = await StartAsync();

        using var response = await api.PostAsync("gated", json ?? NestedJson);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = Assert.Single((await TestApi.ReadProblemAsync(response)).GetProperty("errors").EnumerateObject());
        if (key is not null)
        {
            Assert.Equal(key, error.Name);
        }

        Assert.StartsWith(message, Assert.Single(error.Value.EnumerateArray()).GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterEveryKindOfBadInput_ANormalJobStillSucceeds()
    {
        await using var api = await StartAsync();
        foreach (var (name, request) in Cases)
        {
            await SendAndCheckAsync(api, name, request);
        }

        api.Gates["fine"].Release();
        var id = await api.StartGatedAsync("fine", value: 50);
        var state = await api.WaitUntilFinishedAsync(id);

        Assert.Equal("Succeeded", state.GetProperty("status").GetString());
        Assert.Equal(100, state.GetProperty("result").GetProperty("doubledValue").GetInt32());
        Assert.Equal(1, api.Store.Count);
    }

    /// <summary>The API with webhooks and email on, so that their headers are checked by their own rules.</summary>
    private static Task<TestApi> StartAsync() => TestApi.StartAsync(
        options => (options.MaxRequestBodySize, options.PublicBaseUrl) = (MaxBodySize, "https://jobs.example.com"),
        addJobs: jobs => jobs
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
            }));

    private static async Task SendAndCheckAsync(TestApi api, string name, BadRequest bad)
    {
        using var message = new HttpRequestMessage(bad.Method, new Uri(bad.Url, UriKind.Relative));
        foreach (var (header, values) in bad.Headers ?? [])
        {
            Assert.True(message.Headers.TryAddWithoutValidation(header, values), $"{name}: the header {header} cannot be sent.");
        }

        if (bad.Body is not null)
        {
            message.Content = new ByteArrayContent(bad.Body);
            message.Content.Headers.ContentType = bad.ContentType is null ? null : MediaTypeHeaderValue.Parse(bad.ContentType);
        }

        using var response = await api.Client.SendAsync(message).WithSafetyTimeout();
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(bad.Expected == response.StatusCode, $"{name}: expected {(int)bad.Expected}, got {(int)response.StatusCode} {body}");
        Assert.True(TestApi.ProblemJson == response.Content.Headers.ContentType?.MediaType, $"{name}: content type {response.Content.Headers.ContentType}, body {body}");
        var problem = await TestApi.ReadProblemAsync(response);
        if (bad.Field is not null)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(bad.Field, out _), $"{name}: no error for '{bad.Field}' in {body}");
        }

        Assert.DoesNotContain(".cs:line", body, StringComparison.Ordinal);
    }

    private static BadRequest Post(string json, HttpStatusCode expected = HttpStatusCode.BadRequest, string? field = null, (string Name, string[] Values)[]? headers = null) =>
        new(HttpMethod.Post, "/api/jobs/gated", "application/json", Encoding.UTF8.GetBytes(json), expected, field, headers);
}
