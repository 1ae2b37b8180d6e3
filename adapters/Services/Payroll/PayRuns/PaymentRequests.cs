using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>
/// One payable line as the database holds it, with where it goes: the rail, and the worker's Fineract account (when
/// Payroll knows it) or wallet.
/// </summary>
public sealed record PayableLine(
    Guid PaymentId,
    Guid RunId,
    Guid LineId,
    string WorkerId,
    string EmployeeNumber,
    string WorkerName,
    decimal Amount,
    string Currency,
    DateOnly Period,
    DateOnly PayDate,
    string Rail,
    long? ClientId,
    long? SavingsAccountId,
    string? Msisdn,
    string? PaymentMode = null,
    string? PayeeKey = null,
    string? PayeeValue = null);

/// <summary>
/// The one place a payment request is built and sent: approval, a retry of a failed line and the resend of a payment
/// without outcome all go through <see cref="SendAsync"/>, so the request can never differ by path. The rail decides
/// the message: <see cref="PaymentRequestedV1"/> to the Fineract adapter, <see cref="WalletPaymentRequestedV1"/> to
/// the mobile money adapter.
/// </summary>
public static class PaymentRequests
{
    public static PaymentRequestedV1 ToFineract(PayableLine line, DateTimeOffset requestedAt) =>
        new(line.PaymentId, line.RunId, line.LineId, line.WorkerId, line.EmployeeNumber, line.Amount, line.Currency, line.Period,
            line.PayDate, line.ClientId, line.SavingsAccountId, requestedAt);

    public static WalletPaymentRequestedV1 ToWallet(PayableLine line, DateTimeOffset requestedAt) =>
        new(line.PaymentId, line.RunId, line.LineId, line.WorkerId, line.EmployeeNumber, line.WorkerName, line.Amount, line.Currency,
            line.Period, line.PayDate, line.Msisdn ?? throw new InvalidOperationException($"payment {line.PaymentId}: a wallet payment without a wallet"),
            requestedAt);

    public static HubPaymentRequestedV1 ToHub(PayableLine line, DateTimeOffset requestedAt) =>
        new(line.PaymentId, line.RunId, line.LineId, line.WorkerId, line.EmployeeNumber, line.WorkerName, line.Amount, line.Currency,
            line.Period, line.PayDate, line.PaymentMode ?? throw new InvalidOperationException($"payment {line.PaymentId}: a Payment Hub payment without a mode"),
            line.PayeeKey!, line.PayeeValue!, requestedAt);

    internal static ValueTask SendAsync(IPayrollTransaction unit, PayableLine line, DateTimeOffset requestedAt) => line.Rail switch
    {
        PayoutRails.MobileMoney => unit.RequestAsync(ToWallet(line, requestedAt)),
        PayoutRails.PaymentHub => unit.RequestAsync(ToHub(line, requestedAt)),
        _ => unit.RequestAsync(ToFineract(line, requestedAt)),
    };

    /// <summary>
    /// Gives the selected lines a new payment id each, records the payments with their rail and destination, and sends
    /// their requests (outbox). Only lines in the funding currency (<paramref name="currency"/>) are ever requested.
    /// The destination is the worker's approved one as of the run's drafting (what its approver saw), or as of now for a
    /// retry (<paramref name="currentDestination"/>: a failed payout goes to the corrected destination). Answers how
    /// many were requested.
    /// </summary>
    internal static async Task<int> RequestAsync(IPayrollTransaction unit, string where, object key, string currency, DateOnly payDate,
        DateTimeOffset now, CancellationToken ct, bool currentDestination = false)
    {
        var (connection, tx) = (unit.Connection, unit.Transaction);
        var lines = new List<PayableLine>();
        await using (var update = connection.Sql(tx, $"""
            WITH selected AS (
                SELECT l.id, COALESCE(d.rail, 'fineract') AS rail, d.msisdn, d.payment_mode, d.payee_key, d.payee_value
                FROM payroll.pay_lines l JOIN payroll.pay_runs r ON r.id = l.run_id
                LEFT JOIN LATERAL (
                    SELECT d.rail, d.msisdn, d.payment_mode, d.payee_key, d.payee_value FROM payroll.payout_destinations d
                    WHERE d.worker_id = l.worker_id AND d.status = 'approved'
                      AND d.decided_at <= CASE WHEN $3 THEN $4 ELSE r.created_at END
                    ORDER BY d.decided_at DESC LIMIT 1) d ON true
                WHERE {where} AND l.currency = $2 FOR UPDATE OF l)
            UPDATE payroll.pay_lines l SET status = 'requested', payment_id = gen_random_uuid(), attempts = l.attempts + 1,
                failure_reason = NULL, rail = selected.rail
            FROM selected WHERE l.id = selected.id
            RETURNING l.payment_id, l.run_id, l.id, l.worker_id, l.employee_number, l.worker_name, l.amount, l.currency, l.period,
                selected.rail,
                (SELECT a.fineract_client_id FROM payroll.worker_accounts a WHERE a.worker_id = l.worker_id),
                (SELECT a.savings_account_id FROM payroll.worker_accounts a WHERE a.worker_id = l.worker_id),
                selected.msisdn, selected.payment_mode, selected.payee_key, selected.payee_value
            """, key, currency, currentDestination, now))
        await using (var r = await update.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                lines.Add(new PayableLine(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetDecimal(6),
                    r.GetString(7), r.GetFieldValue<DateOnly>(8), payDate, r.GetString(9), r.IsDBNull(10) ? null : r.GetInt64(10),
                    r.IsDBNull(11) ? null : r.GetInt64(11), r.IsDBNull(12) ? null : r.GetString(12), r.IsDBNull(13) ? null : r.GetString(13),
                    r.IsDBNull(14) ? null : r.GetString(14), r.IsDBNull(15) ? null : r.GetString(15)));
            }
        }
        if (lines.Count == 0) return 0;

        await using (var payments = connection.Sql(tx, """
            INSERT INTO payroll.payments (payment_id, line_id, run_id, attempt, amount, currency, status, requested_at, pay_date, rail, msisdn,
                payment_mode, payee_key, payee_value)
            SELECT l.payment_id, l.id, l.run_id, l.attempts, l.amount, l.currency, 'requested', $2, $3, d.rail, d.msisdn, d.mode, d.payee_key, d.payee_value
            FROM payroll.pay_lines l JOIN unnest($1::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                AS d(payment_id, rail, msisdn, mode, payee_key, payee_value) ON d.payment_id = l.payment_id
            """, lines.Select(l => l.PaymentId).ToArray(), now, payDate, lines.Select(l => l.Rail).ToArray(), lines.Select(l => l.Msisdn).ToArray(),
            lines.Select(l => l.PaymentMode).ToArray(), lines.Select(l => l.PayeeKey).ToArray(), lines.Select(l => l.PayeeValue).ToArray()))
        {
            await payments.ExecuteNonQueryAsync(ct);
        }
        foreach (var line in lines)
        {
            await SendAsync(unit, line, now);
        }
        return lines.Count;
    }
}
