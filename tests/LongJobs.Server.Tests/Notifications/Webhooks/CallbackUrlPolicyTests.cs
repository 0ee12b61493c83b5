using LongJobs.Server.Notifications.Webhooks;

namespace LongJobs.Server.Tests.Notifications.Webhooks;

/// <summary>Which hosts an <see cref="WebhookOptions.AllowedHosts"/> entry lets webhooks go to.</summary>
public sealed class CallbackUrlPolicyTests
{
    [Theory]
    [InlineData("hooks.example.com", "https://hooks.example.com/x")]
    [InlineData("hooks.example.com", "https://HOOKS.Example.COM/x")]
    [InlineData("HOOKS.example.com", "https://hooks.example.com/x")]
    [InlineData("hooks.example.com", "https://hooks.example.com.:8443/x")]
    [InlineData("hooks.example.com.", "https://hooks.example.com/x")]
    [InlineData("*.example.com", "https://a.example.com/")]
    [InlineData("*.example.com", "https://a.b.example.com/")]
    [InlineData("hooks.example.com:8443", "https://hooks.example.com:8443/")]
    [InlineData("hooks.example.com:443", "https://hooks.example.com/")]
    [InlineData("bücher.example", "https://xn--bcher-kva.example/")]
    [InlineData("xn--bcher-kva.example", "https://BÜCHER.example/")]
    [InlineData("127.0.0.1", "http://127.0.0.1:5000/")]
    [InlineData("[::1]", "http://[::1]:5000/")]
    [InlineData("[::1]:5000", "http://[::1]:5000/")]
    [InlineData("localhost", "http://localhost:5000/")]
    public void Check_WithTheHostOnTheList_AllowsTheUrl(string entry, string url)
    {
        var policy = Policy(entry);

        Assert.Null(policy.Check(url, out var uri));
        Assert.NotNull(uri);
    }

    [Theory]
    [InlineData("hooks.example.com", "https://evilhooks.example.com/")]
    [InlineData("hooks.example.com", "https://hooks.example.com.evil.test/")]
    [InlineData("hooks.example.com", "https://sub.hooks.example.com/")]
    [InlineData("*.example.com", "https://example.com/")]
    [InlineData("*.example.com", "https://badexample.com/")]
    [InlineData("hooks.example.com:8443", "https://hooks.example.com/")]
    [InlineData("localhost", "http://127.0.0.1/")]
    [InlineData("localhost", "http://[::1]/")]
    [InlineData("localhost", "http://0x7f000001/")]
    [InlineData("localhost", "http://2130706433/")]
    [InlineData("*.example.com", "http://127.0.0.1/")]
    [InlineData("127.0.0.1", "http://[::1]/")]
    [InlineData("127.0.0.1", "http://[::ffff:127.0.0.1]/")]
    [InlineData("127.0.0.1", "http://127.0.0.1.nip.io/")]
    [InlineData("10.0.0.1", "http://10.0.0.2/")]
    [InlineData("[::1]:5000", "http://[::1]:5001/")]
    public void Check_WithTheHostNotOnTheList_RefusesTheUrl(string entry, string url)
    {
        var policy = Policy(entry);

        Assert.EndsWith("may not receive webhooks from this server.", policy.Check(url, out var uri), StringComparison.Ordinal);
        Assert.Null(uri);
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("*.")]
    [InlineData("https://hooks.example.com")]
    [InlineData("hooks.example.com/path")]
    [InlineData("user@hooks.example.com")]
    [InlineData("*.127.0.0.1")]
    [InlineData("hooks.example.com:99999")]
    [InlineData("::1")]
    [InlineData("hooks example.com")]
    [InlineData("*.*.example.com")]
    public void TryParse_WithAnEntryThatIsNoHost_Fails(string entry)
    {
        Assert.False(AllowedHost.TryParse(entry, out _));
    }

    private static CallbackUrlPolicy Policy(string entry)
    {
        var options = new WebhookOptions { AllowHttp = true };
        options.AllowedHosts.Add(entry);
        return new CallbackUrlPolicy(options);
    }
}
