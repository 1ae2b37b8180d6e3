namespace OneClickSuite.Payroll.PayRuns;

public static class RunStatus
{
    public const string Draft = "draft";
    public const string Submitted = "submitted";
    public const string Approved = "approved";
    public const string Disbursing = "disbursing";
    public const string Completed = "completed";
    public const string CompletedWithFailures = "completed-with-failures";
    public const string Cancelled = "cancelled";
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

/// <summary>Who acts, as the portal asserts it (headers X-Suite-User and X-Suite-Roles).</summary>
public sealed record Actor(string User, IReadOnlySet<string> Roles)
{
    /// <summary>Prepares, submits, cancels runs; retries or writes off failed lines.</summary>
    public const string MakerRole = "payroll-maker";
    /// <summary>Approves a submitted run (never one they created or submitted).</summary>
    public const string CheckerRole = "payroll-checker";

    public bool Has(string role) => Roles.Contains(role);
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
    IReadOnlyList<string>? Warnings = null);

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

/// <summary>A refused request: <see cref="Status"/> is the HTTP status to answer.</summary>
public sealed class PayrollRefusal(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static PayrollRefusal NotFound(string what) => new(404, $"{what} not found");
    public static PayrollRefusal Conflict(string message) => new(409, message);
    public static PayrollRefusal Forbidden(string message) => new(403, message);
    public static PayrollRefusal Invalid(string message) => new(400, message);
}
