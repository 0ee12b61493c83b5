using LongJobs.Server.Notifications.Email;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LongJobs.Server.Tests.Notifications.Email;

/// <summary><c>AddEmail</c>'s options are checked when the host starts, every problem at once.</summary>
public sealed class EmailOptionsTests
{
    [Fact]
    public async Task Start_WithValidOptions_Succeeds()
    {
        using var host = Build(publicBaseUrl: "https://jobs.example.test", _ => { });

        await host.StartAsync().WithSafetyTimeout();
        await host.StopAsync().WithSafetyTimeout();
    }

    [Fact]
    public async Task Start_WithoutAllowedDomains_AndWithAUserNameButNoPassword_FailsNamingBoth()
    {
        using var host = Build(publicBaseUrl: "https://jobs.example.test", email =>
        {
            email.AllowedRecipientDomains.Clear();
            email.UserName = "jobs";
        });

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WithSafetyTimeout());

        Assert.Contains("AllowedRecipientDomains is empty", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Set both UserName and Password", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(EmailOptions.Host))]
    [InlineData(nameof(EmailOptions.From))]
    [InlineData(nameof(EmailOptions.AllowedRecipientDomains))]
    [InlineData(nameof(EmailOptions.Port))]
    [InlineData(nameof(EmailOptions.RetryDelays))]
    [InlineData(nameof(EmailOptions.Timeout))]
    public async Task Start_WithAnInvalidSetting_FailsNamingIt(string setting)
    {
        using var host = Build(publicBaseUrl: "https://jobs.example.test", email =>
        {
            switch (setting)
            {
                case nameof(EmailOptions.Host):
                    email.Host = string.Empty;
                    break;
                case nameof(EmailOptions.From):
                    email.From = "LongJobs <jobs@sender.test>";
                    break;
                case nameof(EmailOptions.AllowedRecipientDomains):
                    email.AllowedRecipientDomains.Add("*");
                    break;
                case nameof(EmailOptions.Port):
                    email.Port = 0;
                    break;
                case nameof(EmailOptions.RetryDelays):
                    email.RetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(-1)];
                    break;
                case nameof(EmailOptions.Timeout):
                    email.Timeout = TimeSpan.Zero;
                    break;
            }
        });

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WithSafetyTimeout());

        Assert.Contains(setting, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithoutPublicBaseUrl_FailsSayingEmailsNeedIt()
    {
        using var host = Build(publicBaseUrl: null, _ => { });

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WithSafetyTimeout());

        Assert.Contains("Email notifications link to the job's status, so they need LongJobsOptions.PublicBaseUrl", exception.Message, StringComparison.Ordinal);
    }

    private static IHost Build(string? publicBaseUrl, Action<EmailOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(new ObservedFakeTimeProvider());
        builder.Services.AddLongJobs(options => options.PublicBaseUrl = publicBaseUrl)
            .AddEmail(email =>
            {
                email.Host = "127.0.0.1";
                email.From = "jobs@sender.test";
                email.AllowedRecipientDomains.Add("allowed.test");
                configure(email);
            });
        return builder.Build();
    }
}
