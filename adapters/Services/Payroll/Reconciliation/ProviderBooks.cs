using Npgsql;
using OneClickSuite.Clients.MobileMoney;
using OneClickSuite.Clients.PaymentHub;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;

namespace OneClickSuite.Payroll.Reconciliation;

/// <summary>
/// Compares a run's payments on the provider rails with the providers' own books, read-only and directly (not through
/// the adapter that moved the money): a wallet payment Payroll has as paid must be a completed transaction at the
/// mobile money provider (GSMA <c>GET /transactions/{transactionReference}</c>) to the same wallet, for the same
/// amount, requested under the payment's reference; a Payment Hub payment must be exactly one COMPLETED transfer with
/// the payment's reference as its client correlation id (operations app <c>GET /api/v1/transfers</c>), and a failed
/// one none. A provider that is not connected leaves its payments unverifiable, which the report says.
/// </summary>
public sealed class ProviderBooks(NpgsqlDataSource db, IServiceProvider services)
{
    private sealed record Payment(Guid PaymentId, Guid LineId, string WorkerId, decimal Amount, string Status, string Rail, string? ProviderReference,
        string? Msisdn, string? PayeeValue);

    public async Task<(List<ReconciliationIssue> Issues, List<RailReconciliation> Rails)> ReconcileAsync(Guid runId, CancellationToken ct)
    {
        var payments = new List<Payment>();
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var command = connection.Sql(null, """
            SELECT p.payment_id, p.line_id, l.worker_id, p.amount, p.status, p.rail, p.provider_reference, p.msisdn, p.payee_value
            FROM payroll.payments p JOIN payroll.pay_lines l ON l.id = p.line_id
            WHERE p.run_id = $1 AND p.rail <> 'fineract'
            """, runId))
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                payments.Add(new Payment(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetDecimal(3), r.GetString(4), r.GetString(5),
                    r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8)));
            }
        }
        var issues = new System.Collections.Concurrent.ConcurrentBag<ReconciliationIssue>();
        var found = new System.Collections.Concurrent.ConcurrentDictionary<Guid, decimal>();
        var wallets = services.GetService<MobileMoneyClient>();
        var hub = services.GetService<PaymentHubClient>();
        await Parallel.ForEachAsync(payments, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (p, token) =>
        {
            var issue = p.Rail switch
            {
                PayoutRails.MobileMoney when p.Status == "paid" => await CheckWalletAsync(wallets, p, found, token),
                PayoutRails.PaymentHub when p.Status is "paid" or "failed" => await CheckHubAsync(hub, p, found, token),
                _ => null,
            };
            if (issue is not null) issues.Add(issue);
        });
        var rails = payments.GroupBy(p => p.Rail).OrderBy(g => g.Key).Select(g => new RailReconciliation(g.Key,
            g.Count(p => p.Status == "paid"), g.Where(p => p.Status == "paid").Sum(p => p.Amount), g.Sum(p => found.GetValueOrDefault(p.PaymentId)),
            issues.Count(i => i.PaymentId is { } id && g.Any(p => p.PaymentId == id)))).ToList();
        return (issues.ToList(), rails);
    }

    private static async Task<ReconciliationIssue?> CheckWalletAsync(MobileMoneyClient? provider, Payment p,
        System.Collections.Concurrent.ConcurrentDictionary<Guid, decimal> found, CancellationToken ct)
    {
        if (provider is null) return Issue(RunReconciliation.Unverifiable, p, null, 0, "no mobile money provider is connected to Payroll");
        if (p.ProviderReference is null) return Issue(RunReconciliation.Missing, p, null, 0, "paid according to Payroll, but no provider transaction was recorded");
        MmTransaction transaction;
        try
        {
            transaction = await provider.GetTransactionAsync(p.ProviderReference, ct);
        }
        catch (MobileMoneyException ex) when (ex.StatusCode == 404)
        {
            return Issue(RunReconciliation.Missing, p, null, 0, $"the provider has no transaction {p.ProviderReference}");
        }
        var amount = decimal.Parse(transaction.Amount, System.Globalization.CultureInfo.InvariantCulture);
        found[p.PaymentId] = transaction.TransactionStatus == "completed" ? amount : 0;
        var wallet = transaction.CreditParty.FirstOrDefault(c => c.Key == "msisdn")?.Value;
        if (transaction.TransactionStatus != "completed")
            return Issue(RunReconciliation.Missing, p, 0, 0, $"the provider has transaction {p.ProviderReference} as {transaction.TransactionStatus}");
        if (transaction.RequestingOrganisationTransactionReference != PaymentReference.For(p.PaymentId) || wallet != p.Msisdn)
            return Issue(RunReconciliation.Mismatched, p, amount, 1,
                $"the provider's transaction {p.ProviderReference} was asked for as {transaction.RequestingOrganisationTransactionReference} and paid wallet {wallet}, not {p.Msisdn}");
        return amount != p.Amount ? Issue(RunReconciliation.Mismatched, p, amount, 1, "the provider's transaction amount differs from the line") : null;
    }

    private static async Task<ReconciliationIssue?> CheckHubAsync(PaymentHubClient? hub, Payment p,
        System.Collections.Concurrent.ConcurrentDictionary<Guid, decimal> found, CancellationToken ct)
    {
        if (hub is null) return Issue(RunReconciliation.Unverifiable, p, null, 0, "no Payment Hub is connected to Payroll");
        var transfers = (await hub.FindTransfersAsync(PaymentReference.For(p.PaymentId), 0, 50, ct)).Content ?? [];
        var completed = transfers.Where(t => t.Status == PaymentHubTransferStatus.Completed).ToList();
        var total = completed.Sum(t => decimal.Parse(t.Amount ?? "0", System.Globalization.CultureInfo.InvariantCulture));
        found[p.PaymentId] = total;
        return (p.Status, completed.Count) switch
        {
            ("paid", 0) => Issue(RunReconciliation.Missing, p, null, 0, "paid according to Payroll, but Payment Hub completed no transfer with its reference"),
            ("paid", > 1) => Issue(RunReconciliation.Duplicate, p, total, completed.Count, $"Payment Hub completed {completed.Count} transfers with its reference"),
            ("paid", 1) when total != p.Amount => Issue(RunReconciliation.Mismatched, p, total, 1, "Payment Hub's transfer amount differs from the line"),
            ("failed", > 0) => Issue(RunReconciliation.Unexpected, p, total, completed.Count, "Payment Hub completed it but Payroll has the payment as failed"),
            _ => null,
        };
    }

    private static ReconciliationIssue Issue(string kind, Payment p, decimal? found, int count, string detail) =>
        new(kind, p.PaymentId, p.LineId, p.WorkerId, p.Amount, found, count, $"{p.Rail}: {detail}");
}
