namespace LongJobs.Server.OpenApi;

/// <summary>
/// The names of the OpenAPI extensions LongJobs writes on the operations of every registered job kind; client
/// generators read them to know which operations start and read a kind, and which schema its result has.
/// </summary>
public static class OpenApiExtensionNames
{
    /// <summary>
    /// On a kind's start (<c>Start{Kind}Job</c>), batch start (<c>Start{Kind}Jobs</c>) and typed read (<c>Get{Kind}Job</c>)
    /// operations: the kind's name, as in its route (<c>"count-primes"</c>).
    /// </summary>
    public const string Kind = "x-longjobs-kind";

    /// <summary>
    /// On a kind's start operation: the name of the kind's result schema, a key of <c>components/schemas</c>. Absent when
    /// the result has no schema of its own there (a string or an array result is described inline).
    /// </summary>
    public const string Result = "x-longjobs-result";

    /// <summary>
    /// On a kind's start operation: the operation ID of its batch start (<c>Start{Kind}Jobs</c>, <c>POST /{kind}/batch</c>),
    /// when the document has it.
    /// </summary>
    public const string Batch = "x-longjobs-batch";
}
