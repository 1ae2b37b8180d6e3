namespace OneClickSuite.Contracts.Payroll;

// The shapes of Payroll's pay run API (adapters/Services/Payroll/README.md), shared by Payroll, the portal and the demo.

/// <summary>Payroll's roles, granted from the suite roles of a verified identity (clerk: maker, approver: checker).</summary>
public static class PayrollRoles
{
    /// <summary>Prepares, submits, cancels runs; retries or writes off failed lines.</summary>
    public const string MakerRole = "payroll-maker";
    /// <summary>Approves a submitted run (never one they created or submitted).</summary>
    public const string CheckerRole = "payroll-checker";
}

/// <summary>
/// The one-click demo acts as two identities of its own, never as a person: its runs and approvals are recorded as
/// the demo's, and Payroll lets it pay only a worker it registered.
/// </summary>
public static class DemoIdentities
{
    public const string Prefix = "demo:";
    public const string Clerk = Prefix + "clerk";
    public const string Approver = Prefix + "approver";
}

public static class RunStatus
{
    public const string Draft = "draft";
    public const string Submitted = "submitted";
    public const string Approved = "approved";
    public const string Disbursing = "disbursing";
    public const string Completed = "completed";
    public const string CompletedWithFailures = "completed-with-failures";
    public const string Cancelled = "cancelled";

    /// <summary>Payments are still under way.</summary>
    public static bool IsMoving(string status) => status is Approved or Disbursing;
}

public static class LineStatus
{
    /// <summary>Computed, not yet approved.</summary>
    public const string Pending = "pending";
    /// <summary>A payment was requested and no outcome has arrived yet.</summary>
    public const string Requested = "requested";
    public const string Paid = "paid";
    public const string Failed = "failed";
    public const string WrittenOff = "written-off";
    /// <summary>A negative adjustment: nothing is paid; the amount is owed back by the worker.</summary>
    public const string ToRecover = "to-recover";
    public const string Cancelled = "cancelled";
}

public static class LineKind
{
    public const string Salary = "salary";
    public const string Incentive = "incentive";
    public const string Adjustment = "adjustment";
}

public static class PopulationKind
{
    public const string Everyone = "everyone";
    public const string Facility = "facility";
    public const string Cadre = "cadre";
    /// <summary>One worker (an off-cycle payment, or the demo): the value is the worker id.</summary>
    public const string Worker = "worker";
}

/// <summary>
/// A run to prepare. <see cref="Reason"/>: why a period other than the current or the previous one (kept with the run
/// and in the audit trail); without one such a run is refused.
/// </summary>
public sealed record NewPayRun(string Period, string? Population, string? PopulationValue, string? Reason = null);

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
    IReadOnlyList<string>? Warnings = null,
    string? PeriodReason = null,
    IReadOnlyDictionary<string, decimal>? TotalsByCurrency = null,
    RunChecksSummary? Checks = null)
{
    public int Lines(string status) => LinesByStatus.TryGetValue(status, out var count) ? count : 0;
}

/// <summary>One line of a pay run; <see cref="Submissions"/> are the ODK instance ids it pays for.</summary>
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
    long? FineractTransferId,
    string? Rail = null,
    string? ProviderReference = null,
    string? Msisdn = null);

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
    IReadOnlyList<ReconciliationIssue> Issues,
    IReadOnlyList<RailReconciliation>? Rails = null);

/// <summary>One rail's part of a reconciliation: lines paid, what Payroll paid and what the rail's books show, issues.</summary>
public sealed record RailReconciliation(string Rail, int LinesPaid, decimal ExpectedTotal, decimal FoundTotal, int Issues);

/// <summary>What Payroll knows about one worker (GET /workers/{id}?period=yyyy-MM): roster facts, account, activity.</summary>
public sealed record PayrollWorkerView(
    string WorkerId,
    string EmployeeNumber,
    string DisplayName,
    string FacilityId,
    string FacilityName,
    string Cadre,
    string PayKind,
    bool Active,
    long? SavingsAccountId,
    bool CreditsBlocked,
    string? Period,
    IReadOnlyList<PayrollActivityView> Activity);

