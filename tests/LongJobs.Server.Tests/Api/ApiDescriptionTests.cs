using System.ComponentModel;
using System.Reflection;
using System.Xml.Linq;
using LongJobs.Server.Api;
using LongJobs.Server.Tests.Support;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.DependencyInjection;

namespace LongJobs.Server.Tests.Api;

/// <summary>
/// The jobs API as the OpenAPI document sees it (through API Explorer, as NSwag does): every operation has a summary
/// and a description and every response a description (the handler's XML documentation: summary, remarks, response),
/// every parameter a description (its <see cref="DescriptionAttribute"/>).
/// </summary>
public sealed class ApiDescriptionTests
{
    private static readonly XDocument Documentation = XDocument.Load(Path.ChangeExtension(typeof(JobsApi).Assembly.Location, ".xml"));

    [Fact]
    public async Task EveryOperation_HasASummaryADescriptionAndADescriptionOfEveryResponse()
    {
        await using var api = await StartAsync();

        var operations = Operations(api);

        Assert.Equal(["CancelJob", "DeleteJob", "GetFailingJob", "GetGatedJob", "GetJob", "GetJobHistory", "ListJobKinds", "ListJobSchedules", "ListJobs", "PauseJobKind", "PauseJobSchedule", "ResumeJobKind", "ResumeJobSchedule", "RetryJob", "StartFailingJob", "StartFailingJobs", "StartGatedJob", "StartGatedJobs"], operations.Select(Name).Order(StringComparer.Ordinal));
        Assert.All(operations, operation =>
        {
            var docs = DocumentationOf(Handler(operation));
            Assert.False(string.IsNullOrWhiteSpace(docs.Element("summary")?.Value), $"{Name(operation)} has no summary.");
            Assert.False(string.IsNullOrWhiteSpace(docs.Element("remarks")?.Value), $"{Name(operation)} has no description (remarks).");
            Assert.All(operation.SupportedResponseTypes, response => Assert.False(
                string.IsNullOrWhiteSpace(docs.Elements("response").SingleOrDefault(element => (int?)element.Attribute("code") == response.StatusCode)?.Value),
                $"{Name(operation)} does not describe its {response.StatusCode} response."));
        });
    }

    [Fact]
    public async Task EveryParameter_HasADescription()
    {
        await using var api = await StartAsync();

        var parameters = Operations(api)
            .SelectMany(operation => operation.ParameterDescriptions.Where(parameter => parameter.Source != BindingSource.Body).Select(parameter => (Operation: Name(operation), Parameter: parameter)))
            .ToList();

        Assert.Contains(parameters, item => item.Operation == "GetJob" && item.Parameter.Name == "If-None-Match");
        Assert.Contains(parameters, item => item.Operation == "StartGatedJob" && item.Parameter.Name == "Prefer");
        Assert.Contains(parameters, item => item.Operation == "StartGatedJob" && item.Parameter.Name == "Idempotency-Key");
        Assert.All(parameters, item => Assert.False(
            string.IsNullOrWhiteSpace((item.Parameter.ParameterDescriptor as IParameterInfoParameterDescriptor)?.ParameterInfo.GetCustomAttribute<DescriptionAttribute>()?.Description),
            $"{item.Operation}: parameter '{item.Parameter.Name}' has no description."));
    }

    [Fact]
    public async Task Start_Declares200WithTheTypedFinalState_And202WithTheAcceptedState()
    {
        await using var api = await StartAsync();

        var start = Operations(api).Single(operation => Name(operation) == "StartGatedJob");

        Assert.Equal(typeof(JobState<GatedResult>), start.SupportedResponseTypes.Single(response => response.StatusCode == 200).Type);
        Assert.Equal(typeof(JobInfo), start.SupportedResponseTypes.Single(response => response.StatusCode == 202).Type);
    }

    [Theory]
    [InlineData("GetJob")]
    [InlineData("GetGatedJob")]
    public async Task Get_Declares304NotModified(string operationId)
    {
        await using var api = await StartAsync();

        var get = Operations(api).Single(operation => Name(operation) == operationId);

        Assert.Contains(get.SupportedResponseTypes, response => response.StatusCode == 304);
    }

    private static Task<TestApi> StartAsync() => TestApi.StartAsync(addServices: services => services.AddEndpointsApiExplorer());

    private static List<ApiDescription> Operations(TestApi api) =>
        [.. api.App.Services.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items.SelectMany(group => group.Items)];

    private static string Name(ApiDescription operation) =>
        operation.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Routing.IEndpointNameMetadata>().Single().EndpointName;

    private static MethodInfo Handler(ApiDescription operation) =>
        operation.ActionDescriptor.EndpointMetadata.OfType<MethodInfo>().Single();

    /// <summary>The XML documentation of <paramref name="method"/>: the member of its name (handlers have no overloads).</summary>
    private static XElement DocumentationOf(MethodInfo method)
    {
        var type = method.DeclaringType!.IsGenericType ? method.DeclaringType.GetGenericTypeDefinition() : method.DeclaringType;
        var prefix = $"M:{type.FullName}.{method.Name}(";
        return Documentation.Descendants("member").Single(member => ((string?)member.Attribute("name"))?.StartsWith(prefix, StringComparison.Ordinal) == true);
    }
}
