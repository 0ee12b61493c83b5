using System.Security.Cryptography;
using System.Text;
using LongJobs.Client.Webhooks;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;

namespace LongJobs.Client.Tests.Webhooks;

/// <summary>Receivers verify webhooks with <see cref="WebhookSignature"/>: Standard Webhooks' signature and replay window.</summary>
public sealed class WebhookSignatureTests
{
    // The test vector of the Standard Webhooks specification.
    private const string Key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string Id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const string Timestamp = "1614265330";
    private const long SignedAt = 1614265330;
    private const string Signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"test": 2432232314}""");
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData(Key)]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    public void Verify_TheSpecificationsTestVector_Passes(string key)
    {
        Assert.True(WebhookSignature.Verify(key, Id, Timestamp, Signature, Body, Tolerance, SignedAtTime()));
    }

    [Fact]
    public void Verify_FromRequestHeadersInAnyCase_Passes()
    {
        var headers = new Dictionary<string, StringValues>
        {
            ["Webhook-Id"] = Id,
            ["WEBHOOK-TIMESTAMP"] = Timestamp,
            ["webhook-signature"] = Signature,
            ["Content-Type"] = "application/json",
        };

        Assert.True(WebhookSignature.Verify(Key, headers, Body, Tolerance, SignedAtTime()));
    }

    [Fact]
    public void Verify_ATamperedBody_Fails()
    {
        var tampered = Encoding.UTF8.GetBytes("""{"test": 2432232315}""");

        Assert.False(WebhookSignature.Verify(Key, Id, Timestamp, Signature, tampered, Tolerance, SignedAtTime()));
    }

    [Fact]
    public void Verify_WithAnotherKey_Fails()
    {
        var otherKey = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        Assert.False(WebhookSignature.Verify(otherKey, Id, Timestamp, Signature, Body, Tolerance, SignedAtTime()));
    }

    [Fact]
    public void Verify_AnotherIdOrTimestampThanSigned_Fails()
    {
        Assert.False(WebhookSignature.Verify(Key, "msg_other", Timestamp, Signature, Body, Tolerance, SignedAtTime()));
        Assert.False(WebhookSignature.Verify(Key, Id, "1614265331", Signature, Body, Tolerance, SignedAtTime()));
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public void Verify_ATimestampOutsideTheTolerance_FailsAsAReplay(int secondsAway)
    {
        var now = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(SignedAt + secondsAway));

        Assert.False(WebhookSignature.Verify(Key, Id, Timestamp, Signature, Body, Tolerance, now));
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(300)]
    public void Verify_ATimestampAtTheEdgeOfTheTolerance_Passes(int secondsAway)
    {
        var now = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(SignedAt + secondsAway));

        Assert.True(WebhookSignature.Verify(Key, Id, Timestamp, Signature, Body, Tolerance, now));
    }

    [Theory]
    [InlineData("v1,QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE= " + Signature)]
    [InlineData(Signature + " v1,QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")]
    [InlineData("v2,something " + Signature)]
    public void Verify_SeveralSignaturesOfWhichOneMatches_Passes(string signatures)
    {
        Assert.True(WebhookSignature.Verify(Key, Id, Timestamp, signatures, Body, Tolerance, SignedAtTime()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("v1,QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")]
    [InlineData("v1,not base64")]
    [InlineData("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE")]
    public void Verify_WithoutAMatchingV1Signature_Fails(string? signatures)
    {
        Assert.False(WebhookSignature.Verify(Key, Id, Timestamp, signatures, Body, Tolerance, SignedAtTime()));
    }

    [Theory]
    [InlineData(null, Timestamp)]
    [InlineData("", Timestamp)]
    [InlineData(Id, null)]
    [InlineData(Id, "")]
    [InlineData(Id, "-1614265330")]
    [InlineData(Id, "1614265330.0")]
    [InlineData(Id, "99999999999999999999999")]
    public void Verify_WithoutAnIdOrAUnixTimestamp_Fails(string? id, string? timestamp)
    {
        Assert.False(WebhookSignature.Verify(Key, id, timestamp, Signature, Body, Tolerance, SignedAtTime()));
    }

    [Fact]
    public void Verify_WithTwoIdHeaders_Fails()
    {
        var headers = new Dictionary<string, StringValues>
        {
            [WebhookSignature.IdHeader] = new StringValues([Id, Id]),
            [WebhookSignature.TimestampHeader] = Timestamp,
            [WebhookSignature.SignatureHeader] = Signature,
        };

        Assert.False(WebhookSignature.Verify(Key, headers, Body, Tolerance, SignedAtTime()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("whsec_")]
    [InlineData("whsec_not base64!")]
    public void Verify_WithAKeyThatIsNotBase64_Throws(string key)
    {
        var exception = Assert.Throws<ArgumentException>(() => WebhookSignature.Verify(key, Id, Timestamp, Signature, Body, Tolerance, SignedAtTime()));

        Assert.Equal("signingKey", exception.ParamName);
    }

    private static FakeTimeProvider SignedAtTime() => new(DateTimeOffset.FromUnixTimeSeconds(SignedAt));
}
