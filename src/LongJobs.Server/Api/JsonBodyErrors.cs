using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;

namespace LongJobs.Server.Api;

/// <summary>
/// Says what is wrong with a request body that System.Text.Json refused, without naming .NET types and without
/// reading its exception messages (their texts are not a contract): the body is read again, on this failure path only.
/// </summary>
internal static class JsonBodyErrors
{
    /// <summary>The error of a body that could not be read as <paramref name="requestType"/>, keyed by where it is.</summary>
    public static Dictionary<string, string[]> Describe(byte[] body, Type requestType, JsonSerializerOptions options, JsonException exception)
    {
        var path = exception.Path ?? "$";
        if (!Utf8.IsValid(body))
        {
            return new() { [path] = ["The body is not valid UTF-8."] };
        }

        var maxDepth = options.MaxDepth == 0 ? 64 : options.MaxDepth;
        if (!TryParse(body, options, maxDepth, out var root))
        {
            var at = exception.LineNumber is { } line && exception.BytePositionInLine is { } position ? $" (line {line + 1}, byte {position + 1})" : "";
            var message = TryParse(body, options, int.MaxValue, out _)
                ? $"The JSON is nested deeper than {maxDepth} levels{at}."
                : $"The body is not well-formed JSON{at}.";
            return new() { [path] = [message] };
        }

        // Where the serializer stopped at a name it had read already in that object (a dictionary's keys compare
        // ordinally, a type's properties as the options say: the serializer knows which; its path names the property).
        var comparison = options.PropertyNameCaseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        if (!options.AllowDuplicateProperties && Duplicates(root, comparison).FirstOrDefault(name => EndsWithProperty(path, name)) is { } duplicate)
        {
            return new() { [path] = [$"The property '{duplicate}' appears more than once in one object."] };
        }

        var missing = path == "$" && root.ValueKind == JsonValueKind.Object ? MissingRequired(root, options.GetTypeInfo(requestType), options) : [];
        return missing.Count > 0
            ? new() { [path] = ["Required properties are missing: " + string.Join(", ", missing.Select(name => $"'{name}'")) + "."] }
            : new() { [path] = ["The value has the wrong type or is out of range."] };
    }

    private static bool TryParse(byte[] body, JsonSerializerOptions options, int maxDepth, out JsonElement root)
    {
        var documentOptions = new JsonDocumentOptions
        {
            MaxDepth = maxDepth,
            AllowTrailingCommas = options.AllowTrailingCommas,
            CommentHandling = options.ReadCommentHandling == JsonCommentHandling.Allow ? JsonCommentHandling.Skip : options.ReadCommentHandling,
        };
        try
        {
            using var document = JsonDocument.Parse(body, documentOptions);
            root = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            root = default;
            return false;
        }
    }

    /// <summary>Every property name found again in an object that had it already, anywhere in <paramref name="element"/>.</summary>
    private static IEnumerable<string> Duplicates(JsonElement element, StringComparer comparison)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            var names = new HashSet<string>(comparison);
            foreach (var property in element.EnumerateObject())
            {
                if (!names.Add(property.Name))
                {
                    yield return property.Name;
                }

                foreach (var nested in Duplicates(property.Value, comparison))
                {
                    yield return nested;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var nested in element.EnumerateArray().SelectMany(item => Duplicates(item, comparison)))
            {
                yield return nested;
            }
        }
    }

    /// <summary>Whether a serializer's path (<c>$.a.b</c>, <c>$['a-b']</c>) ends at the property <paramref name="name"/>.</summary>
    private static bool EndsWithProperty(string path, string name) =>
        path.EndsWith("." + name, StringComparison.Ordinal) || path.EndsWith("['" + name + "']", StringComparison.Ordinal);

    private static List<string> MissingRequired(JsonElement root, JsonTypeInfo typeInfo, JsonSerializerOptions options)
    {
        var comparison = options.PropertyNameCaseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        var present = root.EnumerateObject().Select(property => property.Name).ToHashSet(comparison);
        return [.. typeInfo.Properties.Where(property => property.IsRequired && !present.Contains(property.Name)).Select(property => property.Name)];
    }
}
