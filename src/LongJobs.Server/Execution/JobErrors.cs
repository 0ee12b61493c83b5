using LongJobs.Server.Jobs;

namespace LongJobs.Server.Execution;

/// <summary>The problems a job's state reports when it does not succeed.</summary>
internal static class JobErrors
{
    public const string FailedType = "urn:longjobs:problem:job-failed";
    public const string CanceledType = "urn:longjobs:problem:job-canceled";

    public static JobError FromException(Exception exception, Guid jobId, bool includeDetails) => includeDetails
        ? new JobError(FailedType, "The job failed.", exception.Message, exception.GetType().FullName)
        : new JobError(FailedType, "The job failed.", $"Job '{jobId}' failed; the server log has the details.");

    public static JobError ResultTooLarge(int size, long limit) =>
        new(FailedType, "The job's result is too large.", $"The result has {size} bytes of JSON; at most {limit} are kept (MaxResultSize).");

    public static JobError RequestUnreadable(Exception exception, bool includeDetails) =>
        new(FailedType, "The job's request cannot be read.", includeDetails
            ? $"The stored request does not deserialize to the kind's request type: {exception.Message}"
            : "The stored request does not deserialize to the kind's request type (did the type change?); the server log has the details.");

    public static JobError TimedOut(TimeSpan timeout) =>
        new(FailedType, "The job timed out.", $"An attempt ran longer than the job kind's timeout of {timeout}.");

    public static JobError StoppedByShutdown { get; } =
        new(CanceledType, "The job was canceled.", "The server shut down before the job finished.");

    public static JobError AbandonedAtShutdown { get; } =
        new(CanceledType, "The job was canceled.", "The job did not stop within the shutdown timeout and was abandoned.");
}
