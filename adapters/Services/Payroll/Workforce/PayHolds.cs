using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRules;

namespace OneClickSuite.Payroll.Workforce;

/// <summary>
/// Workers set aside: a salary text, a frequency, a currency or a date that Payroll will not guess (<see cref="WorkerPay"/>).
/// Nothing is paid to a worker with a hold. Holds are worked out again whenever the worker's roster event arrives (a
/// fix in iHRIS releases them), at every run, and on request (after the rule set changed, e.g. a new exchange rate).
/// </summary>
public sealed class PayHolds(NpgsqlDataSource db, IOptionsMonitor<PayRuleSet> rules, MinistryCalendar calendar, TimeProvider clock)
{
    /// <summary>What keeps the worker from being paid for the current or the previous month (a leaver: or their final month); empty when nothing does.</summary>
    public IReadOnlyList<PayProblem> Evaluate(StoredWorker worker, PayRuleSet ruleSet, DateOnly today)
    {
        var rule = ruleSet.RuleFor(worker.JobCode, worker.Cadre);
        if (rule is null) return [];
        return new WorkerPay(ruleSet, calendar).Problems(worker.Facts, today, rule.Name, rule.Kind == PayRuleKind.Salary);
    }

    /// <summary>Works out one worker's holds again from the facts just stored (no need to read them back).</summary>
    public async Task RefreshAsync(StoredWorker worker, CancellationToken ct)
    {
        var problems = Evaluate(worker, rules.CurrentValue, calendar.Today(clock));
        await using var connection = await db.OpenConnectionAsync(ct);
        await SyncAsync(connection, null, [worker.WorkerId], new Dictionary<string, IReadOnlyList<PayProblem>> { [worker.WorkerId] = problems }, ct);
    }

    /// <summary>Works out one worker's holds again from what Payroll stores.</summary>
    public async Task RefreshAsync(string workerId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        StoredWorker? worker = null;
        await using (var read = connection.Sql(null, $"SELECT {StoredWorker.Columns} FROM payroll.workers w WHERE w.worker_id = $1", workerId))
        await using (var r = await read.ExecuteReaderAsync(ct))
        {
            if (await r.ReadAsync(ct)) worker = StoredWorker.Read(r);
        }
        if (worker is null) return;
        var problems = Evaluate(worker, rules.CurrentValue, calendar.Today(clock));
        await SyncAsync(connection, null, [workerId], new Dictionary<string, IReadOnlyList<PayProblem>> { [workerId] = problems }, ct);
    }

    /// <summary>Every worker's holds worked out again (after the rule set changed); answers how many workers are held.</summary>
    public async Task<int> RecheckAllAsync(CancellationToken ct)
    {
        var ruleSet = rules.CurrentValue;
        var today = calendar.Today(clock);
        var found = new Dictionary<string, IReadOnlyList<PayProblem>>();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using (var read = connection.Sql(null, $"SELECT {StoredWorker.Columns} FROM payroll.workers w"))
        await using (var r = await read.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var worker = StoredWorker.Read(r);
                found[worker.WorkerId] = Evaluate(worker, ruleSet, today);
            }
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        await SyncAsync(connection, tx, found.Keys.ToArray(), found, ct);
        await tx.CommitAsync(ct);
        return found.Count(f => f.Value.Count > 0);
    }

    /// <summary>
    /// Makes the holds of <paramref name="workerIds"/> equal to <paramref name="problems"/>: gone problems are released,
    /// new ones added, lasting ones keep when they were first seen.
    /// </summary>
    public static async Task SyncAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string[] workerIds,
        IReadOnlyDictionary<string, IReadOnlyList<PayProblem>> problems, CancellationToken ct)
    {
        var rows = problems.SelectMany(p => p.Value.Select(problem => (Worker: p.Key, Problem: problem)))
            .DistinctBy(p => (p.Worker, p.Problem.Record, p.Problem.Field)).ToList();
        var workers = rows.Select(r => r.Worker).ToArray();
        var records = rows.Select(r => r.Problem.Record).ToArray();
        var fields = rows.Select(r => r.Problem.Field).ToArray();
        await using (var release = connection.Sql(tx, """
            DELETE FROM payroll.pay_holds h WHERE h.worker_id = ANY($1) AND NOT EXISTS (
                SELECT 1 FROM unnest($2::text[], $3::text[], $4::text[]) AS n(w, r, f) WHERE n.w = h.worker_id AND n.r = h.record AND n.f = h.field)
            """, workerIds, workers, records, fields))
        {
            await release.ExecuteNonQueryAsync(ct);
        }
        if (rows.Count == 0) return;
        await using var hold = connection.Sql(tx, """
            INSERT INTO payroll.pay_holds (worker_id, record, field, value, reason)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
            ON CONFLICT (worker_id, record, field) DO UPDATE SET value = excluded.value, reason = excluded.reason, last_seen = now()
            """, workers, records, fields, rows.Select(r => r.Problem.Value).ToArray(), rows.Select(r => r.Problem.Reason).ToArray());
        await hold.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<PayHoldView>> ListAsync(string? workerId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, """
            SELECT h.worker_id, COALESCE(w.employee_number, ''), COALESCE(w.display_name, ''), h.record, h.field, h.value, h.reason, h.first_seen, h.last_seen
            FROM payroll.pay_holds h LEFT JOIN payroll.workers w ON w.worker_id = h.worker_id
            WHERE ($1::text IS NULL OR h.worker_id = $1)
            ORDER BY h.first_seen, h.worker_id, h.record, h.field
            LIMIT 5000
            """, workerId);
        var holds = new List<PayHoldView>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            holds.Add(new PayHoldView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5),
                r.GetString(6), r.GetFieldValue<DateTimeOffset>(7), r.GetFieldValue<DateTimeOffset>(8)));
        }
        return holds;
    }
}
