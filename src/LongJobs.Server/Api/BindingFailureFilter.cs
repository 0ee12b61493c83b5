using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LongJobs.Server.Api;

/// <summary>
/// Turns the empty 400 that minimal APIs answer when a route or query value cannot be bound (an ID that is
/// not a GUID, a <c>wait</c> that is not a number) into validation problem details naming the bad value.
/// </summary>
internal sealed class BindingFailureFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context).ConfigureAwait(false);
        var http = context.HttpContext;
        if (result is not EmptyHttpResult || http.Response.StatusCode != StatusCodes.Status400BadRequest || http.Response.HasStarted)
        {
            return result;
        }

        return TypedResults.ValidationProblem(DescribeInvalidValues(http.Request), title: "The request has invalid route or query values.");
    }

    private static Dictionary<string, string[]> DescribeInvalidValues(HttpRequest request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request.RouteValues.TryGetValue("id", out var id) && !Guid.TryParse(id?.ToString(), out _))
        {
            errors["id"] = ["The job ID must be a GUID."];
        }

        foreach (var name in (string[])["wait", "pageSize"])
        {
            if (request.Query.TryGetValue(name, out var value) && !int.TryParse(value, out _))
            {
                errors[name] = ["The value must be a whole number."];
            }
        }

        foreach (var name in (string[])["createdAfter", "createdBefore"])
        {
            if (request.Query.TryGetValue(name, out var value) && !StartTimeHeaders.TryParseDateTime(value, out _))
            {
                errors[name] = [JobsApi.DateTimeRule];
            }
        }

        if (request.Query.TryGetValue("status", out var status) && !JobsApi.IsStatusName(status))
        {
            errors["status"] = [JobsApi.StatusNames];
        }

        if (errors.Count == 0)
        {
            errors[string.Empty] = ["A route or query value could not be read."];
        }

        return errors;
    }
}
