using LongJobs.Server.Jobs;
using Microsoft.Extensions.Logging;

namespace LongJobs.Server.Tests.Jobs;

/// <summary>The progress rules every <see cref="JobContext"/> enforces before a report reaches the store.</summary>
public sealed class JobContextTests
{
    private sealed class RecordingContext() : JobContext(Guid.NewGuid(), "test")
    {
        public List<(double Fraction, string? Message)> Reports { get; } = [];

        public List<(LogLevel Level, string Message)> Lines { get; } = [];

        protected override void OnLog(LogLevel level, string message) => Lines.Add((level, message));

        protected override ValueTask OnProgressAsync(double fraction, string? message, CancellationToken cancellationToken)
        {
            Reports.Add((fraction, message));
            return ValueTask.CompletedTask;
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(0.5)]
    [InlineData(1)]
    public async Task ReportProgress_WithFractionFromZeroToOne_PassesItOn(double fraction)
    {
        var context = new RecordingContext();

        await context.ReportProgressAsync(fraction, "step");

        Assert.Equal((fraction, "step"), Assert.Single(context.Reports));
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public async Task ReportProgress_WithFractionOutOfRange_Throws(double fraction)
    {
        var context = new RecordingContext();

        var exception = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await context.ReportProgressAsync(fraction));

        Assert.Equal("fraction", exception.ParamName);
        Assert.Empty(context.Reports);
    }

    [Fact]
    public async Task ReportProgress_WithMessageOfMaximumLength_PassesItOn()
    {
        var context = new RecordingContext();

        await context.ReportProgressAsync(0.1, new string('x', JobContext.MaxProgressMessageLength));

        Assert.Single(context.Reports);
    }

    [Fact]
    public async Task ReportProgress_WithTooLongMessage_Throws()
    {
        var context = new RecordingContext();

        var exception = await Assert.ThrowsAsync<ArgumentException>(async () => await context.ReportProgressAsync(0.1, new string('x', JobContext.MaxProgressMessageLength + 1)));

        Assert.Equal("message", exception.ParamName);
        Assert.Empty(context.Reports);
    }

    [Fact]
    public async Task ReportProgress_WithANulCharacterInTheMessage_Throws()
    {
        var context = new RecordingContext();

        var exception = await Assert.ThrowsAsync<ArgumentException>(async () => await context.ReportProgressAsync(0.1, "a\0b"));

        Assert.Equal("message", exception.ParamName);
        Assert.Empty(context.Reports);
    }

    [Fact]
    public void Log_CutsLongMessages_ReplacesNul_AndWritesNothingAtLevelNone()
    {
        var context = new RecordingContext();

        context.Log(LogLevel.Information, new string('x', JobContext.MaxLogMessageLength + 10));
        context.Log(LogLevel.Warning, "a\0b");
        context.Log(LogLevel.None, "nothing");

        Assert.Equal(2, context.Lines.Count);
        Assert.Equal(JobContext.MaxLogMessageLength, context.Lines[0].Message.Length);
        Assert.Equal((LogLevel.Warning, "a\uFFFDb"), context.Lines[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => context.Log((LogLevel)42, "no such level"));
    }

    [Fact]
    public void Logger_FormatsTemplatesAndExceptions_IntoTheJobsLog()
    {
        var context = new RecordingContext();

#pragma warning disable CA1848 // The extension methods users call on JobContext.Logger.
        context.Logger.LogWarning(new InvalidOperationException("broken"), "Row {Row} skipped", 7);
        context.Logger.LogDebug("Debug lines are kept too");
#pragma warning restore CA1848

        Assert.Equal(
            [(LogLevel.Warning, "Row 7 skipped (InvalidOperationException: broken)"), (LogLevel.Debug, "Debug lines are kept too")],
            context.Lines);
    }
}
