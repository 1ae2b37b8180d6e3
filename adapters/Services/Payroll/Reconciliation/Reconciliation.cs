using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;

namespace OneClickSuite.Payroll.Reconciliation;

public sealed class PayrollOptions
{
    public const string SectionName = "Payroll";

    /// <summary>External id of the Fineract client that holds the programme's funding account (seeded by Bootstrap).</summary>
    public string FundingClientExternalId { get; set; } = "funding-programme";

    /// <summary>
    /// A payment with no outcome after this long is requested again (same id, same Idempotency-Key); each further time
    /// waits four times longer, and after <see cref="MaxResends"/> a person looks (the portal's Problems and pay run).
    /// </summary>
    public TimeSpan ResendAfter { get; set; } = TimeSpan.FromMinutes(5);

    public int MaxResends { get; set; } = 3;

    /// <summary>How often leavers who have been paid everything owed are looked for (their accounts are then closed to credits).</summary>
    public TimeSpan LeaverSweepEvery { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The thresholds of the checks an approver sees before approving.</summary>
    public CheckOptions Checks { get; set; } = new();
}

/// <summary>Section "Payroll:Checks".</summary>
public sealed class CheckOptions
{
    /// <summary>A line whose amount moved more than this share from the worker's last paid amount (of the same kind) is flagged.</summary>
    public decimal AmountChangeShare { get; set; } = 0.20m;

    /// <summary>A run whose total moved more than this share from the previous period's is flagged.</summary>
    public decimal TotalChangeShare { get; set; } = 0.10m;
}

/// <summary>
/// Compares a run with what Fineract actually booked: every withdrawal from the funding account whose transfer
/// description carries a payment reference of this run. Flags a paid line with no transfer (missing), more than one
/// (duplicate) or a different amount (mismatched), and a transfer for a payment the run does not count as paid
/// (unexpected). Reads Fineract directly, read-only: the check must not depend on the component that moved the money.
/// Only the debits dated within the run's payment window are read (Fineract's transaction search), never the
/// account's whole history. Payments on the other rails are reconciled against their provider's own books
/// (the wallet rail: against the provider's completions, by the mobile money adapter).
/// </summary>
public sealed class RunReconciliation(NpgsqlDataSource db, FineractClient fineract, ProviderBooks providers, IOptions<PayrollOptions> options)
{
    /// <summary>The rail's provider is not connected to Payroll, so the payment could not be compared with its books.</summary>
    public const string Unverifiable = "unverifiable";
    public const string Missing = "missing";
    public const string Duplicate = "duplicate";
    public const string Mismatched = "mismatched";
    public const string Unexpected = "unexpected";

    public async Task<ReconciliationReport> ReconcileAsync(Guid runId, CancellationToken ct)
    {
        // Fineract is read only for a run that sent it payments (a run paid only into wallets needs no bank).
        var window = await PaymentWindowAsync(runId, ct);
        var fundingAccountId = window is null ? 0 : await FundingAccountAsync(ct);
        var transactions = window is { } days
            ? await fineract.SearchSavingsTransactionsAsync(fundingAccountId,
                new FineractTransactionSearch { FromDate = days.From, ToDate = days.To, Debit = true }, ct)
            : [];
        var booked = new Dictionary<Guid, List<decimal>>();
        foreach (var transaction in transactions)
        {
            if (transaction.Reversed || transaction.TransactionType?.Withdrawal != true) continue;
            var reference = PaymentReference.Find(transaction.Transfer?.TransferDescription) ?? PaymentReference.Find(transaction.Note);
            if (reference is not { } paymentId) continue;
            if (!booked.TryGetValue(paymentId, out var amounts)) booked[paymentId] = amounts = [];
            amounts.Add(transaction.Amount);
        }

        var issues = new List<ReconciliationIssue>();
        var linesPaid = 0;
        decimal expectedTotal = 0, foundTotal = 0;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using (var command = connection.Sql(null, """
            SELECT p.payment_id, p.line_id, l.worker_id, p.amount, p.status, l.status, l.payment_id = p.payment_id
            FROM payroll.payments p JOIN payroll.pay_lines l ON l.id = p.line_id
            WHERE p.run_id = $1 AND p.rail = 'fineract'
            """, runId))
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var (paymentId, lineId, workerId, amount, paymentStatus) = (r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetDecimal(3), r.GetString(4));
                var found = booked.GetValueOrDefault(paymentId) ?? [];
                foundTotal += found.Sum();
                if (paymentStatus == "paid")
                {
                    linesPaid++;
                    expectedTotal += amount;
                    if (found.Count == 0)
                        issues.Add(new(Missing, paymentId, lineId, workerId, amount, null, 0, "paid according to Payroll, but no transfer carries its reference"));
                    else if (found.Count > 1)
                        issues.Add(new(Duplicate, paymentId, lineId, workerId, amount, found.Sum(), found.Count, $"{found.Count} transfers carry its reference"));
                    else if (found[0] != amount)
                        issues.Add(new(Mismatched, paymentId, lineId, workerId, amount, found[0], 1, "the transfer's amount differs from the line"));
                }
                else if (found.Count > 0)
                {
                    issues.Add(new(Unexpected, paymentId, lineId, workerId, amount, found.Sum(), found.Count,
                        $"Fineract booked it but Payroll has the payment as {paymentStatus}"));
                }
            }
        }

