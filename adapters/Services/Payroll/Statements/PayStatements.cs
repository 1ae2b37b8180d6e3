using System.Globalization;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRuns;

namespace OneClickSuite.Payroll.Statements;

/// <summary>
/// A statement for every paid line, issued when the payment settles: the period, what counted (rule, reports,
/// amounts, proration: the line's explanation), deductions (this payroll makes none, and says so), what was paid,
/// into which account or wallet and when. Published to the ODK adapter (<see cref="PayStatementV1"/>), which puts it in the
/// <c>pay_statements</c> entity list community health workers see in ODK Collect.
/// </summary>
public sealed class PayStatements(NpgsqlDataSource db, MinistryCalendar calendar)
{
    public const string NoDeductions = "none: this payroll makes no deductions";

    /// <summary>Issues the statement of a line that has just been paid (once; a repeated outcome issues nothing).</summary>
    internal async Task IssueAsync(IPayrollTransaction unit, Guid lineId, DateTimeOffset paidAt, CancellationToken ct)
    {
        await using (var insert = unit.Connection.Sql(unit.Transaction, """
            INSERT INTO payroll.pay_statements (id, run_id, worker_id, period, counted, deductions, paid_to, paid_at)
            SELECT l.id, l.run_id, l.worker_id, l.period, l.explanation, $3,
                   CASE WHEN p.rail = 'mobile-money' THEN 'mobile wallet ' || p.msisdn
                        WHEN p.rail = 'payment-hub' THEN p.payee_key || ' ' || p.payee_value || ' through Payment Hub' 
                        ELSE COALESCE('Fineract savings account #' || a.savings_account_id, 'Fineract savings account') END, $2
            FROM payroll.pay_lines l LEFT JOIN payroll.worker_accounts a ON a.worker_id = l.worker_id
            LEFT JOIN payroll.payments p ON p.payment_id = l.payment_id
            WHERE l.id = $1
            ON CONFLICT (id) DO NOTHING
            """, lineId, paidAt, NoDeductions))
        {
            if (await insert.ExecuteNonQueryAsync(ct) == 0) return;
        }
        var statement = await ReadAsync(unit.Connection, unit.Transaction, lineId, ct);
        if (statement is not null) await unit.PublishAsync(ToMessage(statement));
    }

    public async Task<IReadOnlyList<PayStatementView>> ListAsync(string? workerId, string? period, int offset, int limit, CancellationToken ct)
    {
        DateOnly? month = period is null ? null : PayRunSql.ParsePeriod(period);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, Select + """
             WHERE ($1::text IS NULL OR s.worker_id = $1) AND ($2::date IS NULL OR s.period = $2)
             ORDER BY s.period DESC, s.paid_at DESC OFFSET $3 LIMIT $4
            """, workerId, month, Math.Max(0, offset), Math.Clamp(limit, 1, 1000));
        return await ReadAllAsync(command, ct);
    }

    public async Task<PayStatementView> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ReadAsync(connection, null, id, ct) ?? throw PayrollRefusal.NotFound($"statement {id}");
    }

    internal static async Task<PayStatementView?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, Guid id, CancellationToken ct)
    {
        await using var command = connection.Sql(tx, Select + " WHERE s.id = $1", id);
        return (await ReadAllAsync(command, ct)).SingleOrDefault();
    }

    /// <summary>What the worker sees in ODK: the statement's facts, and a text that says it all in one go.</summary>
    public PayStatementV1 ToMessage(PayStatementView s) => new(
        s.Id, s.WorkerId, s.EmployeeNumber, s.Period, s.Kind, s.Amount, s.Currency, s.PaidTo, s.PaidAt, Text(s), s.QueryStatus, s.QueryAnswer, s.Version);

    /// <summary>The statement in one text; the day it was paid is the ministry's day.</summary>
    public string Text(PayStatementView s) =>
        $"{s.Period} {s.Kind}: paid {PayRules.PayCalculator.Money(s.Amount, s.Currency)} on {calendar.DateOf(s.PaidAt).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} " +
        $"to {s.PaidTo}" + (s.PaymentReference is null ? "" : $" (reference {s.PaymentReference})") +
        $". What counted: {s.Counted}. Deductions: {s.Deductions}.";

    private const string Select = """
        SELECT s.id, s.run_id, s.worker_id, l.employee_number, l.worker_name, s.period, l.kind, l.amount, l.currency, s.counted, l.submissions,
               s.deductions, s.paid_to, s.paid_at, l.payment_id, s.version, d.status, d.outcome, d.answer
        FROM payroll.pay_statements s JOIN payroll.pay_lines l ON l.id = s.id
        LEFT JOIN LATERAL (
            SELECT status, outcome, answer FROM payroll.disputes WHERE statement_id = s.id ORDER BY received_at DESC LIMIT 1) d ON true
        """;

    private static async Task<List<PayStatementView>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var statements = new List<PayStatementView>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            Guid? paymentId = r.IsDBNull(14) ? null : r.GetGuid(14);
            var status = r.IsDBNull(16) ? null : r.GetString(16) == DisputeStatus.Answered && !r.IsDBNull(17) ? r.GetString(17) : r.GetString(16);
            statements.Add(new PayStatementView(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetString(4),
                PayRunSql.Month(r.GetFieldValue<DateOnly>(5)), r.GetString(6), r.GetDecimal(7), r.GetString(8), r.GetString(9),
                r.GetFieldValue<string[]>(10), r.GetString(11), r.GetString(12), r.GetFieldValue<DateTimeOffset>(13),
                paymentId is { } p ? PaymentReference.For(p) : null, r.GetInt64(15), status, r.IsDBNull(18) ? null : r.GetString(18)));
        }
        return statements;
    }
}
