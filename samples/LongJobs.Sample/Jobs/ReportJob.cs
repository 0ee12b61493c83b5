using System.ComponentModel.DataAnnotations;
using LongJobs.Server.Jobs;

namespace LongJobs.Sample.Jobs;

/// <summary>Starts a customer's report: one at a time per customer (the kind is unique by <see cref="CustomerId"/>).</summary>
public sealed record ReportRequest
{
    /// <summary>The customer the report is for; while a report of theirs is unfinished, starting another returns it.</summary>
    [Required]
    [StringLength(64, MinimumLength = 1)]
    public required string CustomerId { get; init; }

    /// <summary>How long the report takes, in seconds.</summary>
    [Range(1, 3600)]
    public required int Seconds { get; init; }
}

/// <summary>A customer's report.</summary>
public sealed record ReportResult
{
    /// <summary>The customer the report is for.</summary>
    [Required]
    public required string CustomerId { get; init; }

    /// <summary>When the report was done.</summary>
    [Required]
    public required DateTimeOffset GeneratedAt { get; init; }
}

/// <summary>A slow report for one customer, reporting progress every second.</summary>
public sealed class ReportJob(TimeProvider time) : IJobHandler<ReportRequest, ReportResult>
{
    /// <inheritdoc />
    public async Task<ReportResult> ExecuteAsync(ReportRequest request, JobContext context, CancellationToken cancellationToken)
    {
        await SleepJob.SleepAsync(request.Seconds, context, time, cancellationToken);
        return new ReportResult { CustomerId = request.CustomerId, GeneratedAt = time.GetUtcNow() };
    }
}
