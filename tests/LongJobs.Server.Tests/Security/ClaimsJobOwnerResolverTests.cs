using System.Security.Claims;
using LongJobs.Server.Security;
using Microsoft.AspNetCore.Http;

namespace LongJobs.Server.Tests.Security;

public sealed class ClaimsJobOwnerResolverTests
{
    [Fact]
    public void GetOwner_OfAnAuthenticatedUser_IsTheirNameIdentifier()
    {
        var context = ContextOf(new ClaimsIdentity([new(ClaimTypes.NameIdentifier, "u-1"), new("sub", "s-1")], "test"));

        Assert.Equal("u-1", new ClaimsJobOwnerResolver().GetOwner(context));
    }

    [Fact]
    public void GetOwner_WithoutNameIdentifier_IsTheSubClaim()
    {
        var context = ContextOf(new ClaimsIdentity([new("sub", "s-1"), new(ClaimTypes.Name, "Sam")], "test"));

        Assert.Equal("s-1", new ClaimsJobOwnerResolver().GetOwner(context));
    }

    [Fact]
    public void GetOwner_OfAnAuthenticatedUserWithNeitherClaim_IsNobody()
    {
        var context = ContextOf(new ClaimsIdentity([new(ClaimTypes.Name, "Sam")], "test"));

        Assert.Null(new ClaimsJobOwnerResolver().GetOwner(context));
    }

    [Fact]
    public void GetOwner_OfAnAnonymousRequest_IsNobodyEvenWithClaims()
    {
        var context = ContextOf(new ClaimsIdentity([new(ClaimTypes.NameIdentifier, "u-1")], authenticationType: null));

        Assert.Null(new ClaimsJobOwnerResolver().GetOwner(context));
        Assert.Null(new ClaimsJobOwnerResolver().GetOwner(new DefaultHttpContext()));
    }

    private static DefaultHttpContext ContextOf(ClaimsIdentity identity) => new() { User = new ClaimsPrincipal(identity) };
}
