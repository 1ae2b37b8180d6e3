namespace OneClickSuite.Contracts;

/// <summary>
/// Payroll asks for one approved pay line to be paid. <c>PaymentId</c> is fixed when the line is approved and never
/// changes for this attempt: the Fineract adapter derives its Idempotency-Key from it, so a redelivered message can
/// never move money twice. A retry of a failed line is a new payment with a new id. <c>ToClientId</c> and
/// <c>ToSavingsAccountId</c> are set when Payroll knows the worker's account (from <see cref="WorkerAccountLinkedV1"/>);
/// otherwise the Fineract adapter looks them up in its enrolment mapping.
/// </summary>
/// <summary>A request to pay one approved pay line, on whichever rail: its id is the payment's identity from approval on.</summary>
public interface IPaymentRequest
{
    Guid PaymentId { get; }
}

public sealed record PaymentRequestedV1(
    Guid PaymentId,
    Guid PayRunId,
    Guid LineId,
    string WorkerId,
    string? EmployeeNumber,
    decimal Amount,
    string Currency,
    DateOnly Period,
    DateOnly PayDate,
    long? ToClientId,
    long? ToSavingsAccountId,
    DateTimeOffset RequestedAt) : IPaymentRequest
{
    public string Reference => PaymentReference.For(PaymentId);
}

/// <summary>
/// The money arrived: Fineract accepted the transfer (the first time, or replayed from its idempotency store), or a
/// provider completed the payment (<c>ProviderReference</c>: its transaction reference; <c>Rail</c>: which rail).
/// </summary>
public sealed record PaymentSettledV1(
    Guid PaymentId,
    string Reference,
    long? FineractTransferId,
    DateTimeOffset SettledAt,
    string? ProviderReference = null,
    string? Rail = null);

/// <summary>
/// Fineract (or a provider, for the other rails) refused the payment for a reason that repeating the same request cannot
/// fix; no money moved. On the provider rails <c>FineractCode</c> carries the provider's error or rejection code.
/// </summary>
public sealed record PaymentFailedV1(
    Guid PaymentId,
    string Reason,
    int? FineractStatus,
    string? FineractCode,
    DateTimeOffset FailedAt);

/// <summary>
/// Many outcomes in one message, from a rail that settles in bulk (a provider's batch of thousands): each is recorded as
/// if it had come alone, so a repeated or partly applied message changes nothing. One message per thousand outcomes
/// instead of one per payment is what lets a batch of 100,000 settle at the provider's pace.
/// </summary>
public sealed record PaymentOutcomesV1(IReadOnlyList<PaymentSettledV1> Settled, IReadOnlyList<PaymentFailedV1> Failed)
{
    /// <summary>Outcomes per message: a few hundred kilobytes, recorded by Payroll well within a handler's time.</summary>
    public const int MaxPerMessage = 1_000;

    /// <summary>The outcomes in messages of at most <see cref="MaxPerMessage"/>.</summary>
    public static IEnumerable<PaymentOutcomesV1> Chunk(IReadOnlyList<PaymentSettledV1> settled, IReadOnlyList<PaymentFailedV1> failed)
    {
        foreach (var chunk in settled.Chunk(MaxPerMessage)) yield return new PaymentOutcomesV1(chunk, []);
        foreach (var chunk in failed.Chunk(MaxPerMessage)) yield return new PaymentOutcomesV1([], chunk);
    }
}

/// <summary>
/// How a payment is found again in Fineract: <c>pay-</c> plus the payment id without dashes (36 characters), used as
/// the Idempotency-Key (Fineract allows at most 50) and at the start of the transfer description.
/// </summary>
public static class PaymentReference
{
    public const string Prefix = "pay-";

    public static string For(Guid paymentId) => Prefix + paymentId.ToString("N");

    /// <summary>The payment id inside a transfer description or note, or null when there is none.</summary>
    public static Guid? Find(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var at = text.IndexOf(Prefix, StringComparison.Ordinal);
        if (at < 0 || text.Length < at + Prefix.Length + 32) return null;
        return Guid.TryParseExact(text.AsSpan(at + Prefix.Length, 32), "N", out var id) ? id : null;
    }
}

/// <summary>
/// RabbitMQ fanout exchanges for payments, a pair per rail: Payroll publishes requests, the rail's adapter publishes
/// outcomes (each exchange has one publisher, so the broker lets no other service claim a payment was made).
/// </summary>
public static class PaymentExchanges
{
    /// <summary><see cref="PaymentRequestedV1"/>, consumed by the Fineract adapter.</summary>
    public const string Requests = "payment-requests";

    /// <summary><see cref="PaymentSettledV1"/> and <see cref="PaymentFailedV1"/>, consumed by Payroll.</summary>
    public const string Outcomes = "payment-outcomes";

    /// <summary><see cref="WalletPaymentRequestedV1"/>, consumed by the mobile money adapter.</summary>
    public const string WalletRequests = "wallet-payment-requests";

    /// <summary><see cref="PaymentOutcomesV1"/> (and a repeated request's single outcome) from the mobile money adapter, consumed by Payroll.</summary>
    public const string WalletOutcomes = "wallet-payment-outcomes";

    /// <summary><see cref="HubPaymentRequestedV1"/>, consumed by the Payment Hub adapter.</summary>
    public const string HubRequests = "hub-payment-requests";

    /// <summary><see cref="PaymentOutcomesV1"/> (and a repeated request's single outcome) from the Payment Hub adapter, consumed by Payroll.</summary>
    public const string HubOutcomes = "hub-payment-outcomes";
}
