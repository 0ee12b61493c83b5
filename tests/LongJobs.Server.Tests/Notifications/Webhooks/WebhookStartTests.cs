using System.Net;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Notifications.Webhooks;

/// <summary>POST /api/jobs/{kind} with <c>LongJobs-Callback-Url</c>: a URL webhooks may not go to is a 400 problem, and no job is created.</summary>
public sealed class WebhookStartTests
{
    [Theory]
    [InlineData("https://evil.example.com/hook", "The host 'evil.example.com' may not receive webhooks from this server.")]
    [InlineData("https://hooks.example.com.evil.test/hook", "The host 'hooks.example.com.evil.test' may not receive webhooks from this server.")]
    [InlineData("https://partner.example/hook", "The host 'partner.example' may not receive webhooks from this server.")]
    [InlineData("https://127.0.0.1/hook", "The host '127.0.0.1' may not receive webhooks from this server.")]
    [InlineData("https://169.254.169.254/latest/meta-data", "The host '169.254.169.254' may not receive webhooks from this server.")]
    [InlineData("https://[::1]/hook", "The host '[::1]' may not receive webhooks from this server.")]
    [InlineData("http://hooks.example.com/hook", "The callback URL must use https.")]
    [InlineData("ftp://hooks.example.com/hook", "The callback URL must be an absolute http or https URL.")]
    [InlineData("file:///etc/passwd", "The callback URL must be an absolute http or https URL.")]
    [InlineData("/hooks/jobs", "The callback URL must be an absolute http or https URL.")]
    [InlineData("hooks.example.com/hook", "The callback URL must be an absolute http or https URL.")]
    [InlineData("https://", "The callback URL must be an absolute http or https URL.")]
    [InlineData("not a url", "The callback URL must be an absolute http or https URL.")]
    [InlineData("https://user:secret@hooks.example.com/hook", "The callback URL must not contain user information.")]
    public async Task Start_WithACallbackUrlNotAllowed_Returns400NamingTheProblem_AndCreatesNoJob(string callbackUrl, string error)
    {
        await using var api = await StartAsync();

        using var response = await api.PostGatedAsync("a", callbackUrl);

        await AssertRefusedAsync(api, response, error);
    }

    [Fact]
    public async Task Start_WithACallbackUrlOverTheLengthLimit_Returns400()
    {
        await using var api = await StartAsync();

        using var response = await api.PostGatedAsync("a", "https://hooks.example.com/" + new string('a', 2048));

        await AssertRefusedAsync(api, response, "The callback URL may have at most 2048 characters.");
    }

    private static Task<WebhookTestApi> StartAsync() =>
        WebhookTestApi.StartAsync(options =>
        {
            options.AllowedHosts.Clear();
            options.AllowedHosts.Add("hooks.example.com");
            options.AllowedHosts.Add("*.partner.example");
            options.AllowHttp = false;
        });

    private static async Task AssertRefusedAsync(WebhookTestApi api, HttpResponseMessage response, string error)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await TestApi.ReadProblemAsync(response);
        Assert.Equal(error, Assert.Single(problem.GetProperty("errors").GetProperty("LongJobs-Callback-Url").EnumerateArray()).GetString());
        Assert.Empty((await api.Store.ListAsync(new JobQuery())).Items);
    }
}
