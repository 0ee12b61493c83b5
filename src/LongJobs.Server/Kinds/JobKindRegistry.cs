using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace LongJobs.Server.Kinds;

/// <summary>The job kinds registered with <c>AddJob</c>, by name.</summary>
internal sealed partial class JobKindRegistry
{
    /// <summary>The kind of ad-hoc jobs started without a name.</summary>
    public const string AdHocKind = "ad-hoc";

    // Routing matches URL segments without regard to case, so kind names do too.
    private readonly Dictionary<string, JobKind> _kinds = new(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<JobKind> Kinds => _kinds.Values;

    public void Add(JobKind kind)
    {
        if (kind.Name == AdHocKind)
        {
            throw new InvalidOperationException($"'{AdHocKind}' is reserved for ad-hoc jobs; give the kind another name.");
        }

        if (_kinds.Values.FirstOrDefault(other => other.OperationName == kind.OperationName) is { } clash)
        {
            throw new InvalidOperationException(
                $"A job kind named '{clash.Name}' is already registered" + (clash.Name == kind.Name ? "." : $"; '{kind.Name}' would share its operation names."));
        }

        var scheduleNames = new HashSet<string>(_kinds.Values.SelectMany(other => other.Schedules).Select(schedule => schedule.Name), StringComparer.Ordinal);
        if (kind.Schedules.FirstOrDefault(schedule => scheduleNames.Contains(schedule.Name)) is { } taken)
        {
            throw new InvalidOperationException($"A schedule named '{taken.Name}' is already added to another kind; schedule names are unique among all kinds.");
        }

        _kinds.Add(kind.Name, kind);
    }

    /// <summary>Every kind's recurring schedules, with their kinds.</summary>
    public IEnumerable<(JobKind Kind, JobScheduleDefinition Schedule)> Schedules =>
        _kinds.Values.SelectMany(kind => kind.Schedules.Select(schedule => (kind, schedule)));

    public bool TryGet(string name, [NotNullWhen(true)] out JobKind? kind) => _kinds.TryGetValue(name, out kind);

    public bool Contains(string name) => _kinds.ContainsKey(name);

    /// <summary>Kind names become URL segments and operation names, so they are short lowercase words.</summary>
    /// <returns><paramref name="name"/>.</returns>
    public static string EnsureValidName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValidName(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid job kind name: use at most 64 lowercase letters and digits, in words joined by single hyphens, starting with a letter.",
                nameof(name));
        }

        return name;
    }

    /// <summary>Whether <paramref name="name"/> may name a kind: at most 64 lowercase letters and digits, in words joined by single hyphens.</summary>
    public static bool IsValidName(string name) => name.Length <= 64 && KindName().IsMatch(name);

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex KindName();
}