/// <summary>One ODK submission as Payroll holds it; <see cref="Counted"/> says whether it counts towards pay now.</summary>
public sealed record PayrollActivityView(string SubmissionId, DateOnly Period, bool Counted, string? ReviewState, string Counts);

/// <summary>The checks of a run at a glance: how many block approval until resolved, and how many only warn.</summary>
public sealed record RunChecksSummary(int Blocking, int Resolved, int Warnings, DateTimeOffset? ComputedAt);

/// <summary>
/// One check of a run, per line (or for the run: <see cref="LineId"/> null). A blocking check (money may go to the
/// wrong person) holds approval until it is resolved: the approver records why it may go ahead.
/// </summary>
public sealed record RunCheckView(
    long Id,
    Guid? LineId,
    string? WorkerId,
    string? WorkerName,
    string Kind,
    bool Blocking,
    string Detail,
    string? ResolvedBy,
    DateTimeOffset? ResolvedAt,
    string? Resolution);

public sealed record ResolveCheck(string? Reason);

public static class CheckKind
{
    /// <summary>Blocking: not active in iHRIS on the pay date and not a leaver's final pay.</summary>
    public const string NotActive = "not-active-on-pay-date";
    /// <summary>A leaver's final, prorated pay: shown, not blocking.</summary>
    public const string FinalPay = "leaver-final-pay";
    public const string NoApprovedReport = "incentive-without-approved-report";
    public const string AmountChanged = "amount-changed";
    public const string FirstTimePayee = "first-time-payee";
    /// <summary>Blocking: another worker with the same name and birth date, or the same phone.</summary>
    public const string PossibleDuplicate = "possible-duplicate-person";
    /// <summary>Blocking: paid into an account another worker of the run is paid into too.</summary>
    public const string SharedAccount = "shared-destination-account";
    public const string NoAccount = "no-account-yet";
    /// <summary>The run's total against the previous period's (for the run, not a line).</summary>
    public const string TotalChanged = "total-against-previous-period";
}

/// <summary>A worker Payroll pays nothing until iHRIS (or the rule set) is fixed: the record, field, value and why.</summary>
public sealed record PayHoldView(string WorkerId, string EmployeeNumber, string WorkerName, string Record, string Field, string? Value,
    string Reason, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

/// <summary>
/// What one paid line paid, as the worker sees it: the period, what counted (rule, reports, amounts, proration),
/// deductions, what was paid, where and when. Its id is the line's; <see cref="Version"/> grows when a query about it
/// is answered.
/// </summary>
public sealed record PayStatementView(
    Guid Id,
    Guid RunId,
    string WorkerId,
    string EmployeeNumber,
    string WorkerName,
    string Period,
    string Kind,
    decimal Amount,
    string Currency,
    string Counted,
    IReadOnlyList<string> Submissions,
    string Deductions,
    string PaidTo,
    DateTimeOffset PaidAt,
    string? PaymentReference,
    long Version,
    string? QueryStatus,
    string? QueryAnswer);

/// <summary>A worker's query about a statement (ODK form pay_query), and the clerk's answer and its outcome.</summary>
public sealed record DisputeView(
    Guid Id,
    string SubmissionId,
    Guid? StatementId,
    string? WorkerId,
    string Question,
    DateTimeOffset ReceivedAt,
    string Status,
    string? Answer,
    string? Outcome,
    string? AnsweredBy,
    DateTimeOffset? AnsweredAt);

public sealed record AnswerDispute(string? Answer, string? Outcome);

public static class DisputeOutcome
{
    /// <summary>The statement is right; the answer explains it.</summary>
    public const string Confirmed = "statement-confirmed";
    /// <summary>The worker is right; a correction (an adjustment) is due in a later run.</summary>
    public const string CorrectionDue = "correction-due";
    /// <summary>Passed to someone else (the facility, HR) to settle.</summary>
    public const string Referred = "referred";

    public static readonly IReadOnlyList<string> All = [Confirmed, CorrectionDue, Referred];
}

public static class DisputeStatus
{
    public const string Open = "open";
    public const string Answered = "answered";
}
