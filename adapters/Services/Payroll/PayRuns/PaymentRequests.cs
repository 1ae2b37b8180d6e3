using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>One payable line as the database holds it, with the worker's account when Payroll knows it.</summary>
public sealed record PayableLine(
    Guid PaymentId,
    Guid RunId,
    Guid LineId,
    string WorkerId,
    string EmployeeNumber,
    decimal Amount,
    string Currency,
    DateOnly Period,
    DateOnly PayDate,
    long? ClientId,
    long? SavingsAccountId);

/// <summary>
/// The one place a <see cref="PaymentRequestedV1"/> is built: approval, a retry of a failed line and the resend of a
/// payment without outcome all go through <see cref="From"/>, so the request can never differ by path.
/// </summary>
public static class PaymentRequests
{
    public static PaymentRequestedV1 From(PayableLine line, DateTimeOffset requestedAt) =>
        new(line.PaymentId, line.RunId, line.LineId, line.WorkerId, line.EmployeeNumber, line.Amount, line.Currency, line.Period,
            line.PayDate, line.ClientId, line.SavingsAccountId, requestedAt);

    /// <summary>
    /// Gives the selected lines a new payment id each, records the payments and sends their requests (outbox). Only
    /// lines in the funding currency (<paramref name="currency"/>) are ever requested. Answers how many were requested.
    /// </summary>
    internal static async Task<int> RequestAsync(IPayrollTransaction unit, string where, object key, string currency, DateOnly payDate,
        DateTimeOffset now, CancellationToken ct)
    {
        var (connection, tx) = (unit.Connection, unit.Transaction);
        var lines = new List<PayableLine>();
        await using (var update = connection.Sql(tx, $"""
            WITH selected AS (
                SELECT l.id FROM payroll.pay_lines l WHERE {where} AND l.currency = $2 FOR UPDATE)
            UPDATE payroll.pay_lines l SET status = 'requested', payment_id = gen_random_uuid(), attempts = l.attempts + 1,
                failure_reason = NULL
            FROM selected WHERE l.id = selected.id
            RETURNING l.payment_id, l.run_id, l.id, l.worker_id, l.employee_number, l.amount, l.currency, l.period,
                (SELECT a.fineract_client_id FROM payroll.worker_accounts a WHERE a.worker_id = l.worker_id),
                (SELECT a.savings_account_id FROM payroll.worker_accounts a WHERE a.worker_id = l.worker_id)
            """, key, currency))
        await using (var r = await update.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                lines.Add(new PayableLine(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetString(3), r.GetString(4), r.GetDecimal(5),
                    r.GetString(6), r.GetFieldValue<DateOnly>(7), payDate, r.IsDBNull(8) ? null : r.GetInt64(8), r.IsDBNull(9) ? null : r.GetInt64(9)));
            }
        }
        if (lines.Count == 0) return 0;

        await using (var payments = connection.Sql(tx, """
            INSERT INTO payroll.payments (payment_id, line_id, run_id, attempt, amount, currency, status, requested_at, pay_date)
            SELECT l.payment_id, l.id, l.run_id, l.attempts, l.amount, l.currency, 'requested', $2, $3
            FROM payroll.pay_lines l WHERE l.payment_id = ANY($1)
            """, lines.Select(l => l.PaymentId).ToArray(), now, payDate))
        {
            await payments.ExecuteNonQueryAsync(ct);
        }
        foreach (var line in lines)
        {
            await unit.RequestAsync(From(line, now));
        }
        return lines.Count;
    }
}
