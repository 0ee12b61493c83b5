using LongJobs.Server.Kinds;

namespace LongJobs.Server.OpenApi.Processors;

/// <summary>
/// The operation IDs <c>MapLongJobs</c> gives a kind's endpoints (their endpoint names, which NSwag uses as operation IDs):
/// <c>count-primes</c> is started by <c>StartCountPrimesJob</c>, started in batches by <c>StartCountPrimesJobs</c> and read
/// by <c>GetCountPrimesJob</c>.
/// </summary>
internal static class JobKindOperationIds
{
    public static string Start(JobKind kind) => $"Start{kind.OperationName}Job";

    public static string StartMany(JobKind kind) => $"Start{kind.OperationName}Jobs";

    public static string Get(JobKind kind) => $"Get{kind.OperationName}Job";
}
