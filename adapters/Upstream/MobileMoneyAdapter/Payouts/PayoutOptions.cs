namespace OneClickSuite.MobileMoneyAdapter.Payouts;

/// <summary>Section "Payouts": how payments are gathered into batches and followed at the provider.</summary>
public sealed class PayoutOptions
{
    public const string SectionName = "Payouts";

    /// <summary>The most payments in one batch (GSMA allows 999,999; a smaller batch settles and pages sooner).</summary>
    public int MaxBatchSize { get; set; } = 10_000;

    /// <summary>How long a payment waits for others before its batch leaves anyway.</summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a batch is asked about when no callback says it changed.</summary>
    public TimeSpan PollEvery { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Where the provider can reach this adapter's callbacks (its own public address); empty: no callback is asked for
    /// and every batch is polled (the request state says <c>notificationMethod: polling</c>).
    /// </summary>
    public string? CallbackBaseUrl { get; set; }

    /// <summary>The programme's disbursement account at the provider, as a GSMA party (key and value).</summary>
    public string DebitIdentifierType { get; set; } = "msisdn";

    public string? DebitIdentifier { get; set; }

    /// <summary>GSMA transaction type of a salary payment to a wallet.</summary>
    public string TransactionType { get; set; } = "disbursement";

    /// <summary>
    /// Whether the provider holds each batch until it is approved (<c>PATCH /batchtransactions/{id}</c>, GSMA's
    /// maker–checker). The suite's own maker–checker happened before the request; this approval only confirms that the
    /// batch the provider parsed is the one the adapter recorded.
    /// </summary>
    public bool ApproveBatches { get; set; } = true;

    /// <summary>Completions and rejections read per request.</summary>
    public int PageSize { get; set; } = 1000;
}
