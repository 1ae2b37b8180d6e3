namespace OneClickSuite.PaymentHubAdapter.Payouts;

/// <summary>Section "Payouts": how payments are gathered into batches and followed at Payment Hub EE.</summary>
public sealed class PayoutOptions
{
    public const string SectionName = "Payouts";

    /// <summary>
    /// The most payments in one batch. The bulk processor turns a raw batch into a CSV file and refuses one over
    /// 100,000 bytes ("File too big"); a row of this adapter is about 150 bytes, so 500 rows stay well under it.
    /// </summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>How long a payment waits for others before its batch leaves anyway.</summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a batch is asked about when no callback says it changed.</summary>
    public TimeSpan PollEvery { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Where Payment Hub can reach this adapter's callbacks (its own public address); empty: no <c>X-CallbackURL</c>
    /// is sent and every batch is only polled.
    /// </summary>
    public string? CallbackBaseUrl { get; set; }

    /// <summary>
    /// After a submission whose answer did not come back (lost 202, timeout, 5xx): how long after sending the adapter
    /// keeps looking its payments up before it concludes that a payment Payment Hub still does not list never arrived,
    /// and sends it again in a new batch. It must cover the lag between the bulk processor accepting a batch and its
    /// transfers appearing in the operations app (PH-EE's importer writes them from the workflow's events). Generous
    /// by default: a payment found late after it was sent again would be paid twice.
    /// </summary>
    public TimeSpan LookupGrace { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long a batch authorization request naming a batch id the adapter does not hold waits for it (the batch's
    /// 202 may still be on its way, or a lost one being looked up) before it is refused as not the programme's.
    /// </summary>
    public TimeSpan AuthorizationWait { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Sent as the bulk processor's <c>Purpose</c> header.</summary>
    public string Purpose { get; set; } = "Payroll";

    /// <summary>
    /// The payer (each row's <c>debitParty</c>) per payment mode, e.g. <c>Payouts:Payers:GSMA:Key=msisdn</c>,
    /// <c>Payouts:Payers:GSMA:Value=+256700000001</c>. A mode without one sends no debitParty: the provider's or the
    /// hub's configured funding account pays.
    /// </summary>
    public Dictionary<string, PayerParty> Payers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Transfers read per page of <c>/api/v1/batch/detail</c>.</summary>
    public int PageSize { get; set; } = 500;
}

public sealed class PayerParty
{
    public string Key { get; set; } = "msisdn";

    public string? Value { get; set; }
}
