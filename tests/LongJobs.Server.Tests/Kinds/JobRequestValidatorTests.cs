using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using LongJobs.Server.Kinds;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Kinds;

public sealed class JobRequestValidatorTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private sealed class Window : IValidatableObject
    {
        public int From { get; init; }

        public int To { get; init; }

        public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
        {
            if (To < From)
            {
                yield return new ValidationResult("To must not be before From.", [nameof(To)]);
            }
        }
    }

    [Fact]
    public void Validate_WithInvalidFields_NamesThemWithTheSerializersNamingPolicy()
    {
        var errors = JobRequestValidator.Validate(new GatedRequest { GateKey = "", Value = 5000 }, Web);

        Assert.Equal(["gateKey", "value"], errors.Keys.Order());
    }

    private sealed class Renamed
    {
        [JsonPropertyName("custom_name")]
        [Range(1, 10)]
        public int CustomName { get; init; }

        [Range(1, 10)]
        public int PlainName { get; init; }
    }

    /// <summary>The default options, and options an application sets that have not serialised anything yet (no resolver).</summary>
    public static TheoryData<string> SerializerOptionsCases => ["LongJobsOptions default", "Web defaults"];

    [Theory]
    [MemberData(nameof(SerializerOptionsCases))]
    public void Validate_WithJsonPropertyName_NamesTheFieldAsInTheJson(string serializerOptions)
    {
        var options = serializerOptions == "Web defaults" ? new JsonSerializerOptions(JsonSerializerDefaults.Web) : new LongJobsOptions().SerializerOptions;

        var errors = JobRequestValidator.Validate(new Renamed { CustomName = 0, PlainName = 0 }, options);

        Assert.Equal(["custom_name", "plainName"], errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Validate_WithValidRequest_ReturnsNoErrors()
    {
        Assert.Empty(JobRequestValidator.Validate(new GatedRequest { GateKey = "a", Value = 5 }, Web));
    }

    [Fact]
    public void Validate_WithValidatableObject_RunsItsRules()
    {
        var errors = JobRequestValidator.Validate(new Window { From = 5, To = 1 }, Web);

        Assert.Equal("To must not be before From.", Assert.Single(errors["to"]));
    }

    [Fact]
    public void EnsureValid_WithInvalidRequest_ThrowsValidationExceptionNamingTheFields()
    {
        var exception = Assert.Throws<ValidationException>(() => JobRequestValidator.EnsureValid(new GatedRequest { GateKey = "", Value = -1 }, Web));

        Assert.Contains("gateKey", exception.Message, StringComparison.Ordinal);
        Assert.Contains("value", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ATypeWithNoAnnotations_IsValidWhateverItHolds()
    {
        Assert.Empty(JobRequestValidator.Validate(new Plain { Name = null }, Web));
    }

    [Fact]
    public void Validate_AnAnnotationOnTheBaseOfAnOverriddenProperty_IsChecked()
    {
        var errors = JobRequestValidator.Validate(new Overriding { Name = null }, Web);

        Assert.Equal(["name"], errors.Keys);
    }

    private sealed class Plain
    {
        public string? Name { get; init; }
    }

    private abstract class NamedBase
    {
        [Required]
        public abstract string? Name { get; init; }
    }

    private sealed class Overriding : NamedBase
    {
        public override string? Name { get; init; }
    }
}
