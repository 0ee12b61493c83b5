using LongJobs.Server.Jobs;
using LongJobs.Server.Notifications;
using LongJobs.Server.Notifications.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Tests.Notifications.Webhooks;

/// <summary><c>AddWebhooks</c>: options checked when the host starts, every violation at once.</summary>
public sealed class WebhookOptionsTests
{
    private const string Key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    [Fact]
    public async Task Start_WithInvalidOptions_FailsNamingEveryViolation()
    {
        using var host = Build(options =>
        {
            options.AllowedHosts.Add("https://hooks.example.com/");
            options.SigningKey = "not a key";
            options.RetryDelays = [TimeSpan.FromDays(8)];
            options.Timeout = TimeSpan.Zero;
        });

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(4, exception.Failures.Count());
        Assert.Contains(exception.Failures, failure => failure.Contains("'https://hooks.example.com/' is not a host name", StringComparison.Ordinal));
        Assert.Contains(exception.Failures, failure => failure.Contains("SigningKey", StringComparison.Ordinal) && failure.Contains("whsec_", StringComparison.Ordinal));
        Assert.Contains(exception.Failures, failure => failure.Contains("RetryDelays", StringComparison.Ordinal) && failure.Contains("between zero and 7 days", StringComparison.Ordinal));
        Assert.Contains(exception.Failures, failure => failure.Contains("Timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_WithoutAllowedHosts_FailsAskingForOne()
    {
        using var host = Build(options => options.SigningKey = Key);

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("List at least one host", Assert.Single(exception.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithValidOptionsAddedTwice_RegistersOneWebhookChannel()
    {
        using var host = Build(
            options =>
            {
                options.AllowedHosts.Add("*.example.com");
                options.SigningKey = Key;
            },
            options => options.RetryDelays = [TimeSpan.FromMinutes(1)]);

        await host.StartAsync();

        var channel = Assert.Single(host.Services.GetServices<INotificationChannel>());
        Assert.Equal(NotificationChannels.Webhook, channel.Name);
        Assert.Equal([TimeSpan.FromMinutes(1)], channel.RetryDelays);
        await host.StopAsync();
    }

    private static IHost Build(params Action<WebhookOptions>[] configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        var longJobs = builder.Services.AddLongJobs();
        foreach (var action in configure)
        {
            longJobs.AddWebhooks(action);
        }

        return builder.Build();
    }
}
