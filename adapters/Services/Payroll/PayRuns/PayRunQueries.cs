using System.Globalization;
using System.Text.Json;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>Reading pay runs, their lines and their checks; nothing here changes anything.</summary>
public sealed class PayRunQueries(NpgsqlDataSource db)
{
    public async Task<PayRunView> GetAsync(Guid runId, CancellationToken ct) =>
        (await ListAsync(runId, null, ct)).SingleOrDefault() ?? throw PayrollRefusal.NotFound($"pay run {runId}");

    public async Task<IReadOnlyList<PayRunView>> ListAsync(Guid? runId, string? period, CancellationToken ct)
    {
        DateOnly? periodStart = period is null ? null : PayRunSql.ParsePeriod(period);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, """
            SELECT r.id, r.period, r.population_kind, r.population_value, r.rule_set_version, r.status, r.line_count, r.total, r.currency,
                   r.created_by, r.created_at, r.submitted_by, r.submitted_at, r.approved_by, r.approved_at, r.disbursing_at,
                   r.completed_at, r.cancelled_by, r.cancelled_at, r.cancel_reason,
                   (SELECT jsonb_object_agg(status, n)::text FROM (SELECT status, count(*) AS n FROM payroll.pay_lines
                        WHERE run_id = r.id GROUP BY status) s),
                   r.period_reason, r.warnings,
                   (SELECT jsonb_object_agg(currency, total)::text FROM (SELECT currency, sum(amount) AS total FROM payroll.pay_lines
                        WHERE run_id = r.id AND status <> 'to-recover' GROUP BY currency) t),
                   c.blocking, c.resolved, c.warnings, r.checks_computed_at
            FROM payroll.pay_runs r
            LEFT JOIN LATERAL (
                SELECT count(*) FILTER (WHERE blocking AND resolved_at IS NULL)::int AS blocking,
                       count(*) FILTER (WHERE blocking AND resolved_at IS NOT NULL)::int AS resolved,
                       count(*) FILTER (WHERE NOT blocking)::int AS warnings
                FROM payroll.run_checks WHERE run_id = r.id AND cleared_at IS NULL) c ON true
            WHERE ($1::uuid IS NULL OR r.id = $1) AND ($2::date IS NULL OR r.period = $2)
            ORDER BY r.created_at DESC
            LIMIT 200
            """, runId, periodStart);
        var runs = new List<PayRunView>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            DateTimeOffset? At(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
            var byStatus = r.IsDBNull(20) ? [] : JsonSerializer.Deserialize<Dictionary<string, int>>(r.GetString(20)) ?? [];
            var totals = r.IsDBNull(23) ? [] : JsonSerializer.Deserialize<Dictionary<string, decimal>>(r.GetString(23)) ?? [];
            runs.Add(new PayRunView(r.GetGuid(0), PayRunSql.Month(r.GetFieldValue<DateOnly>(1)),
                r.GetString(2), Text(3), r.GetString(4), r.GetString(5), r.GetInt32(6), r.GetDecimal(7), r.GetString(8), r.GetString(9),
                r.GetFieldValue<DateTimeOffset>(10), Text(11), At(12), Text(13), At(14), At(15), At(16), Text(17), At(18), Text(19), byStatus,
                r.GetFieldValue<string[]>(22), Text(21), totals,
                new RunChecksSummary(r.GetInt32(24), r.GetInt32(25), r.GetInt32(26), At(27))));
        }
        return runs;
    }

    public async Task<IReadOnlyList<PayLineView>> GetLinesAsync(Guid runId, string? status, int offset, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, LineSelect + """
             WHERE run_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY employee_number, period, kind OFFSET $3 LIMIT $4
            """, runId, status, Math.Max(0, offset), Math.Clamp(limit, 1, 10_000));
        return await ReadLinesAsync(command, ct);
    }

    public async Task<PayLineView> GetLineAsync(Guid runId, Guid lineId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, LineSelect + " WHERE run_id = $1 AND id = $2", runId, lineId);
        return (await ReadLinesAsync(command, ct)).SingleOrDefault() ?? throw PayrollRefusal.NotFound($"line {lineId} of pay run {runId}");
    }

    /// <summary>Streams every line of a run (for the CSV export) without holding them all in memory.</summary>
    public async IAsyncEnumerable<PayLineView> StreamLinesAsync(Guid runId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await GetAsync(runId, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, LineSelect + " WHERE run_id = $1 ORDER BY employee_number, period, kind", runId);
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) yield return ReadLine(r);
    }

    /// <summary>
    /// The run's current checks (cleared ones left out), blocking first; <paramref name="open"/> true: only those
    /// still to be resolved.
    /// </summary>
    public async Task<IReadOnlyList<RunCheckView>> GetChecksAsync(Guid runId, bool open, int offset, int limit, CancellationToken ct)
    {
        await GetAsync(runId, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, """
            SELECT c.id, c.line_id, c.worker_id, l.worker_name, c.kind, c.blocking, c.detail, c.resolved_by, c.resolved_at, c.resolution
            FROM payroll.run_checks c LEFT JOIN payroll.pay_lines l ON l.id = c.line_id
            WHERE c.run_id = $1 AND c.cleared_at IS NULL AND (NOT $2 OR (c.blocking AND c.resolved_at IS NULL))
            ORDER BY c.blocking DESC, c.resolved_at IS NOT NULL, c.line_id IS NOT NULL, c.kind, l.employee_number, c.id
            OFFSET $3 LIMIT $4
            """, runId, open, Math.Max(0, offset), Math.Clamp(limit, 1, 10_000));
        var checks = new List<RunCheckView>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            checks.Add(new RunCheckView(r.GetInt64(0), r.IsDBNull(1) ? null : r.GetGuid(1), r.IsDBNull(2) ? null : r.GetString(2),
                r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4), r.GetBoolean(5), r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
                r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetString(9)));
        }
        return checks;
    }

    private const string LineSelect = """
        SELECT id, worker_id, employee_number, worker_name, facility_id, cadre, period, kind, amount, currency, explanation, submissions,
               status, payment_id, attempts, failure_reason, written_off_by, write_off_reason, paid_at, fineract_transfer_id, rail,
               (SELECT p.provider_reference FROM payroll.payments p WHERE p.payment_id = pay_lines.payment_id),
               (SELECT p.msisdn FROM payroll.payments p WHERE p.payment_id = pay_lines.payment_id)
        FROM payroll.pay_lines
        """;

    private static async Task<List<PayLineView>> ReadLinesAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var lines = new List<PayLineView>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) lines.Add(ReadLine(r));
        return lines;
    }

    private static PayLineView ReadLine(NpgsqlDataReader r)
    {
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        Guid? paymentId = r.IsDBNull(13) ? null : r.GetGuid(13);
        return new PayLineView(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
            r.GetFieldValue<DateOnly>(6).ToString("yyyy-MM", CultureInfo.InvariantCulture), r.GetString(7), r.GetDecimal(8), r.GetString(9),
            r.GetString(10), r.GetFieldValue<string[]>(11), r.GetString(12), paymentId,
            paymentId is { } p ? PaymentReference.For(p) : null, r.GetInt32(14), Text(15), Text(16), Text(17),
            r.IsDBNull(18) ? null : r.GetFieldValue<DateTimeOffset>(18), r.IsDBNull(19) ? null : r.GetInt64(19), Text(20), Text(21), Text(22));
    }
}
