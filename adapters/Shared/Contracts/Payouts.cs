using System.Text.RegularExpressions;

namespace OneClickSuite.Contracts;

/// <summary>
/// The rails a worker can be paid on. Each rail has its own adapter and its own pair of exchanges; Payroll picks the
/// rail from the worker's approved payout destination when it requests the payment.
/// </summary>
public static class PayoutRails
{
    /// <summary>Account transfer to the worker's savings account at the programme's bank (the Fineract adapter).</summary>
    public const string Fineract = "fineract";

    /// <summary>Bulk disbursement to the worker's mobile wallet through a provider's GSMA Mobile Money API (the mobile money adapter).</summary>
    public const string MobileMoney = "mobile-money";

    /// <summary>Bulk disbursement through Mifos Payment Hub EE to an account at another provider (the Payment Hub adapter).</summary>
    public const string PaymentHub = "payment-hub";

    public static readonly string[] All = [Fineract, MobileMoney, PaymentHub];
}

/// <summary>
/// A mobile wallet's number as the suite writes it: E.164, a plus and 8 to 15 digits, the first not zero. One accepted
/// form; a clerk's "0700 100 001" or "256-700-100001" is refused with the reason, never guessed into a country.
/// </summary>
public static partial class Msisdn
{
    [GeneratedRegex(@"^\+[1-9][0-9]{7,14}$")]
    private static partial Regex E164();

    public static bool IsValid(string? value) => value is not null && E164().IsMatch(value);

    /// <summary>Null when <paramref name="value"/> is a valid MSISDN, else why not.</summary>
    public static string? Problem(string? value) => value switch
    {
        null or "" => "a wallet number is required",
        _ when IsValid(value) => null,
        _ => $"\"{value}\" is not a wallet number in international form: a plus, the country code and the number, digits only (e.g. +256700100001)",
    };
}

/// <summary>
/// Payroll asks for one approved pay line to be paid into the worker's mobile wallet. <c>PaymentId</c> is fixed at
/// approval, as on the Fineract rail: the mobile money adapter puts its reference into the provider's
/// <c>requestingOrganisationTransactionReference</c>, so each payment is found again in the provider's completions and
/// rejections, and a redelivered request is the same payment, never a second one.
/// </summary>
public sealed record WalletPaymentRequestedV1(
    Guid PaymentId,
    Guid PayRunId,
    Guid LineId,
    string WorkerId,
    string? EmployeeNumber,
    string WorkerName,
    decimal Amount,
    string Currency,
    DateOnly Period,
    DateOnly PayDate,
    string Msisdn,
    DateTimeOffset RequestedAt) : IPaymentRequest
{
    public string Reference => PaymentReference.For(PaymentId);
}

/// <summary>
/// Payroll asks for one approved pay line to be paid through Payment Hub EE to an account at another provider:
/// <c>PaymentMode</c> as Payment Hub routes it (<see cref="HubPaymentModes"/>), the payee as a party key and value.
/// The Payment Hub adapter sends the payment's reference as the transfer's <c>requestId</c>, the field Payment Hub keeps
/// with every transfer and answers in its operations API, so each payment is found again there.
/// </summary>
public sealed record HubPaymentRequestedV1(
    Guid PaymentId,
    Guid PayRunId,
    Guid LineId,
    string WorkerId,
    string? EmployeeNumber,
    string WorkerName,
    decimal Amount,
    string Currency,
    DateOnly Period,
    DateOnly PayDate,
    string PaymentMode,
    string PayeeKey,
    string PayeeValue,
    DateTimeOffset RequestedAt) : IPaymentRequest
{
    public string Reference => PaymentReference.For(PaymentId);
}

/// <summary>
/// Payment Hub EE's payment modes the suite sends (ph-ee-bulk-processor CSV column <c>payment_mode</c>): a mobile wallet
/// through its GSMA connector (payee key <c>msisdn</c>), or an account at a bank it reaches closed-loop (payee key
/// <c>accountnumber</c>).
/// </summary>
public static class HubPaymentModes
{
    public const string Gsma = "GSMA";
    public const string ClosedLoop = "CLOSEDLOOP";

    /// <summary>The payee key each mode takes.</summary>
    public static string? PayeeKeyOf(string? mode) => mode switch
    {
        Gsma => "msisdn",
        ClosedLoop => "accountnumber",
        _ => null,
    };
}
