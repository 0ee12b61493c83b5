using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace LongJobs.Server.Kinds;

/// <summary>The job kinds registered with <c>AddJob</c>, by name.</summary>
internal sealed partial class JobKindRegistry
{
    /// <summary>The kind of ad-hoc jobs started without a name.</summary>
    public const string AdHocKind = "ad-hoc";

    private readonly Dictionary<string, JobKind> _kinds = new(StringComparer.Ordinal);

    public IEnumerable<JobKind> Kinds => _kinds.Values;

    public void Add(JobKind kind)
    {
        EnsureValidName(kind.Name);
        if (kind.Name == AdHocKind || !_kinds.TryAdd(kind.Name, kind))
        {
            throw new InvalidOperationException($"A job kind named '{kind.Name}' is already registered.");
        }
    }

    public bool TryGet(string name, [NotNullWhen(true)] out JobKind? kind) => _kinds.TryGetValue(name, out kind);

    public bool Contains(string name) => _kinds.ContainsKey(name);

    /// <summary>Kind names become URL segments and operation names, so they are short lowercase words.</summary>
    public static void EnsureValidName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!KindName().IsMatch(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid job kind name: use 1 to 64 lowercase letters, digits and hyphens, starting with a letter.",
                nameof(name));
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex KindName();
}
