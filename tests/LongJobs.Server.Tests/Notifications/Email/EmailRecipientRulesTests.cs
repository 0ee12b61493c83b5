using LongJobs.Server.Notifications.Email;

namespace LongJobs.Server.Tests.Notifications.Email;

/// <summary>Which addresses a job may ask to email.</summary>
public sealed class EmailRecipientRulesTests
{
    private static readonly EmailRecipientRules Rules = new(["allowed.test", "*.corp.test", "Bücher.test"]);

    [Theory]
    [InlineData("someone@allowed.test")]
    [InlineData("SOMEONE@ALLOWED.TEST")]
    [InlineData("someone@allowed.test.")]
    [InlineData("someone@mail.corp.test")]
    [InlineData("someone@deep.mail.corp.test")]
    [InlineData("someone@bücher.test")]
    [InlineData("someone@xn--bcher-kva.test")]
    [InlineData("first.last+tag@allowed.test")]
    public void Check_AnAddressOnAnAllowedDomain_Passes(string address) =>
        Assert.Null(Rules.Check(address));

    [Theory]
    [InlineData("someone@corp.test", "'corp.test'")]
    [InlineData("someone@evilcorp.test", "'evilcorp.test'")]
    [InlineData("someone@allowed.test.evil.test", "'allowed.test.evil.test'")]
    [InlineData("someone@[127.0.0.1]", "'[127.0.0.1]'")]
    [InlineData("someone@-allowed.test", "'-allowed.test'")]
    public void Check_AnAddressOutsideTheAllowedDomains_NamesItsDomain(string address, string domain) =>
        Assert.Equal($"This server does not send email to addresses at {domain}.", Rules.Check(address));

    [Theory]
    [InlineData("", "Send one email address")]
    [InlineData("someone", "not a valid email address")]
    [InlineData("someone@", "not a valid email address")]
    [InlineData("a@allowed.test b@allowed.test", "not a valid email address")]
    [InlineData("a@allowed.test, b@allowed.test", "exactly one email address")]
    [InlineData("<someone@allowed.test>", "without a display name, angle brackets or comments")]
    [InlineData("someone@allowed.test (comment)", "without a display name, angle brackets or comments")]
    [InlineData("<@relay.test:someone@allowed.test>", "without a display name, angle brackets or comments")]
    [InlineData("a@allowed.test\nBcc: x@elsewhere.test", "line breaks")]
    [InlineData("a@allowed.test\u0000", "line breaks")]
    public void Check_AValueThatIsNotOneBareAddress_SaysWhy(string address, string expected) =>
        Assert.Contains(expected, Rules.Check(address), StringComparison.Ordinal);

    [Fact]
    public void Check_AnAddressLongerThan254Characters_IsTooLong()
    {
        var address = new string('a', 60) + "@" + string.Join('.', Enumerable.Repeat(new string('b', 60), 3)) + ".allowed.test";
        Assert.True(address.Length > EmailRecipientRules.MaxAddressLength);

        Assert.Equal("The address is too long: at most 254 characters.", Rules.Check(address));
    }

    [Fact]
    public void Check_ALocalPartLongerThan64Characters_IsTooLong() =>
        Assert.Contains("at most 64 characters", Rules.Check(new string('a', 65) + "@allowed.test"), StringComparison.Ordinal);

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("*.example.com", true)]
    [InlineData("bücher.example", true)]
    [InlineData("*", false)]
    [InlineData("*.", false)]
    [InlineData("", false)]
    [InlineData("someone@example.com", false)]
    [InlineData("ex*ample.com", false)]
    [InlineData("-example.com", false)]
    public void CheckDomainEntry_AcceptsDomainsAndSubdomainWildcardsOnly(string entry, bool valid) =>
        Assert.Equal(valid, EmailRecipientRules.CheckDomainEntry(entry) is null);
}
