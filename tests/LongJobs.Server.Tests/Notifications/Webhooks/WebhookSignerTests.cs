using System.Text;
using LongJobs.Server.Notifications.Webhooks;

namespace LongJobs.Server.Tests.Notifications.Webhooks;

/// <summary>The server signs like Standard Webhooks, so any of its libraries verifies LongJobs' webhooks.</summary>
public sealed class WebhookSignerTests
{
    [Theory]
    [InlineData("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    public void Sign_ReproducesTheStandardWebhooksTestVector(string key)
    {
        var signer = new WebhookSigner(key);

        var signature = signer.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, Encoding.UTF8.GetBytes("""{"test": 2432232314}"""));

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("whsec_")]
    [InlineData("whsec_not base64!")]
    [InlineData("whsec_c2hvcnQ=")]
    [InlineData("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void TryDecodeKey_WithAKeyThatIsNotBase64Of24To64Bytes_Fails(string? key)
    {
        Assert.False(WebhookSigner.TryDecodeKey(key, out _));
    }
}
