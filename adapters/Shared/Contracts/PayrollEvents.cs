using System.Security.Cryptography;

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
/// A worker queried a statement (ODK form <c>pay_query</c>). <see cref="Statement"/> is the statement's id when the ODK
/// adapter knows the entity the form stored (<see cref="StatementEntityIds"/>), else that value exactly as submitted;
/// <see cref="SubmissionVersion"/> orders edits of one submission.
/// </summary>
public sealed record PayQueryReceivedV1(
    string SubmissionId,
    string? Statement,
    string? Worker,
    string Question,
    DateTimeOffset SubmittedAt,
    long SubmissionVersion);

/// <summary>
/// The uuid of a statement's entity in ODK's <c>pay_statements</c> list. Statement ids are version-7 UUIDs, and Central
/// accepts only version-4 uuids for entities (400.11), so the entity's is derived from the statement id (SHA-1 of a
/// namespace and the id, with the version nibble set to 4): the ODK adapter, a replay and the demo all find the same.
/// </summary>
public static class StatementEntityIds
{
    private static readonly Guid Namespace = new("3d0b6f2a-5c8e-4f71-9a2d-7e4c1b9f0a58");

    public static Guid For(Guid statementId)
    {
        var input = new byte[32];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        statementId.TryWriteBytes(input.AsSpan(16), bigEndian: true, out _);
        var hash = SHA1.HashData(input);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x40); // version 4, as Central requires
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}

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
