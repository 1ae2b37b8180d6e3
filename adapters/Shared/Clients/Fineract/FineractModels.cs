namespace OneClickSuite.Clients.Fineract;

public enum FineractLegalForm
{
    Person = 1,
    Entity = 2,
}

public sealed record FineractCodeValue(long Id, string? Code, string? Value);

public sealed record FineractClientRecord(
    long Id,
    string? AccountNo,
    string? ExternalId,
    FineractCodeValue? Status,
    bool Active,
    string? DisplayName,
    string? Firstname,
    string? Lastname,
    string? Fullname,
    string? MobileNo,
    long OfficeId);

/// <summary>A new client. With <see cref="SavingsProductId"/> and an activation date, Fineract also opens an active
/// savings account in the same call.</summary>
public sealed record NewFineractClient
{
    public long OfficeId { get; init; } = 1;
    public FineractLegalForm LegalForm { get; init; } = FineractLegalForm.Person;
    public string? Firstname { get; init; }
    public string? Lastname { get; init; }
    /// <summary>Name of an entity client (instead of first and last name).</summary>
    public string? Fullname { get; init; }
    public string? ExternalId { get; init; }
    public string? MobileNo { get; init; }
    /// <summary>When set, the client is created active on this date.</summary>
    public DateOnly? ActivationDate { get; init; }
    public long? SavingsProductId { get; init; }
}

public sealed record CreatedFineractClient(long ClientId, long? SavingsId, bool ServedFromCache);

public sealed record FineractSavingsProduct(long Id, string Name, string? ShortName, FineractCurrency? Currency);

public sealed record FineractCurrency(string Code, int DecimalPlaces);

public sealed record FineractPaymentType(long Id, string Name, string? Description, bool IsCashPayment);

public sealed record FineractSavingsStatus(long Id, string? Code, string? Value, bool Active, bool Closed);

public sealed record FineractSavingsSubStatus(long Id, string? Code, bool BlockCredit, bool BlockDebit, bool Block);

public sealed record FineractSavingsSummary(decimal AccountBalance, decimal? AvailableBalance, decimal? TotalDeposits, decimal? TotalWithdrawals);

public sealed record FineractTransactionType(long Id, string? Code, string? Value, bool Deposit, bool Withdrawal);

public sealed record FineractPaymentDetail(FineractPaymentType? PaymentType, string? ReceiptNumber);

/// <summary>The account transfer a savings transaction belongs to (<c>AccountTransferData.transferBasicDetails</c>).</summary>
public sealed record FineractTransferDetail(long Id, decimal? TransferAmount, DateOnly? TransferDate, string? TransferDescription, bool Reversed);

public sealed record FineractSavingsTransaction(
    long Id,
    FineractTransactionType? TransactionType,
    DateOnly Date,
    decimal Amount,
    decimal? RunningBalance,
    bool Reversed,
    FineractPaymentDetail? PaymentDetailData,
    string? Note = null,
    FineractTransferDetail? Transfer = null);

/// <summary>
/// One page of <c>GET /savingsaccounts/{id}/transactions/search</c>: a Spring Data <c>Page</c> as Gson writes it
/// (<c>total</c>, <c>content</c>, <c>pageable</c>), not Fineract's <c>totalFilteredRecords</c>/<c>pageItems</c>.
/// </summary>
public sealed record FineractSavingsTransactionPage(long Total, IReadOnlyList<FineractSavingsTransaction>? Content);

/// <summary>What a transaction search selects. Dates are value dates; every bound is inclusive.</summary>
public sealed record FineractTransactionSearch
{
    public DateOnly? FromDate { get; init; }
    public DateOnly? ToDate { get; init; }
    /// <summary>True: debits only (withdrawals, fees, holds...); false: everything else.</summary>
    public bool? Debit { get; init; }
    /// <summary>True: credits only (deposits, interest...); false: everything else.</summary>
    public bool? Credit { get; init; }
    /// <summary>Transactions per request (Fineract's <c>limit</c>; its own default is 50).</summary>
    public int PageSize { get; init; } = 500;
}

public sealed record FineractSavingsAccount(
    long Id,
    string? AccountNo,
    long ClientId,
    long SavingsProductId,
    string? SavingsProductName,
    FineractSavingsStatus? Status,
    FineractSavingsSubStatus? SubStatus,
    FineractCurrency? Currency,
    FineractSavingsSummary? Summary,
    IReadOnlyList<FineractSavingsTransaction>? Transactions);

/// <summary>A savings account as listed under a client (<c>GET /clients/{id}/accounts</c>).</summary>
public sealed record FineractClientSavingsAccount(
    long Id,
    string? AccountNo,
    long ProductId,
    string? ProductName,
    FineractSavingsStatus? Status,
    decimal? AccountBalance);

/// <summary>What a Fineract command answers (<c>CommandProcessingResult</c>).</summary>
public sealed record FineractCommandResult(
    long? OfficeId,
    long? ClientId,
    long? SavingsId,
    long? ResourceId,
    bool ServedFromCache);

public sealed record FineractDeposit(
    long SavingsAccountId,
    decimal Amount,
    DateOnly TransactionDate,
    long PaymentTypeId,
    string? ReceiptNumber,
    string? Note,
    string IdempotencyKey);

/// <summary>A transfer between two client savings accounts.</summary>
public sealed record FineractTransfer(
    long FromOfficeId,
    long FromClientId,
    long FromSavingsAccountId,
    long ToOfficeId,
    long ToClientId,
    long ToSavingsAccountId,
    decimal Amount,
    DateOnly TransferDate,
    string Description,
    string IdempotencyKey);

/// <summary>One request of a batch; <see cref="Body"/> is JSON text (Fineract wants a string, not an object).</summary>
public sealed record FineractBatchItem(
    int RequestId,
    string RelativeUrl,
    string Method,
    string? Body = null,
    int? Reference = null,
    string? IdempotencyKey = null);

public sealed record FineractBatchHeader(string Name, string? Value);

public sealed record FineractBatchResult(int RequestId, int StatusCode, IReadOnlyList<FineractBatchHeader>? Headers, string? Body)
{
    public bool ServedFromCache =>
        Headers?.Any(h => string.Equals(h.Name, FineractClient.ServedFromCacheHeader, StringComparison.OrdinalIgnoreCase)
                          && string.Equals(h.Value, "true", StringComparison.OrdinalIgnoreCase)) == true;
}