        var rails = new List<RailReconciliation>();
        if (linesPaid > 0 || foundTotal > 0) rails.Add(new RailReconciliation(PayoutRails.Fineract, linesPaid, expectedTotal, foundTotal, issues.Count));
        var (providerIssues, providerRails) = await providers.ReconcileAsync(runId, ct);
        issues.AddRange(providerIssues);
        rails.AddRange(providerRails);
        var report = new ReconciliationReport(runId, DateTimeOffset.UtcNow, fundingAccountId, rails.Sum(r => r.LinesPaid), rails.Sum(r => r.ExpectedTotal),
            rails.Sum(r => r.FoundTotal), issues.Count == 0, issues, rails);
        await using (var save = connection.Sql(null, "UPDATE payroll.pay_runs SET reconciliation = $2::jsonb, reconciled_at = $3 WHERE id = $1",
            runId, JsonSerializer.Serialize(report, JsonSerializerOptions.Web), report.CheckedAt))
        {
            if (await save.ExecuteNonQueryAsync(ct) == 0) throw PayRuns.PayrollRefusal.NotFound($"pay run {runId}");
        }
        return report;
    }

    /// <summary>
    /// The value dates the run's transfers can have: the Fineract adapter books each on its payment's pay date, and a
    /// resend keeps that date (a payment recorded before pay dates were kept is resent dated the day of the request,
    /// and its request time moves with it). So every transfer of the run lies between the earliest pay or request day
    /// and the latest pay, request or settlement day, all UTC days as the requests use. Null when nothing was paid out.
    /// </summary>
    private async Task<(DateOnly From, DateOnly To)?> PaymentWindowAsync(Guid runId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, """
            SELECT min(least(pay_date, (requested_at AT TIME ZONE 'UTC')::date)),
                   max(greatest(pay_date, (requested_at AT TIME ZONE 'UTC')::date, (settled_at AT TIME ZONE 'UTC')::date))
            FROM payroll.payments WHERE run_id = $1 AND rail = 'fineract'
            """, runId);
        await using var r = await command.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct) || r.IsDBNull(0)) return null;
        return (r.GetFieldValue<DateOnly>(0), r.GetFieldValue<DateOnly>(1));
    }

    private long? _fundingAccountId;

    private async Task<long> FundingAccountAsync(CancellationToken ct)
    {
        if (_fundingAccountId is { } known) return known;
        var externalId = options.Value.FundingClientExternalId;
        var funder = await fineract.GetClientByExternalIdAsync(externalId, ct)
                     ?? throw new InvalidOperationException($"Fineract has no client with external id {externalId} (the funding programme)");
        var account = (await fineract.GetClientSavingsAccountsAsync(funder.Id, ct)).FirstOrDefault(a => a.Status?.Active == true)
                      ?? throw new InvalidOperationException($"the funding client {externalId} has no active savings account");
        _fundingAccountId = account.Id;
        return account.Id;
    }
}
