using Microsoft.Extensions.Options;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.Reconciliation;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>
/// Asks again for payments that have had no outcome for <see cref="PayrollOptions.ResendAfter"/>: same payment id,
/// hence the same Idempotency-Key, so Fineract either pays it now or replays the earlier success (the mobile money
/// adapter keeps one payout per payment id, so a repeat there changes nothing). The bus is durable,
/// but money should not depend on any one message arriving. Only when no earlier request is still on its way: nothing
/// is resent while Payroll's outbox still holds requests it could not hand to the broker, and each payment is asked
/// for again at most <see cref="PayrollOptions.MaxResends"/> times, each after four times the wait before. A two-hour
/// outage of the adapter or of Fineract leaves at most that many copies per payment, not one per round.
/// </summary>
public sealed class PaymentResender(IPayrollOutbox outbox, IOptions<PayrollOptions> options, TimeProvider clock, ILogger<PaymentResender> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = options.Value.ResendAfter;
            try
            {
                await Task.Delay(wait / 2, clock, stoppingToken);
                var count = await ResendOverdueAsync(stoppingToken);
                if (count > 0) logger.LogWarning("Asked again for {Count} payments without an outcome after {Wait}", count, wait);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Resending overdue payment requests failed; trying again later");
            }
        }
    }

    public async Task<int> ResendOverdueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var unit = await outbox.BeginAsync(ct);
        if (await RequestsStillUnsentAsync(unit, ct))
        {
            logger.LogInformation("Payment requests are still waiting in Payroll's outbox: none is sent again yet");
            return 0;
        }
        var lines = new List<PayableLine>();
        await using (var command = unit.Connection.Sql(unit.Transaction, """
            WITH overdue AS (
                SELECT p.payment_id FROM payroll.payments p JOIN payroll.pay_lines l ON l.id = p.line_id AND l.payment_id = p.payment_id
                WHERE p.status = 'requested' AND l.status = 'requested' AND p.resends < $3
                  AND p.requested_at < $2 - $1 * power(4, p.resends)
                ORDER BY p.requested_at LIMIT 1000
                FOR UPDATE OF p SKIP LOCKED)
            UPDATE payroll.payments p SET requested_at = $2, resends = p.resends + 1 FROM overdue, payroll.pay_lines l
                LEFT JOIN payroll.worker_accounts a ON a.worker_id = l.worker_id
            WHERE p.payment_id = overdue.payment_id AND l.id = p.line_id
            RETURNING p.payment_id, l.run_id, l.id, l.worker_id, l.employee_number, p.amount, p.currency, l.period,
                a.fineract_client_id, a.savings_account_id, p.pay_date, l.worker_name, p.rail, p.msisdn, p.payment_mode, p.payee_key, p.payee_value
            """, options.Value.ResendAfter, now, options.Value.MaxResends))
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                // The same pay date, rail and wallet as the first request: a repeat must send exactly what was sent.
                lines.Add(new PayableLine(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetString(3), r.GetString(4), r.GetString(11), r.GetDecimal(5),
                    r.GetString(6), r.GetFieldValue<DateOnly>(7), r.IsDBNull(10) ? DateOnly.FromDateTime(now.UtcDateTime) : r.GetFieldValue<DateOnly>(10),
                    r.GetString(12), r.IsDBNull(8) ? null : r.GetInt64(8), r.IsDBNull(9) ? null : r.GetInt64(9), r.IsDBNull(13) ? null : r.GetString(13),
                    r.IsDBNull(14) ? null : r.GetString(14), r.IsDBNull(15) ? null : r.GetString(15), r.IsDBNull(16) ? null : r.GetString(16)));
            }
        }
        foreach (var line in lines)
        {
            await PaymentRequests.SendAsync(unit, line, now);
        }
        await unit.CommitAsync(ct);
        return lines.Count;
    }

    /// <summary>Whether Wolverine's outbox (Payroll's own table) still holds messages it has not handed to the broker.</summary>
    private static async Task<bool> RequestsStillUnsentAsync(IPayrollTransaction unit, CancellationToken ct)
    {
        await using var command = unit.Connection.Sql(unit.Transaction, """
            SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'payroll' AND table_name = 'wolverine_outgoing_envelopes')
            """);
        if (await command.ExecuteScalarAsync(ct) is not true) return false;
        await using var pending = unit.Connection.Sql(unit.Transaction, "SELECT EXISTS (SELECT 1 FROM payroll.wolverine_outgoing_envelopes)");
        return await pending.ExecuteScalarAsync(ct) is true;
    }
}
