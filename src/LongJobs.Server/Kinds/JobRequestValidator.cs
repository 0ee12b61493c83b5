using System.Collections.Concurrent;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LongJobs.Server.Kinds;

/// <summary>Validates job requests with their data annotations and <see cref="IValidatableObject"/>.</summary>
internal static class JobRequestValidator
{
    /// <summary>Which request types <see cref="HasValidation"/> found anything to validate on.</summary>
    private static readonly ConcurrentDictionary<Type, bool> Validated = new();

    /// <summary>Validates <paramref name="request"/>; fields are named as they are in the request's JSON.</summary>
    /// <returns>The errors by field name; empty when the request is valid.</returns>
    public static Dictionary<string, string[]> Validate(object request, JsonSerializerOptions serializerOptions)
    {
        var results = new List<ValidationResult>();
        if (!HasValidation(request.GetType()) || Validator.TryValidateObject(request, new ValidationContext(request), results, validateAllProperties: true))
        {
            return [];
        }

        var jsonNames = JsonNames(request.GetType(), serializerOptions);
        return results
            .SelectMany(result => (result.MemberNames.Any() ? result.MemberNames : [string.Empty])
                .Select(member => (
                    Field: jsonNames.GetValueOrDefault(member) ?? serializerOptions.PropertyNamingPolicy?.ConvertName(member) ?? member,
                    Message: result.ErrorMessage ?? "The value is not valid.")))
            .GroupBy(error => error.Field, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Select(error => error.Message).ToArray(), StringComparer.Ordinal);
    }

    /// <summary>The JSON name of each property, by .NET name, honouring <c>[JsonPropertyName]</c>.</summary>
    /// <summary>
    /// Whether the validator can find anything to check on a request of <paramref name="type"/>: validation attributes
    /// on it or its properties as <c>TypeDescriptor</c> describes them (the validator's own view: inherited from
    /// overridden properties, metadata classes and providers included), or <see cref="IValidatableObject"/>. Requests of
    /// types with none (most) skip the validator, which builds its view anew on every call. The answer is kept per
    /// type: attributes added at run time after a type's first request are not seen.
    /// </summary>
    private static bool HasValidation(Type type) => Validated.GetOrAdd(type, static type =>
        typeof(IValidatableObject).IsAssignableFrom(type)
        || TypeDescriptor.GetAttributes(type).OfType<ValidationAttribute>().Any()
        || TypeDescriptor.GetProperties(type).Cast<PropertyDescriptor>().Any(property => property.Attributes.OfType<ValidationAttribute>().Any()));

    private static Dictionary<string, string> JsonNames(Type type, JsonSerializerOptions serializerOptions)
    {
        // Options that have not serialised anything yet may have no resolver; the serialiser would then use the
        // reflection-based one, so the names come from it too.
        var typeInfo = serializerOptions.TypeInfoResolver is not null
            ? serializerOptions.TryGetTypeInfo(type, out var resolved) ? resolved : null
            : JsonSerializer.IsReflectionEnabledByDefault ? new DefaultJsonTypeInfoResolver().GetTypeInfo(type, serializerOptions) : null;
        return typeInfo is null
            ? []
            : typeInfo.Properties
                .Where(property => property.AttributeProvider is MemberInfo)
                .ToDictionary(property => ((MemberInfo)property.AttributeProvider!).Name, property => property.Name, StringComparer.Ordinal);
    }

    /// <summary>Throws <see cref="ValidationException"/> when <paramref name="request"/> is not valid.</summary>
    public static void EnsureValid(object request, JsonSerializerOptions serializerOptions)
    {
        var errors = Validate(request, serializerOptions);
        if (errors.Count > 0)
        {
            throw new ValidationException(Describe(errors));
        }
    }

    /// <summary>The errors <see cref="Validate"/> found, as one message.</summary>
    public static string Describe(Dictionary<string, string[]> errors) =>
        string.Join(" ", errors.SelectMany(error => error.Value.Select(message => $"{error.Key}: {message}")));
}
