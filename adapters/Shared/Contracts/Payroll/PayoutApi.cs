namespace OneClickSuite.Contracts.Payroll;

// The shapes of Payroll's payout destination API, shared by Payroll, the portal and the demo.

/// <summary>
/// A clerk asks for a worker to be paid elsewhere: <c>rail</c> "fineract"; "mobile-money" with <c>msisdn</c> (default: the
/// worker's phone); or "payment-hub" with <c>paymentMode</c> GSMA (payee: a wallet number, default the phone) or
/// CLOSEDLOOP (payee: an account number at the bank Payment Hub reaches).
/// </summary>
public sealed record PayoutChangeRequest(string? Rail, string? Msisdn, string? Reason, string? PaymentMode = null, string? Payee = null);

public sealed record PayoutDecision(string? Note);

/// <summary>
/// One change of a worker's payout destination: asked for by one person, approved or rejected by another. The approved
/// ones, newest last, are where the worker is paid.
/// </summary>
public sealed record PayoutChangeView(
    Guid Id,
    string WorkerId,
    string? WorkerName,
    string Rail,
    string? Msisdn,
    string? HolderName,
    bool? HolderNameMatches,
    string Status,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    string? Reason,
    string? DecidedBy,
    DateTimeOffset? DecidedAt,
    string? DecisionNote,
    string? PaymentMode = null,
    string? PayeeKey = null,
    string? PayeeValue = null);

/// <summary>Where a worker is paid now, what is waiting for approval, and every change before.</summary>
public sealed record PayoutDestinationView(
    string WorkerId,
    string Rail,
    string Destination,
    string? Msisdn,
    string? HolderName,
    DateTimeOffset? Since,
    string? Phone,
    PayoutChangeView? Pending,
    IReadOnlyList<PayoutChangeView> History);

public static class PayoutStatus
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
}
