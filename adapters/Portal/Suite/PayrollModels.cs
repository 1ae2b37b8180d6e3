namespace OneClickSuite.Portal.Suite;

// The shapes of Payroll's pay run API (adapters/Payroll/PayRuns/PayRunModels.cs), as the portal reads them.

public static class RunStatus
{
    public const string Draft = "draft";
    public const string Submitted = "submitted";
    public const string Approved = "approved";
    public const string Disbursing = "disbursing";
    public const string Completed = "completed";
    public const string CompletedWithFailures = "completed-with-failures";
    public const string Cancelled = "cancelled";

    /// <summary>Payments are still under way: the page keeps refreshing.</summary>
    public static bool IsMoving(string status) => status is Approved or Disbursing;
}

public sealed record NewPayRun(string Period, string? Population, string? PopulationValue);

public sealed record PayRunView(
    Guid Id,
    string Period,
    string Population,
    string? PopulationValue,
    string RuleSetVersion,
    string Status,
    int LineCount,
    decimal Total,
    string Currency,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    string? SubmittedBy,
    DateTimeOffset? SubmittedAt,
    string? ApprovedBy,
    DateTimeOffset? ApprovedAt,
    DateTimeOffset? DisbursingAt,
    DateTimeOffset? CompletedAt,
    string? CancelledBy,
    DateTimeOffset? CancelledAt,
    string? CancelReason,
    IReadOnlyDictionary<string, int> LinesByStatus,
    IReadOnlyList<string>? Warnings = null)
{
    public int Lines(string status) => LinesByStatus.TryGetValue(status, out var count) ? count : 0;
}

public sealed record PayLineView(
    Guid Id,
    string WorkerId,
    string EmployeeNumber,
    string WorkerName,
    string FacilityId,
    string Cadre,
    string Period,
    string Kind,
    decimal Amount,
    string Currency,
    string Explanation,
    IReadOnlyList<string> Submissions,
    string Status,
    Guid? PaymentId,
    string? PaymentReference,
    int Attempts,
    string? FailureReason,
    string? WrittenOffBy,
    string? WriteOffReason,
    DateTimeOffset? PaidAt,
    long? FineractTransferId);

public sealed record ReconciliationIssue(string Kind, Guid? PaymentId, Guid? LineId, string? WorkerId, decimal? Expected, decimal? Found,
    int Transactions, string Detail);

public sealed record ReconciliationReport(
    Guid RunId,
    DateTimeOffset CheckedAt,
    long FundingSavingsAccountId,
    int LinesPaid,
    decimal ExpectedTotal,
    decimal FoundTotal,
    bool Clean,
    IReadOnlyList<ReconciliationIssue> Issues);

public sealed record DeadLetter(Guid Id, string? MessageType, string? ExceptionType, string? ExceptionMessage, DateTimeOffset? SentAt,
    bool Replayable, string? Source);
