namespace OneClickSuite.Contracts;

/// <summary>
/// Payroll has paid a leaver everything owed (their final period's line settled, or nothing was owed for it): only now
/// may their account refuse credits. <see cref="RosterRevision"/> is the roster revision the leaving was seen at; a
/// consumer that has since applied a newer revision (the worker came back) ignores it.
/// </summary>
public sealed record WorkerPayClosedV1(string WorkerId, DateOnly FinalPeriod, long RosterRevision, DateTimeOffset OccurredAt);

/// <summary>
/// What a paid line paid, for the worker to see where they work (ODK's <c>pay_statements</c> entity list).
/// <see cref="StatementId"/> is the pay line's id and never changes; <see cref="Version"/> grows when the statement
/// changes (a query about it was answered), and a consumer keeps the newest version only.
/// </summary>
public sealed record PayStatementV1(
    Guid StatementId,
    string WorkerId,
    string EmployeeNumber,
    string Period,
    string Kind,
    decimal Amount,
    string Currency,
    string PaidTo,
    DateTimeOffset PaidAt,
    string Details,
    string? QueryStatus,
    string? QueryAnswer,
    long Version);

/// <summary>
/// A worker queried a statement (ODK form <c>pay_query</c>). <see cref="Statement"/> is the value the form stored (the
/// statement entity's uuid, which is the statement id) exactly as submitted; <see cref="SubmissionVersion"/> orders
/// edits of one submission.
/// </summary>
public sealed record PayQueryReceivedV1(
    string SubmissionId,
    string? Statement,
    string? Worker,
    string Question,
    DateTimeOffset SubmittedAt,
    long SubmissionVersion);

/// <summary>RabbitMQ fanout exchanges of Payroll's own news and of the queries that come back to it.</summary>
public static class PayrollExchanges
{
    /// <summary><see cref="WorkerPayClosedV1"/>, consumed by the Fineract adapter.</summary>
    public const string Workers = "payroll-workers";

    /// <summary><see cref="PayStatementV1"/>, consumed by the ODK adapter.</summary>
    public const string Statements = "pay-statements";

    /// <summary><see cref="PayQueryReceivedV1"/>, published by the ODK adapter, consumed by Payroll.</summary>
    public const string Queries = "pay-queries";
}
