using LongJobs.Server;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Checks every <see cref="LongJobsOptions"/> limit at start-up and reports all violations at once.</summary>
[OptionsValidator]
internal sealed partial class LongJobsOptionsValidator : IValidateOptions<LongJobsOptions>;
