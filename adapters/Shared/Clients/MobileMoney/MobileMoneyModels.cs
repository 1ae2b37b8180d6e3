using System.Text.Json.Serialization;

namespace OneClickSuite.Clients.MobileMoney;

/// <summary>An account identifier of a party: {"key":"msisdn","value":"+254700000001"}.</summary>
public sealed record MmParty(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("value")] string Value)
{
    public static MmParty Msisdn(string msisdn) => new("msisdn", msisdn);
    public static MmParty AccountId(string accountId) => new("accountid", accountId);
}

/// <summary>One transaction of a batch (requestTransaction). The amount is sent with the currency's minor digits.</summary>
public sealed record MmTransactionRequest(
    decimal Amount,
    string Currency,
    string Type,
    IReadOnlyList<MmParty> DebitParty,
    IReadOnlyList<MmParty> CreditParty,
    string? RequestingOrganisationTransactionReference,
    string? DescriptionText);

public sealed record MmBatchRequest(IReadOnlyList<MmTransactionRequest> Transactions, string? BatchTitle, string? BatchDescription);

/// <summary>requestStateObject: status pending | completed | failed; notificationMethod callback | polling.</summary>
public sealed record MmRequestState(
    string ServerCorrelationId,
    string Status,
    string? NotificationMethod,
    string? ObjectReference,
    MmError? Error,
    string? PendingReason = null,
    DateTimeOffset? ExpiryTime = null,
    int? PollLimit = null)
{
    public bool IsPending => Status == "pending";
    public bool IsCompleted => Status == "completed";
    public bool IsFailed => Status == "failed";
}

/// <summary>responseBatchTransaction: batchStatus created | approved | completed.</summary>
public sealed record MmBatch(
    string BatchId,
    string BatchStatus,
    DateTimeOffset? ApprovalDate,
    DateTimeOffset? CompletionDate,
    bool? ProcessingFlag,
    int? CompletedCount,
    int? RejectionCount,
    int? ParsingSuccessCount,
    string? BatchTitle = null,
    string? BatchDescription = null,
    DateTimeOffset? CreationDate = null,
    DateTimeOffset? ModificationDate = null,
    DateTimeOffset? ScheduledStartDate = null);

/// <summary>responseBatchTransactionCompletion.</summary>
public sealed record MmCompletion(
    string TransactionReference,
    string? RequestingOrganisationTransactionReference,
    IReadOnlyList<MmParty> CreditParty,
    DateTimeOffset? CompletionDate,
    string? Link,
    IReadOnlyList<MmParty>? DebitParty = null);

/// <summary>responseBatchTransactionRejection.</summary>
public sealed record MmRejection(
    string? TransactionReference,
    string? RequestingOrganisationTransactionReference,
    IReadOnlyList<MmParty> CreditParty,
    string RejectionReason,
    DateTimeOffset? RejectionDate,
    IReadOnlyList<MmParty>? DebitParty = null)
{
    /// <summary>The error code the reason starts with when the provider writes "code: text" (the emulator does); else null.</summary>
    public string? ReasonCode => RejectionReason.IndexOf(':') is > 0 and var colon && !RejectionReason[..colon].Contains(' ')
        ? RejectionReason[..colon] : null;
}

/// <summary>One page of a list; Available and Returned from X-Records-Available-Count / X-Records-Returned-Count.</summary>
public sealed record MmPage<T>(IReadOnlyList<T> Items, int? Available, int? Returned);

/// <summary>subjectName of the master OpenAPI.</summary>
public sealed record MmSubjectName(
    string? Title,
    string? FirstName,
    string? MiddleName,
    string? LastName,
    string? FullName,
    string? NativeName);

/// <summary>responseAccountName: {name, lei}.</summary>
public sealed record MmAccountHolderName(MmSubjectName? Name, string? Lei)
{
    /// <summary>fullName, else the parts joined with spaces.</summary>
    public string? FullName => Name?.FullName is { Length: > 0 } full ? full
        : Name is null ? null
        : string.Join(' ', new[] { Name.Title, Name.FirstName, Name.MiddleName, Name.LastName }.Where(p => !string.IsNullOrWhiteSpace(p))) is { Length: > 0 } joined
            ? joined : null;
}

/// <summary>errorObject. Description is errordescription (OpenAPI spelling) or errorDescription (get-started's).</summary>
public sealed record MmError(
    string ErrorCategory,
    string ErrorCode,
    string? Description,
    DateTimeOffset? ErrorDateTime = null,
    IReadOnlyList<MmParty>? ErrorParameters = null);

/// <summary>A single transaction (responseTransaction).</summary>
public sealed record MmTransaction(
    string TransactionReference,
    string TransactionStatus,
    string Amount,
    string Currency,
    string? Type,
    IReadOnlyList<MmParty> CreditParty,
    IReadOnlyList<MmParty> DebitParty,
    string? RequestingOrganisationTransactionReference,
    DateTimeOffset? CreationDate);
