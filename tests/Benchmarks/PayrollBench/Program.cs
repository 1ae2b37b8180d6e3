using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRules;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Payroll.Reconciliation;
using OneClickSuite.Testing;

// A pay run of N lines (default 100,000; first argument) on a real PostgreSQL: prints the time to draft it (pay from
// the raw iHRIS records, holds, checks), the time the checks alone take on those lines (the goal: under 5 s), the time
// to approve it (checks again, then a payment id and request per line) and the process's peak memory. Exits 1 when
// the checks take 5 s or more.
var lines = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 100_000;
var pg = await PostgresServer.StartSharedAsync();
await using var db = NpgsqlDataSource.Create(await pg.CreateDatabaseAsync("payroll_bench"));
await PayrollDatabase.MigrateAsync(db, CancellationToken.None);

// A workforce of N: nine in ten salaried nurses (one in 17 starting mid-month, one in 5 paid yearly, one in 11 with an
// allowance), one in ten CHWs with two reports each; one in 500 shares a name and birth date with another, one in 700
// a phone, one in 900 an account. Everyone was paid in September, so October's checks compare amounts.
await Exec("""
    INSERT INTO payroll.workers (worker_id, employee_number, display_name, facility_id, facility_name, job_code, cadre, pay_kind,
        active, roster_revision, roles, salaries, birth_date, phone, person_key)
    SELECT 'w' || i, 'EMP-' || i,
        CASE WHEN i % 500 = 1 THEN 'Worker ' || (i - 1) ELSE 'Worker ' || i END,
        'facility-' || (i % 50), 'Facility', CASE WHEN i % 10 = 0 THEN '3229-3A' ELSE '2230-1B' END,
        CASE WHEN i % 10 = 0 THEN 'Community health worker' ELSE 'Nurse' END, CASE WHEN i % 10 = 0 THEN 'incentive' ELSE 'salary' END,
        true, 1,
        jsonb_build_array(jsonb_build_object('reference', 'PractitionerRole/w' || i, 'jobCode', '2230-1B', 'facilityId', 'facility-' || (i % 50),
            'start', CASE WHEN i % 17 = 0 THEN '2026-10-12' ELSE '2019-01-01' END, 'end', NULL, 'active', true)),
        CASE WHEN i % 10 = 0 THEN '[]'::jsonb ELSE jsonb_build_array(jsonb_build_object('reference', 'Basic/w' || i,
            'basicSalary', CASE WHEN i % 5 = 0 THEN ((500 + i % 300) * 12)::text || '.00' ELSE (500 + i % 300)::text || '.37' END,
            'allowance', CASE WHEN i % 11 = 0 THEN '50.00' END,
            'frequency', CASE WHEN i % 5 = 0 THEN 'annualy' ELSE 'monthly' END,
            'frequencySystem', 'http://ihris.org/fhir/CodeSystem/ihris-frequency-codesystem',
            'start', '2019-01-01', 'current', true)) END,
        '1990-01-' || lpad((1 + (CASE WHEN i % 500 = 1 THEN i - 1 ELSE i END) % 28)::text, 2, '0'),
        CASE WHEN i % 700 = 1 THEN '+2567' || lpad((i - 1)::text, 8, '0') ELSE '+2567' || lpad(i::text, 8, '0') END,
        CASE WHEN i % 500 = 1 THEN 'worker ' || (i - 1) ELSE 'worker ' || i END
            || '|1990-01-' || lpad((1 + (CASE WHEN i % 500 = 1 THEN i - 1 ELSE i END) % 28)::text, 2, '0')
    FROM generate_series(1, $1) AS i
    """, lines);
await Exec("""
    INSERT INTO payroll.worker_accounts (worker_id, fineract_client_id, savings_account_id, credits_blocked, revision)
    SELECT 'w' || i, i, CASE WHEN i % 900 = 1 THEN 100000 + i - 1 ELSE 100000 + i END, false, 1 FROM generate_series(1, $1) AS i
    """, lines);
