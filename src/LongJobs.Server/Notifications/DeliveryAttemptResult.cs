namespace LongJobs.Server.Notifications;

/// <summary>How one attempt of a <see cref="INotificationChannel"/> to deliver a notification went.</summary>
public sealed class DeliveryAttemptResult
{
    private DeliveryAttemptResult(DeliveryAttemptOutcome outcome, string? error)
    {
        Outcome = outcome;
        Error = error;
    }

    /// <summary>The receiver accepted the notification.</summary>
    public static DeliveryAttemptResult Delivered { get; } = new(DeliveryAttemptOutcome.Delivered, error: null);

    /// <summary>Where the attempt stands.</summary>
    public DeliveryAttemptOutcome Outcome { get; }

    /// <summary>Why the attempt failed, as the job's deliveries show it; <see langword="null"/> when it was delivered.</summary>
    public string? Error { get; }

    /// <summary>The attempt failed, but a later one may succeed (the receiver is down, busy or slow).</summary>
    /// <param name="error">Why it failed, for the job's deliveries and the log; no secrets.</param>
    /// <returns>The result.</returns>
    public static DeliveryAttemptResult TryAgain(string error) => new(DeliveryAttemptOutcome.TryAgain, Require(error));

    /// <summary>The notification can never be delivered (the receiver refused it, the address is not allowed): no more attempts.</summary>
    /// <param name="error">Why, for the job's deliveries and the log; no secrets.</param>
    /// <returns>The result.</returns>
    public static DeliveryAttemptResult Failed(string error) => new(DeliveryAttemptOutcome.Failed, Require(error));

    private static string Require(string error)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return error;
    }
}

/// <summary>Where an attempt to deliver a notification stands.</summary>
public enum DeliveryAttemptOutcome
{
    /// <summary>The receiver accepted it.</summary>
    Delivered,

    /// <summary>It failed; a later attempt may succeed.</summary>
    TryAgain,

    /// <summary>It failed for good.</summary>
    Failed,
}
