using System.Text;
using System.Text.Json;
using LongJobs.Server.Api;

namespace LongJobs.Server.Tests.Api;

/// <summary>Which property a body names twice, told apart from keys of a dictionary that differ only in case.</summary>
public sealed class JsonBodyErrorsTests
{
    private static readonly JsonSerializerOptions Options = new LongJobsOptions().SerializerOptions;

    [Theory]
    [InlineData("""{"count":1,"count":2}""", "$.count", "The property 'count' appears more than once in one object.")]
    [InlineData("""{"count":1,"headers":{"X":"1","X":"2"}}""", "$.headers.X", "The property 'X' appears more than once in one object.")]
    [InlineData("""{"count":1,"headers":{"X-A":"1","X-A":"2"}}""", null, "The property 'X-A' appears more than once in one object.")]
    [InlineData("""{"headers":{"X-A":"1","x-a":"2"},"count":"five"}""", "$.count", "The value has the wrong type or is out of range.")]
    public void Describe_NamesTheDuplicateTheSerializerStoppedAt_OrElseWhatIsWrong(string json, string? path, string message)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var exception = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Request>(body, Options));
        if (path is not null)
        {
            Assert.Equal(path, exception.Path);
        }

        var error = Assert.Single(JsonBodyErrors.Describe(body, typeof(Request), Options, exception));

        Assert.Equal(message, Assert.Single(error.Value));
    }

    public sealed record Request
    {
        public int Count { get; init; }

        public Dictionary<string, string>? Headers { get; init; }
    }
}
