using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRules;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Testing;

// Computes a pay run of N lines (default 100,000; first argument) on a real PostgreSQL and prints the time to create
// it, the time to approve it (payment ids and requests for every line) and the process's peak memory.
var lines = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 100_000;
var pg = await PostgresServer.StartSharedAsync();
await using var db = NpgsqlDataSource.Create(await pg.CreateDatabaseAsync("payroll_bench"));
await PayrollDatabase.MigrateAsync(db, CancellationToken.None);

// A workforce of N: nine in ten salaried nurses (some starting mid-month), one in ten CHWs with two reports each.
var period = new DateOnly(2026, 10, 1);
await using (var connection = await db.OpenConnectionAsync())
await using (var seed = new NpgsqlCommand("""
    INSERT INTO payroll.workers (worker_id, employee_number, display_name, facility_id, facility_name, job_code, cadre, pay_kind,
        salary_amount, salary_currency, active, employed_from, roster_revision)
    SELECT 'w' || i, 'EMP-' || i, 'Worker ' || i, 'facility-' || (i % 50), 'Facility', CASE WHEN i % 10 = 0 THEN '3229-3A' ELSE '2230-1B' END,
        CASE WHEN i % 10 = 0 THEN 'Community health worker' ELSE 'Nurse' END, CASE WHEN i % 10 = 0 THEN 'incentive' ELSE 'salaried' END,
        CASE WHEN i % 10 = 0 THEN NULL ELSE 500 + (i % 300) + 0.37 END, 'USD', true,
        CASE WHEN i % 17 = 0 THEN DATE '2026-10-12' ELSE NULL END, 1
    FROM generate_series(1, $1) AS i;
    """, connection) { Parameters = { new() { Value = lines } } })
{
    await seed.ExecuteNonQueryAsync();
}
await using (var connection = await db.OpenConnectionAsync())
await using (var reports = new NpgsqlCommand("""
    INSERT INTO payroll.activities (submission_id, worker_id, period, counts, review_state, counted, submission_version)
    SELECT 'uuid:' || i || '-' || k, 'w' || i, $1, jsonb_build_object('households_visited', 20 + i % 40, 'referrals', i % 7), 'approved', true, 1
    FROM generate_series(10, $2, 10) AS i, generate_series(1, 2) AS k;
    """, connection) { Parameters = { new() { Value = period }, new() { Value = lines } } })
{
    await reports.ExecuteNonQueryAsync();
}

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
var outbox = new CountingOutbox(db);
var service = new PayRunService(db, new FixedRules(rules), outbox, TimeProvider.System, NullLogger<PayRunService>.Instance);
var maker = new Actor("alice", new HashSet<string> { Actor.MakerRole });
var checker = new Actor("bob", new HashSet<string> { Actor.CheckerRole });

var clock = Stopwatch.StartNew();
var run = await service.CreateAsync(new NewPayRun("2026-10", "everyone", null), maker, CancellationToken.None);
var created = clock.Elapsed;
await service.SubmitAsync(run.Id, maker, CancellationToken.None);
clock.Restart();
await service.ApproveAsync(run.Id, checker, CancellationToken.None);
var approved = clock.Elapsed;

using var self = Process.GetCurrentProcess();
self.Refresh();
Console.WriteLine($"pay run of {run.LineCount:N0} lines, total {run.Total:N2} {run.Currency}");
Console.WriteLine($"  compute + store: {created.TotalSeconds:F2} s ({run.LineCount / created.TotalSeconds:N0} lines/s)");
Console.WriteLine($"  approve (payment id + request per line): {approved.TotalSeconds:F2} s, {outbox.Requested:N0} requests");
Console.WriteLine($"  peak working set: {self.PeakWorkingSet64 / 1024 / 1024:N0} MiB; managed allocated: {GC.GetTotalAllocatedBytes() / 1024 / 1024:N0} MiB");

internal sealed class FixedRules(PayRuleSet rules) : IOptionsMonitor<PayRuleSet>
{
    public PayRuleSet CurrentValue => rules;
    public PayRuleSet Get(string? name) => rules;
    public IDisposable? OnChange(Action<PayRuleSet, string?> listener) => null;
}

/// <summary>Counts requests instead of sending them (the benchmark measures Payroll, not the broker).</summary>
internal sealed class CountingOutbox(NpgsqlDataSource db) : IPaymentOutbox
{
    public int Requested;

    public async Task<IPaymentTransaction> BeginAsync(CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        return new Unit(this, connection, await connection.BeginTransactionAsync(ct));
    }

    private sealed class Unit(CountingOutbox owner, NpgsqlConnection connection, NpgsqlTransaction transaction) : IPaymentTransaction
    {
        public NpgsqlConnection Connection => connection;
        public NpgsqlTransaction Transaction => transaction;
        public ValueTask RequestAsync(PaymentRequestedV1 request)
        {
            Interlocked.Increment(ref owner.Requested);
            return ValueTask.CompletedTask;
        }
        public Task CommitAsync(CancellationToken ct) => transaction.CommitAsync(ct);
        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
