using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.Statements;
using OneClickSuite.Payroll.Workforce;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>
/// What Fineract or a provider did with each payment. Both outcomes are idempotent: a repeated or late outcome changes nothing, and
/// a late outcome of an old attempt does not change a retried line. A settled line issues the worker's statement (in
/// the same transaction) and may close a leaver's pay.
/// </summary>
public sealed class PaymentOutcomes(IPayrollOutbox outbox, PayStatements statements, Leavers leavers, ILogger<PaymentOutcomes> logger)
{
    /// <summary>Records that a payment arrived.</summary>
    public async Task RecordSettledAsync(PaymentSettledV1 settled, CancellationToken ct)
    {
        await using var unit = await outbox.BeginAsync(ct);
        var (connection, tx) = (unit.Connection, unit.Transaction);
        (Guid RunId, Guid LineId, string WorkerId, bool Leaver)? line = null;
        await using (var update = connection.Sql(tx, """
            WITH p AS (
                UPDATE payroll.payments SET status = 'paid', settled_at = $2, fineract_transfer_id = $3, reason = NULL, provider_reference = $4
                WHERE payment_id = $1 AND status <> 'paid'
                RETURNING run_id, line_id)
            UPDATE payroll.pay_lines l SET status = 'paid', paid_at = $2, fineract_transfer_id = $3, failure_reason = NULL
            FROM p WHERE l.id = p.line_id AND l.payment_id = $1
            RETURNING l.run_id, l.id, l.worker_id, EXISTS (SELECT 1 FROM payroll.workers w WHERE w.worker_id = l.worker_id AND NOT w.active)
            """, settled.PaymentId, settled.SettledAt, settled.FineractTransferId, settled.ProviderReference))
        await using (var r = await update.ExecuteReaderAsync(ct))
        {
            if (await r.ReadAsync(ct)) line = (r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetBoolean(3));
        }
        if (line is { } paid)
        {
            await statements.IssueAsync(unit, paid.LineId, settled.SettledAt, ct);
            await CompleteIfDoneAsync(connection, tx, paid.RunId, ct);
        }
        await unit.CommitAsync(ct);
        if (line is { Leaver: true } done)
        {
            await leavers.CloseSettledAsync([done.WorkerId], ct);
        }
    }

    public async Task RecordFailedAsync(PaymentFailedV1 failed, CancellationToken ct)
    {
        await using var unit = await outbox.BeginAsync(ct);
        var (connection, tx) = (unit.Connection, unit.Transaction);
        Guid? runId;
        await using (var update = connection.Sql(tx, """
            WITH p AS (
                UPDATE payroll.payments SET status = 'failed', settled_at = $2, reason = $3, fineract_status = $4, fineract_code = $5
                WHERE payment_id = $1 AND status = 'requested'
                RETURNING run_id, line_id)
            UPDATE payroll.pay_lines l SET status = 'failed', failure_reason = $3
            FROM p WHERE l.id = p.line_id AND l.payment_id = $1 AND l.status = 'requested'
            RETURNING l.run_id
            """, failed.PaymentId, failed.FailedAt, failed.Reason, failed.FineractStatus, failed.FineractCode))
        {
            runId = await update.ExecuteScalarAsync(ct) as Guid?;
        }
        if (runId is { } id)
        {
            await CompleteIfDoneAsync(connection, tx, id, ct);
        }
        await unit.CommitAsync(ct);
        logger.LogWarning("Payment {PaymentId} failed: {Reason}", failed.PaymentId, failed.Reason);
    }

    /// <summary>
    /// A disbursing run with no payment in flight is completed, or completed with failures. The run's row is locked
    /// first: two outcomes recorded side by side would otherwise each see the other's line still requested, and
    /// neither would complete the run. After the lock, the check below reads what the other one committed.
    /// </summary>
    internal static async Task CompleteIfDoneAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid runId, CancellationToken ct)
    {
        await PayRunSql.ExecuteAsync(connection, tx, "SELECT 1 FROM payroll.pay_runs WHERE id = $1 FOR UPDATE", ct, runId);
        await PayRunSql.ExecuteAsync(connection, tx, """
            UPDATE payroll.pay_runs r SET completed_at = now(),
                status = CASE WHEN EXISTS (SELECT 1 FROM payroll.pay_lines WHERE run_id = r.id AND status IN ('failed', 'written-off'))
                              THEN 'completed-with-failures' ELSE 'completed' END
            WHERE r.id = $1 AND r.status IN ('disbursing', 'completed-with-failures')
              AND NOT EXISTS (SELECT 1 FROM payroll.pay_lines WHERE run_id = r.id AND status = 'requested')
            """, ct, runId);
    }
}
