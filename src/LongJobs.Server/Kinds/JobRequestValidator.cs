using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace LongJobs.Server.Kinds;

/// <summary>Validates job requests with their data annotations and <see cref="IValidatableObject"/>.</summary>
internal static class JobRequestValidator
{
    /// <summary>Validates <paramref name="request"/>; field names follow <paramref name="serializerOptions"/>' naming policy.</summary>
    /// <returns>The errors by field name; empty when the request is valid.</returns>
    public static Dictionary<string, string[]> Validate(object request, JsonSerializerOptions serializerOptions)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(request, new ValidationContext(request), results, validateAllProperties: true);
        return results
            .SelectMany(result => (result.MemberNames.Any() ? result.MemberNames : [string.Empty])
                .Select(member => (Field: serializerOptions.PropertyNamingPolicy?.ConvertName(member) ?? member, Message: result.ErrorMessage ?? "The value is not valid.")))
            .GroupBy(error => error.Field, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Select(error => error.Message).ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Throws <see cref="ValidationException"/> when <paramref name="request"/> is not valid.</summary>
    public static void EnsureValid(object request, JsonSerializerOptions serializerOptions)
    {
        var errors = Validate(request, serializerOptions);
        if (errors.Count > 0)
        {
            throw new ValidationException(string.Join(" ", errors.SelectMany(error => error.Value.Select(message => $"{error.Key}: {message}"))));
        }
    }
}
