namespace OneClickSuite.Contracts;

/// <summary>
/// One ODK activity submission that counts towards a worker's pay for a period (approved ones only, by default).
/// Sent again with a higher <c>SubmissionVersion</c> whenever the submission is edited or re-reviewed; the latest
/// version replaces earlier ones. <c>SubmissionVersion</c> is ODK's <c>__system/updatedAt</c> (or, for a submission
/// never changed, its <c>submissionDate</c>) as Unix milliseconds.
/// </summary>
public sealed record ActivityCountedV1(
    string SubmissionId,
    string WorkerId,
    DateOnly Period,
    IReadOnlyDictionary<string, int> Counts,
    string? ReviewState,
    long SubmissionVersion,
    DateTimeOffset SubmittedAt);

/// <summary>A submission that counted no longer does (rejected, or no longer approved).</summary>
public sealed record ActivityWithdrawnV1(
    string SubmissionId,
    string WorkerId,
    DateOnly Period,
    string Reason,
    long SubmissionVersion);

/// <summary>RabbitMQ fanout exchange the activity events are published to.</summary>
public static class ActivityExchanges
{
    /// <summary><see cref="ActivityCountedV1"/> and <see cref="ActivityWithdrawnV1"/>.</summary>
    public const string Activity = "activity";
}
