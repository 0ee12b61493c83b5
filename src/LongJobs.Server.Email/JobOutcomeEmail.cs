using System.Globalization;
using System.Text;
using LongJobs.Server.Jobs;
using LongJobs.Server.Storage;
using MimeKit;

namespace LongJobs.Server.Notifications.Email;

/// <summary>The email that tells a recipient how a job ended: which job, its outcome and error, when, and its status link.</summary>
internal static class JobOutcomeEmail
{
    /// <summary>Makes the message for a finished job.</summary>
    /// <param name="job">The job's final state.</param>
    /// <param name="from">The sender.</param>
    /// <param name="to">The recipient.</param>
    /// <param name="statusUrl">The job's status URL.</param>
    /// <param name="now">The message's date.</param>
    public static MimeMessage Create(JobRecord job, MailboxAddress from, MailboxAddress to, string statusUrl, DateTimeOffset now)
    {
        var message = new MimeMessage
        {
            Subject = Subject(job),
            Date = now,
            // One ID per job: a receiver can tell a second delivery of the same notification for what it is.
            MessageId = $"longjobs.{job.Id:N}@{from.Domain}",
            Body = new TextPart("plain") { Text = Body(job, statusUrl) },
        };
        // A copy: an address in a message's list is tied to that list by its change events.
        message.From.Add((MailboxAddress)from.Clone());
        message.To.Add(to);
        // RFC 3834: sent by a program, so auto-responders do not answer it.
        message.Headers.Add("Auto-Submitted", "auto-generated");
        return message;
    }

    /// <summary>For example <c>Job sleep 3f2a9c1e succeeded</c>.</summary>
    private static string Subject(JobRecord job) => $"Job {job.Kind} {ShortId(job.Id)} {Outcome(job.Status)}";

    private static string Body(JobRecord job, string statusUrl)
    {
        var body = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Job {job.Kind} {ShortId(job.Id)} {Outcome(job.Status)}.").AppendLine().AppendLine()
            .Append(CultureInfo.InvariantCulture, $"Kind:     {job.Kind}").AppendLine()
            .Append(CultureInfo.InvariantCulture, $"ID:       {job.Id}").AppendLine()
            .Append(CultureInfo.InvariantCulture, $"Outcome:  {job.Status}").AppendLine();
        if (job.Error is { } error)
        {
            body.Append(CultureInfo.InvariantCulture, $"Error:    {error.Title}").AppendLine();
            if (error.Detail is { } detail)
            {
                body.Append(CultureInfo.InvariantCulture, $"Detail:   {detail}").AppendLine();
            }
        }

        if (job.CompletedAt is { } completedAt)
        {
            body.Append(CultureInfo.InvariantCulture, $"Finished: {completedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC").AppendLine();
        }

        return body
            .Append(CultureInfo.InvariantCulture, $"Status:   {statusUrl}").AppendLine().AppendLine()
            .AppendLine("You receive this because the job was started with an email notification to this address.")
            .ToString();
    }

    private static string ShortId(Guid id) => id.ToString("N", CultureInfo.InvariantCulture)[..8];

    private static string Outcome(JobStatus status) => status switch
    {
        JobStatus.Succeeded => "succeeded",
        JobStatus.Failed => "failed",
        JobStatus.Canceled => "was cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "The job has not finished."),
    };
}
