namespace LongJobs.Server.Jobs;

/// <summary>
/// Why a job did not succeed, in the shape of RFC 9457 problem details. It holds only what may be shown to
/// callers: the full exception goes to the log.
/// </summary>
/// <param name="Type">A URI reference that identifies the kind of problem.</param>
/// <param name="Title">A short, human-readable summary of the problem.</param>
/// <param name="Detail">An explanation specific to this job, or <see langword="null"/>.</param>
/// <param name="ExceptionType">The exception's type name, kept only when exception details are exposed.</param>
public sealed record JobError(string Type, string Title, string? Detail = null, string? ExceptionType = null);