var period = new DateOnly(2026, 10, 1);
await Exec("""
    INSERT INTO payroll.activities (submission_id, worker_id, period, counts, review_state, counted, submission_version)
    SELECT 'uuid:' || i || '-' || k, 'w' || i, $1, jsonb_build_object('households_visited', 20 + i % 40, 'referrals', i % 7),
        CASE WHEN i % 300 = 0 THEN 'hasIssues' ELSE 'approved' END, true, 1
    FROM generate_series(10, $2, 10) AS i, generate_series(1, 2) AS k
    """, period, lines);
// September, paid: what October's amounts and total are compared with.
await Exec("""
    INSERT INTO payroll.pay_runs (id, period, population_kind, rule_set_version, status, line_count, total, currency, created_by, created_at)
    VALUES ('00000000-0000-0000-0000-000000000009', DATE '2026-09-01', 'everyone', 'bench', 'completed', $1, 0, 'USD', 'bench', now())
    """, lines);
await Exec("""
    INSERT INTO payroll.pay_lines (id, run_id, worker_id, employee_number, worker_name, facility_id, cadre, period, kind, amount, currency,
        explanation, submissions, status, paid_at)
    SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000009', 'w' || i, 'EMP-' || i, 'Worker ' || i, 'facility', 'Nurse', DATE '2026-09-01',
        CASE WHEN i % 10 = 0 THEN 'incentive' ELSE 'salary' END, CASE WHEN i % 13 = 0 THEN 200 ELSE 500 + i % 300 END, 'USD', 'September', '{}',
        'paid', now()
    FROM generate_series(1, $1) AS i
    """, lines);
await Exec("ANALYZE");

var rules = new PayRuleSet
{
    Version = "bench",
    Rules =
    [
        new PayRule
        {
            Name = "CHW incentive", Kind = PayRuleKind.Incentive, JobCodes = ["3229-3A"],
            Incentive = new IncentiveScheme { Rates = new() { ["households_visited"] = 0.5m, ["referrals"] = 2m }, Cap = 150m, Minimum = 5m, Stipend = 20m },
        },
        new PayRule { Name = "Nurses", Kind = PayRuleKind.Salary, JobCodes = ["2230-1B"] },
    ],
};
var clock = new FixedClock(new DateTimeOffset(2026, 10, 20, 9, 0, 0, TimeSpan.Zero));
var calendar = MinistryCalendar.Utc;
var monitor = new FixedRules(rules);
var outbox = new CountingOutbox(db);
var checks = new RunChecks(Options.Create(new PayrollOptions()), TimeProvider.System);
var queries = new PayRunQueries(db);
var drafting = new PayRunDrafting(db, monitor, checks, queries, calendar, clock, NullLogger<PayRunDrafting>.Instance);
var lifecycle = new PayRunLifecycle(db, monitor, outbox, checks, queries, calendar, clock, NullLogger<PayRunLifecycle>.Instance);
var maker = new Actor("alice", new HashSet<string> { Actor.MakerRole });
var checker = new Actor("bob", new HashSet<string> { Actor.CheckerRole });

var watch = Stopwatch.StartNew();
var run = await drafting.CreateAsync(new NewPayRun("2026-10", "everyone", null), maker, CancellationToken.None);
var created = watch.Elapsed;

// The checks alone, on the drafted run's lines, three times (the first warms PostgreSQL's caches).
var checkTimes = new List<TimeSpan>();
var steps = new List<string>();
for (var round = 0; round < 3; round++)
{
    await using var connection = await db.OpenConnectionAsync();
    await using var tx = await connection.BeginTransactionAsync();
    steps.Add($"[round {round + 1}]");
    watch.Restart();
    await checks.ComputeAsync(connection, tx, run.Id, calendar.Today(clock), CancellationToken.None,
        (step, took) => steps.Add($"{step} {took.TotalMilliseconds:F0} ms"));
    checkTimes.Add(watch.Elapsed);
    await tx.CommitAsync();
}
var summary = (await queries.GetAsync(run.Id, CancellationToken.None)).Checks!;
var byKind = (await queries.GetChecksAsync(run.Id, false, 0, 10_000, CancellationToken.None)).GroupBy(c => c.Kind)
    .ToDictionary(g => g.Key, g => g.Count());

