using LongJobs.Server.Storage;

namespace LongJobs.Server.Execution.Running;

/// <summary>What became of an attempt's outcome in the store.</summary>
/// <param name="State">The job's state: the outcome as recorded, the state the store has instead, or the outcome applied to the last known state when the store could not be reached.</param>
/// <param name="TakenOver">
/// Whether the store refused the outcome because another attempt of the job took it over (on another server, or a
/// later one on this server), or the job went back to the queue; <see cref="State"/> is then the store's. A job that
/// ended in the same attempt otherwise (abandoned at shutdown) was not taken over: its stored state is the outcome.
/// </param>
internal readonly record struct RecordedOutcome(JobRecord State, bool TakenOver);
