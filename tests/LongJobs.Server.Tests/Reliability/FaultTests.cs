using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using LongJobs.Server.Jobs;
using LongJobs.Server.Notifications;
using LongJobs.Server.Notifications.Email;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static LongJobs.Server.Tests.Execution.JobSchedulerTimeoutTests;

namespace LongJobs.Server.Tests.Reliability;

/// <summary>
/// Issue 6, faults together: on one server, a job that throws, one that ignores cancellation, one that never
/// finishes, a completion callback that throws, a webhook receiver that hangs and an SMTP server that refuses, while
/// other jobs come and go.
/// </summary>
public sealed class FaultTests
{
    private const int NormalJobs = 20;
    private static readonly TimeSpan KindTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WebhookTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task EveryFaultAtOnce_TheFaultyJobsEndAsExpected_EveryOtherJobSucceeds_AndTheServerKeepsServing()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.RefuseRecipients = true;
        await using var receiver = await WebhookReceiver.StartAsync((context, _) => Task.Delay(Timeout.Infinite, context.RequestAborted));
        var callbacks = new CallbackRuns();
        await using var api = await StartApiAsync(smtp.Port, callbacks);

        var throws = await StartAsync(api, "failing", "{}");
        var ignoresCancel = await StartAsync(api, "stuck", """{"gateKey":"ignores"}""");
        var neverEnds = await StartAsync(api, "stuck", """{"gateKey":"never","honoursCancellation":true}""");
        await api.Gates["ignores"].Started;
        await api.Gates["never"].Started;
        await api.Time.WaitForTimerAsync(KindTimeout, count: 2);
        using (var cancel = await api.CancelAsync(ignoresCancel))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        var hooked = await api.StartGatedAsync("hooked", 1, ("LongJobs-Callback-Url", receiver.Url.AbsoluteUri));
        var mailed = await api.StartGatedAsync("mailed", 2, ("LongJobs-Notify-Email", "someone@allowed.test"));
        var normal = new List<Guid>();
        for (var value = 0; value < NormalJobs; value++)
        {
            normal.Add(await api.StartGatedAsync($"normal-{value}", value));
        }

        foreach (var key in (string[])["hooked", "mailed", .. Enumerable.Range(0, NormalJobs).Select(value => $"normal-{value}")])
        {
            api.Gates[key].Release();
        }

        for (var value = 0; value < NormalJobs; value++)
        {
            AssertSucceeded(await api.WaitUntilFinishedAsync(normal[value]), value);
        }

        AssertSucceeded(await api.WaitUntilFinishedAsync(hooked), 1);
        AssertSucceeded(await api.WaitUntilFinishedAsync(mailed), 2);
        var thrown = await api.WaitUntilFinishedAsync(throws);
        Assert.Equal(("Failed", "The job failed."), (Status(thrown), thrown.GetProperty("error").GetProperty("title").GetString()));
        var refused = await api.WaitForDeliveryAsync(mailed, NotificationChannels.Email, NotificationDeliveryStatus.Failed);
        Assert.StartsWith("The SMTP server answered 550", refused.LastError, StringComparison.Ordinal);

        // Both stuck jobs and the hanging webhook are still waiting (its attempt's timeout is armed before it sends):
        // let their timeouts pass.
        using (var ignoring = await api.GetAsync($"/api/jobs/{ignoresCancel}"))
        {
            Assert.Equal("Running", Status(await TestApi.ReadJsonAsync(ignoring)));
        }

        await receiver.WaitForRequestAsync(1);
        api.Time.Advance(KindTimeout);

        // Asked to cancel, it ignored the request until its timeout: it ends cancelled, as asked.
        var cancelled = await api.WaitUntilFinishedAsync(ignoresCancel);
        Assert.Equal("Canceled", Status(cancelled));
        Assert.True(cancelled.GetProperty("cancellationRequested").GetBoolean());
        var timedOut = await api.WaitUntilFinishedAsync(neverEnds);
        Assert.Equal(("Failed", "The job timed out."), (Status(timedOut), timedOut.GetProperty("error").GetProperty("title").GetString()));

        var hung = await api.WaitForDeliveryAsync(hooked, NotificationChannels.Webhook, NotificationDeliveryStatus.Failed);
        Assert.Equal("The receiver did not answer within 10 s.", hung.LastError);

        var after = await api.StartGatedAsync("after", 21);
        api.Gates["after"].Release();
        AssertSucceeded(await api.WaitUntilFinishedAsync(after), 21);

        Guid[] all = [throws, ignoresCancel, neverEnds, hooked, mailed, .. normal, after];
        await Task.WhenAll(all.Select(callbacks.RanFor)).WithSafetyTimeout();
        var stored = await api.Store.ListAsync(new JobQuery { PageSize = JobQuery.MaxPageSize });
        Assert.Equal(all.Order(), stored.Items.Select(job => job.Id).Order());
        Assert.All(stored.Items, job => Assert.True(job.Status.IsFinished(), $"Job {job.Id} ({job.Kind}) is still {job.Status}."));
    }

    private static void AssertSucceeded(JsonElement state, int value)
    {
        Assert.Equal("Succeeded", Status(state));
        Assert.Equal(2 * value, state.GetProperty("result").GetProperty("doubledValue").GetInt32());
    }

    private static string? Status(JsonElement state) => state.GetProperty("status").GetString();

    private static async Task<Guid> StartAsync(TestApi api, string kind, string json)
    {
        using var response = await api.PostAsync(kind, json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await TestApi.ReadJsonAsync(response)).GetProperty("id").GetGuid();
    }

    private static Task<TestApi> StartApiAsync(int smtpPort, CallbackRuns callbacks) =>
        TestApi.StartAsync(
            options =>
            {
                options.MaxConcurrency = 4;
                options.PublicBaseUrl = "https://jobs.example.test";
            },
            addJobs: jobs => jobs
                .AddJob<StuckJob, StuckRequest, GatedResult>("stuck", kind => kind.Timeout = KindTimeout)
                .OnJobFinished((job, _) =>
                {
                    callbacks.Ran(job.State.Id);
                    throw new InvalidOperationException("The completion callback failed on purpose.");
                })
                .AddWebhooks(webhooks =>
                {
                    webhooks.AllowedHosts.Add("127.0.0.1");
                    webhooks.AllowHttp = true;
                    webhooks.SigningKey = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
                    webhooks.RetryDelays = [];
                    webhooks.Timeout = WebhookTimeout;
                })
                .AddEmail(email =>
                {
                    email.Host = "127.0.0.1";
                    email.Port = smtpPort;
                    email.Security = EmailSecurity.None;
                    email.From = "jobs@sender.test";
                    email.AllowedRecipientDomains.Add("allowed.test");
                }));

    /// <summary>The jobs the throwing completion callback has run for.</summary>
    private sealed class CallbackRuns
    {
        private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _runs = new();

        public void Ran(Guid id) => Run(id).TrySetResult();

        public Task RanFor(Guid id) => Run(id).Task;

        private TaskCompletionSource Run(Guid id) =>
            _runs.GetOrAdd(id, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
