using System.Globalization;
using System.Text.Json.Serialization;

namespace OneClickSuite.Clients.PaymentHub;

/// <summary>One party of a raw batch row (<c>Party</c> in ph-ee-bulk-processor: key is e.g. "msisdn", "accountnumber").</summary>
public sealed record PaymentHubParty(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("value")] string Value);

/// <summary>
/// One payment of a raw batch (ph-ee-bulk-processor <c>BatchRequestDTO</c>). <see cref="RequestId"/> is the caller's
/// own reference: the bulk processor keeps it per transaction (CSV column <c>request_id</c>) and sends it as
/// <c>X-CorrelationID</c> on the per-payment call, so it is the field that carries the suite's payment id end to end.
/// </summary>
public sealed record PaymentHubPayment(
    string RequestId,
    string PaymentMode,
    decimal Amount,
    string Currency,
    PaymentHubParty CreditParty,
    PaymentHubParty? DebitParty = null,
    string? Description = null)
{
    /// <summary>Amounts as PH-EE takes them: a string, invariant culture, no grouping.</summary>
    public static string FormatAmount(decimal amount) => amount.ToString("0.##########", CultureInfo.InvariantCulture);
}

/// <summary>The bulk processor's 202 answer (<c>ProcessorStartRouteService.pollingOutput</c>).</summary>
public sealed record PaymentHubSubmission(
    [property: JsonPropertyName("PollingPath")] string PollingPath,
    [property: JsonPropertyName("SuggestedCallbackSeconds")] string? SuggestedCallbackSeconds)
{
    /// <summary>The batch id: the last segment of <see cref="PollingPath"/> (<c>/batch/Summary/{batchId}</c>).</summary>
    public string BatchId => PollingPath.TrimEnd('/')[(PollingPath.TrimEnd('/').LastIndexOf('/') + 1)..];
}

/// <summary>Operations app <c>GET /api/v1/batch?batchId=</c> (<c>BatchDTO</c>).</summary>
public sealed record PaymentHubBatchSummary(
    string? BatchId,
    string? RequestId,
    long? Total,
    long? Ongoing,
    long? Failed,
    long? Successful,
    decimal? TotalAmount,
    decimal? SuccessfulAmount,
    decimal? PendingAmount,
    decimal? FailedAmount,
    string? File,
    string? Notes,
    string? CreatedAt,
    string? Status,
    string? Modes,
    string? Purpose,
    string? FailPercentage,
    string? SuccessPercentage,
    string? RegisteringInstitutionId,
    string? PayerFsp,
    string? CorrelationId);

/// <summary>Operations app <c>GET /api/v1/batches/{batchId}</c> (<c>BatchAndSubBatchSummaryResponse</c>, main fields).</summary>
public sealed record PaymentHubBatchAndSubBatchSummary(
    string? BatchId,
    string? RequestId,
    long? Total,
    long? Ongoing,
    long? Successful,
    long? Failed,
    decimal? TotalAmount,
    decimal? PendingAmount,
    decimal? SuccessfulAmount,
    decimal? FailedAmount,
    string? Status,
    string? Modes,
    string? FailedPercentage,
    string? SuccessPercentage,
    string? PayerFsp,
    long? TotalSubBatches,
    long? ApprovedTransactionCount,
    long? ApprovedAmount,
    long? TotalInstructionCount,
    string? RegisteringInstitutionId);

/// <summary>One transfer of a batch (operations app entity <c>Transfer</c>).</summary>
public sealed record PaymentHubTransfer(
    long Id,
    string? WorkflowInstanceKey,
    string? TransactionId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? Status,
    string? StatusDetail,
    string? PayeeDfspId,
    string? PayeePartyId,
    string? PayeePartyIdType,
    string? PayerDfspId,
    string? PayerPartyId,
    string? PayerPartyIdType,
    string? Amount,
    string? Currency,
    string? Direction,
    string? ErrorInformation,
    string? BatchId,
    string? ClientCorrelationId);

/// <summary>One row of <c>GET /api/v1/transfers</c> (operations app <c>TransferResponse</c>: errorInformation is an object).</summary>
public sealed record PaymentHubTransferResponse(
    long Id,
    long? WorkflowInstanceKey,
    string? TransactionId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? Status,
    string? PayeePartyId,
    string? PayeePartyIdType,
    string? PayerPartyId,
    string? Amount,
    string? Currency,
    System.Text.Json.Nodes.JsonObject? ErrorInformation,
    string? BatchId,
    string? ClientCorrelationId);

/// <summary>A Spring Data page (<c>Page&lt;Transfer&gt;</c> as Jackson writes it; the fields the suite reads).</summary>
public sealed record PaymentHubPage<T>(
    IReadOnlyList<T> Content,
    long TotalElements,
    int TotalPages,
    int Number,
    int Size,
    bool Last,
    bool First);

/// <summary>Transfer status values (operations app <c>TransferStatus</c>).</summary>
public static class PaymentHubTransferStatus
{
    public const string Completed = "COMPLETED";
    public const string Failed = "FAILED";
    public const string InProgress = "IN_PROGRESS";
    public const string Unknown = "UNKNOWN";
    public const string Exception = "EXCEPTION";
}

/// <summary>The bulk processor's progress callback body (<c>BatchCallbackDTO</c>).</summary>
public sealed record PaymentHubCallback(
    [property: JsonPropertyName("clientCorrelationId")] string? ClientCorrelationId,
    [property: JsonPropertyName("batchId")] string? BatchId,
    [property: JsonPropertyName("message")] string? Message);