// Resolve the blocking ones (as an approver would, with a reason), then approve.
await using (var connection = await db.OpenConnectionAsync())
await using (var resolve = new NpgsqlCommand(
    "UPDATE payroll.run_checks SET resolved_by = 'bob', resolved_at = now(), resolution = 'benchmark' WHERE run_id = $1 AND blocking", connection)
    { Parameters = { new() { Value = run.Id } } })
{
    await resolve.ExecuteNonQueryAsync();
}
await lifecycle.SubmitAsync(run.Id, maker, CancellationToken.None);
watch.Restart();
await lifecycle.ApproveAsync(run.Id, checker, CancellationToken.None);
var approved = watch.Elapsed;

using var self = Process.GetCurrentProcess();
self.Refresh();
var best = checkTimes.Min();
Console.WriteLine($"pay run of {run.LineCount:N0} lines, total {run.Total:N2} {run.Currency}");
Console.WriteLine($"  draft (pay from raw records, holds, checks): {created.TotalSeconds:F2} s ({run.LineCount / created.TotalSeconds:N0} lines/s)");
Console.WriteLine($"  checks alone: {string.Join(", ", checkTimes.Select(t => $"{t.TotalSeconds:F2} s"))} (goal: under 5 s)");
Console.WriteLine($"  checks, step by step: {string.Join(", ", steps)}");
Console.WriteLine($"  checks found: {summary.Blocking} blocking, {summary.Warnings} warnings — " +
                  string.Join(", ", byKind.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")) + " (the first 10,000 read back)");
Console.WriteLine($"  approve (checks again, a payment id and request per line): {approved.TotalSeconds:F2} s, {outbox.Requested:N0} requests");
Console.WriteLine($"  peak working set: {self.PeakWorkingSet64 / 1024 / 1024:N0} MiB; managed allocated: {GC.GetTotalAllocatedBytes() / 1024 / 1024:N0} MiB");
return best < TimeSpan.FromSeconds(5) ? 0 : 1;

async Task Exec(string sql, params object[] args)
{
    await using var connection = await db.OpenConnectionAsync();
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
    foreach (var arg in args) command.Parameters.Add(new NpgsqlParameter { Value = arg });
    await command.ExecuteNonQueryAsync();
}

internal sealed class FixedRules(PayRuleSet rules) : IOptionsMonitor<PayRuleSet>
{
    public PayRuleSet CurrentValue => rules;
    public PayRuleSet Get(string? name) => rules;
    public IDisposable? OnChange(Action<PayRuleSet, string?> listener) => null;
}

internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>Counts requests instead of sending them (the benchmark measures Payroll, not the broker).</summary>
internal sealed class CountingOutbox(NpgsqlDataSource db) : IPayrollOutbox
{
    public int Requested;

    public async Task<IPayrollTransaction> BeginAsync(CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        return new Unit(this, connection, await connection.BeginTransactionAsync(ct));
    }

    private sealed class Unit(CountingOutbox owner, NpgsqlConnection connection, NpgsqlTransaction transaction) : IPayrollTransaction
    {
        public NpgsqlConnection Connection => connection;
        public NpgsqlTransaction Transaction => transaction;
        public ValueTask RequestAsync(IPaymentRequest request)
        {
            Interlocked.Increment(ref owner.Requested);
            return ValueTask.CompletedTask;
        }
        public ValueTask PublishAsync(PayStatementV1 statement) => ValueTask.CompletedTask;
        public ValueTask PublishAsync(WorkerPayClosedV1 closed) => ValueTask.CompletedTask;
        public Task CommitAsync(CancellationToken ct) => transaction.CommitAsync(ct);
        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
