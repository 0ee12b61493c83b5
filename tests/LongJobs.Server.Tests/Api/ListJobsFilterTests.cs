using System.Net;
using LongJobs.Server.Storage;
using LongJobs.Server.Tests.Support;

namespace LongJobs.Server.Tests.Api;

/// <summary>GET /api/jobs with an owner (administrators) and a creation time range.</summary>
public sealed class ListJobsFilterTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task List_CreatedRange_ReturnsTheJobsCreatedFromItsStartUntilBeforeItsEnd()
    {
        await using var api = await TestApi.StartAsync();
        var ids = new List<Guid>();
        for (var minute = 0; minute < 4; minute++)
        {
            ids.Add((await api.Store.InsertAsync(new JobRecord { Id = Guid.CreateVersion7(), Kind = "imported", CreatedAt = T0.AddMinutes(minute) })).Id);
        }

        var page = await TestApi.ReadJsonAsync(await api.GetAsync("/api/jobs?createdAfter=2030-01-01T12:01:00Z&createdBefore=2030-01-01T13:03:00%2B01:00"));
        var fromOnly = await TestApi.ReadJsonAsync(await api.GetAsync("/api/jobs?createdAfter=2030-01-01T12:03:00Z"));

        Assert.Equal([ids[2], ids[1]], page.GetProperty("items").EnumerateArray().Select(job => job.GetProperty("id").GetGuid()));
        Assert.Equal([ids[3]], fromOnly.GetProperty("items").EnumerateArray().Select(job => job.GetProperty("id").GetGuid()));
    }

    [Theory]
    [InlineData("createdAfter=yesterday", "createdAfter")]
    [InlineData("createdAfter=2030-01-01T12:00:00", "createdAfter")]
    [InlineData("createdBefore=2030-01-01", "createdBefore")]
    [InlineData("createdAfter=2030-01-01T12:00:00Z&createdBefore=2030-01-01T12:00:00Z", "createdBefore")]
    [InlineData("owner=", "owner")]
    [InlineData("owner=%01", "owner")]
    public async Task List_WithABadFilter_Is400ProblemDetailsNamingIt(string query, string field)
    {
        await using var api = await TestApi.StartAsync(options => options.AdministratorRole = "admin", addServices: HeaderAuthenticationHandler.Add);
        using var admin = api.ClientFor("carol", "admin");

        using var response = await admin.GetAsync(new Uri($"/api/jobs?{query}", UriKind.Relative)).WithSafetyTimeout();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TestApi.ReadProblemAsync(response)).GetProperty("errors").TryGetProperty(field, out _), query);
    }

    [Fact]
    public async Task List_ByOwner_IsAnAdministratorsFilter_OthersMayNameOnlyThemselves()
    {
        await using var api = await TestApi.StartAsync(options => options.AdministratorRole = "admin", addServices: HeaderAuthenticationHandler.Add);
        using var alice = api.ClientFor("alice");
        using var bob = api.ClientFor("bob");
        using var admin = api.ClientFor("carol", "admin");
        await api.Store.InsertManyAsync([
            new JobRecord { Id = Guid.CreateVersion7(), Kind = "imported", CreatedAt = T0, Owner = "alice" },
            new JobRecord { Id = Guid.CreateVersion7(), Kind = "imported", CreatedAt = T0, Owner = "bob" },
            new JobRecord { Id = Guid.CreateVersion7(), Kind = "imported", CreatedAt = T0, Owner = "bob" },
        ]);

        var alicesAsAdmin = await TestApi.ReadJsonAsync(await admin.GetAsync(new Uri("/api/jobs?owner=alice", UriKind.Relative)).WithSafetyTimeout());
        var bobsAsAdmin = await TestApi.ReadJsonAsync(await admin.GetAsync(new Uri("/api/jobs?owner=bob", UriKind.Relative)).WithSafetyTimeout());
        var alicesOwn = await TestApi.ReadJsonAsync(await alice.GetAsync(new Uri("/api/jobs?owner=alice", UriKind.Relative)).WithSafetyTimeout());
        using var bobAskingForAlices = await bob.GetAsync(new Uri("/api/jobs?owner=alice", UriKind.Relative)).WithSafetyTimeout();

        Assert.Equal(1, alicesAsAdmin.GetProperty("items").GetArrayLength());
        Assert.Equal(2, bobsAsAdmin.GetProperty("items").GetArrayLength());
        Assert.Equal(1, alicesOwn.GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.Forbidden, bobAskingForAlices.StatusCode);
        Assert.Equal("Administrators only.", (await TestApi.ReadProblemAsync(bobAskingForAlices)).GetProperty("title").GetString());
    }
}
