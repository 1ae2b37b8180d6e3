using Microsoft.Extensions.DependencyInjection;
using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.MobileMoneyAdapter.Payouts;
using OneClickSuite.Testing;

namespace OneClickSuite.Benchmarks.Wallets;

/// <summary>
/// The mobile money adapter against the emulator: N payouts inserted as Payroll's requests would leave them (status
/// queued), then timed until every one is completed or rejected and the batch settled. The breakdown comes from three
/// places: the adapter's tables (when the batch was formed), the emulator's (when it received, parsed, approved and
/// posted the batch), and the dispatcher's own activities (each step's wall time, with its HTTP calls and PostgreSQL
/// commands), which this process sees because the adapter runs in it.
/// </summary>
public sealed class AdapterRun : IAsyncDisposable
{
    public sealed record Setup(int N, string SuiteDb, string ProviderDb, string BaseUrl, string ApiKey, string ProgrammeWallet, RabbitMqServer Rabbit);

    public const string Schema = "mobile_money_adapter";
    public const string OutcomeQueue = "payroll.wallet-payment-outcomes";
    public static readonly Guid RunId = Guid.Parse("00000000-0000-0000-0000-00000000b0b0");

    private AdapterRun(Setup setup, EmulatorHost<MobileMoneyAdapterApp> host) => (Settings, Host) = (setup, host);

    /// <summary>The outcomes that reached Payroll's queue so far (counted from when the batch settled; the queue keeps them).</summary>
    public OutcomeTally Tally { get; private set; } = null!;

    public Setup Settings { get; }
    public EmulatorHost<MobileMoneyAdapterApp> Host { get; }
    public double Seconds { get; private set; }
    public double OutcomesSeconds { get; private set; }
    public long OutcomesPublished { get; private set; }
    public List<string> Breakdown { get; } = [];
    public List<string> Problems { get; } = [];

    public static async Task<AdapterRun> RunAsync(Setup setup, CancellationToken ct)
    {
        var n = setup.N;
        var host = EmulatorHost<MobileMoneyAdapterApp>.Start(origin => new Dictionary<string, string>
        {
            ["ConnectionStrings:suite-db"] = new NpgsqlConnectionStringBuilder(setup.SuiteDb) { ApplicationName = "mobile-money-adapter" }.ConnectionString,
            ["ConnectionStrings:rabbitmq"] = setup.Rabbit.ConnectionString,
            ["MobileMoney:BaseUrl"] = setup.BaseUrl,
            ["MobileMoney:ApiKey"] = setup.ApiKey,
            ["Payouts:DebitIdentifierType"] = "msisdn",
            ["Payouts:DebitIdentifier"] = setup.ProgrammeWallet,
            ["Payouts:MaxBatchSize"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Payouts:CallbackBaseUrl"] = origin.ToString().TrimEnd('/'),
            [Microsoft.Extensions.Hosting.SuiteIdentity.SigningKeySetting] = TestIdentity.SigningKey,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Wolverine"] = "Error",
        });
        var run = new AdapterRun(setup, host);
        // The adapter migrated its schema while starting; the payouts arrive as Payroll's requests leave them.
        using var steps = new StepRecorder();
        var startedAt = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        await using (var connection = new NpgsqlConnection(setup.SuiteDb))
        {
            await connection.OpenAsync(ct);
            await using var insert = new NpgsqlCommand($"""
                INSERT INTO {Schema}.payouts (payment_id, reference, run_id, worker_id, worker_name, msisdn, amount, currency, requested_at, status)
                SELECT id, 'pay-' || replace(id::text, '-', ''), $2, 'w' || i, 'Worker ' || i, '+2568' || lpad(i::text, 8, '0'),
                    100 + i % 900 + (i % 100) / 100.0, 'USD', now(), 'queued'
                FROM (SELECT gen_random_uuid() AS id, i FROM generate_series(1, $1) AS i) AS p
                """, connection) { CommandTimeout = 600, Parameters = { new() { Value = n }, new() { Value = RunId } } };
            await insert.ExecuteNonQueryAsync(ct);
        }
        var inserted = watch.Elapsed.TotalSeconds;
        startedAt = DateTimeOffset.UtcNow;
        watch.Restart();
        // As the intake does after recording a request: the dispatcher looks now, not at its next tick.
        host.Services.GetRequiredService<BatchDispatcher>().Wake();

        // Poll the adapter's own batch table (a few rows) until every batch has settled and nothing is left open.
        await using var suite = new NpgsqlConnection(setup.SuiteDb);
        await suite.OpenAsync(ct);
        var seen = new Dictionary<string, double>();
        while (true)
        {
            var states = await ListAsync(suite, $"SELECT state FROM {Schema}.batches", r => r.GetString(0), ct);
            foreach (var state in states.Distinct()) seen.TryAdd(state, watch.Elapsed.TotalSeconds);
            if (states.Count > 0 && states.All(s => s is BatchState.Settled or BatchState.Failed)
                && await ScalarAsync(suite, $"SELECT count(*) FROM {Schema}.payouts WHERE status IN ('queued', 'batched')", ct) == 0)
            {
                break;
            }
            if (watch.Elapsed.TotalSeconds > 20 && (int)watch.Elapsed.TotalSeconds % 10 == 0)
            {
                var stuck = await ListAsync(suite, $"SELECT state || ': ' || coalesce(last_error, '-') FROM {Schema}.batches", r => r.GetString(0), ct);
                Console.WriteLine($"  still waiting after {watch.Elapsed.TotalSeconds:F0} s: {string.Join("; ", stuck)}");
                await Task.Delay(1000, ct);
            }
            await Task.Delay(50, ct);
        }
        run.Seconds = watch.Elapsed.TotalSeconds;

        // The outcomes leave through Wolverine's outbox after the settling commit: wait until all of them reached the queue
        // (declared by the adapter's messaging when it started).
        run.Tally = await OutcomeTally.StartAsync(setup.Rabbit.AmqpUri, OutcomeQueue, ct);
        while (run.Tally.Outcomes < n && watch.Elapsed < TimeSpan.FromMinutes(5)) await Task.Delay(50, ct);
        run.OutcomesPublished = run.Tally.Outcomes;
        run.OutcomesSeconds = watch.Elapsed.TotalSeconds;
        if (run.OutcomesPublished != n) run.Problems.Add($"{run.OutcomesPublished} outcomes in RabbitMQ, expected {n}");
        run.Breakdown.Add($"outcomes in {run.Tally.Messages:N0} messages");

        // Breakdown: seconds since the payouts were recorded.
        double Since(DateTimeOffset at) => (at - startedAt).TotalSeconds;
        var batches = await ListAsync(suite, $"SELECT batch_key, created_at, batch_id, payouts, updated_at FROM {Schema}.batches ORDER BY created_at",
            r => (Key: r.GetGuid(0), Created: r.GetFieldValue<DateTimeOffset>(1), BatchId: r.IsDBNull(2) ? null : r.GetString(2), Payouts: r.GetInt32(3),
                Updated: r.GetFieldValue<DateTimeOffset>(4)), ct);
        run.Breakdown.Add($"recorded {n:N0} queued payouts in {inserted:F2} s (not timed); the clock starts after that commit");
        run.Breakdown.Add($"states first seen by polling (50 ms): {string.Join(", ", seen.OrderBy(s => s.Value).Select(s => $"{s.Key} {s.Value:F2} s"))}");
        await using var books = new NpgsqlConnection(setup.ProviderDb);
        await books.OpenAsync(ct);
        foreach (var batch in batches)
        {
            run.Breakdown.Add($"batch {batch.BatchId} of {batch.Payouts:N0}: formed {Since(batch.Created):F2} s, settled (row updated) {Since(batch.Updated):F2} s");
            if (batch.BatchId is null) continue;
            var emulator = await ListAsync(books, """
                SELECT r.created_at, r.completed_at, b.approval_date, b.completion_date,
                    (SELECT min(created_at) FROM mm_request WHERE kind = 'approve-batch' AND target = b.batch_id),
                    (SELECT max(completed_at) FROM mm_request WHERE kind = 'approve-batch' AND target = b.batch_id)
                FROM mm_batch b JOIN mm_request r ON r.server_correlation_id = b.create_request WHERE b.batch_id = $1
                """, r => (Received: r.GetFieldValue<DateTimeOffset>(0), Parsed: r.IsDBNull(1) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(1),
                Approved: r.IsDBNull(2) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(2),
                Completed: r.IsDBNull(3) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(3),
                ApproveAsked: r.IsDBNull(4) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(4),
                ApproveDone: r.IsDBNull(5) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(5)), ct, batch.BatchId);
            foreach (var e in emulator)
            {
                run.Breakdown.Add($"  emulator: POST received {Since(e.Received):F2} s, parsed {Opt(e.Parsed)}, approval received {Opt(e.ApproveAsked)}, " +
                                  $"approved {Opt(e.Approved)}, posted (completed) {Opt(e.Completed)}, approval request done {Opt(e.ApproveDone)}");
            }
        }
        run.Breakdown.AddRange(steps.Describe(startedAt));
        string Opt(DateTimeOffset? at) => at is { } t ? $"{Since(t):F2} s" : "-";

        // Correctness: every payout completed, each exactly once at the provider, for its amount, to its wallet, under
        // the transaction reference the adapter recorded.
        var wrong = await ListAsync(suite, $"SELECT status, count(*) FROM {Schema}.payouts GROUP BY status", r => (r.GetString(0), r.GetInt64(1)), ct);
        if (wrong.Count != 1 || wrong[0] != (PayoutStatus.Completed, n))
            run.Problems.Add("payouts by status: " + string.Join(", ", wrong.Select(w => $"{w.Item1} {w.Item2}")));
        var paid = await ListAsync(books, """
            SELECT requesting_reference, count(*), sum(amount), min(credit_value), min(transaction_reference) FROM mm_batch_txn
            WHERE status = 'completed' AND requesting_reference LIKE 'pay-%' GROUP BY requesting_reference
            """, r => (Reference: r.GetString(0), Count: r.GetInt64(1), Amount: r.GetDecimal(2), Msisdn: r.GetString(3), Txn: r.GetString(4)), ct);
        var ours = (await ListAsync(suite, $"SELECT reference, amount, msisdn, provider_reference FROM {Schema}.payouts",
            r => (Reference: r.GetString(0), Amount: r.GetDecimal(1), Msisdn: r.GetString(2), Txn: r.IsDBNull(3) ? null : r.GetString(3)), ct))
            .ToDictionary(p => p.Reference);
        if (paid.Count != n) run.Problems.Add($"{paid.Count} references completed at the provider, expected {n}");
        var mismatched = paid.Where(p => p.Count != 1 || !ours.TryGetValue(p.Reference, out var o) || o.Amount != p.Amount || o.Msisdn != p.Msisdn || o.Txn != p.Txn)
            .Take(5).ToList();
        if (mismatched.Count > 0) run.Problems.Add("wrong at the provider: " + string.Join(", ", mismatched.Select(m => $"{m.Reference} ×{m.Count} {m.Amount} {m.Msisdn}")));
        return run;
    }

    public static async Task<List<T>> ListAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct,
        params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct)) list.Add(read(reader));
        return list;
    }

    public static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }

    public async ValueTask DisposeAsync()
    {
        if (Tally is not null) await Tally.DisposeAsync();
        await Host.DisposeAsync();
    }
}

/// <summary>
/// Listens to the dispatcher's step activities ("mobile money batch {state}") and, inside each, the HTTP calls and
/// PostgreSQL commands it made (Activity.Parent chains stay within this process; the emulator's server side starts
/// new chains).
/// </summary>
public sealed class StepRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public StepRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is BatchDispatcher.TelemetryName or "System.Net.Http" or "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Step(activity) is not null) _stopped.Enqueue(activity);
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private static Activity? Step(Activity activity)
    {
        for (var a = activity; a is not null; a = a.Parent)
        {
            if (a.Source.Name == BatchDispatcher.TelemetryName) return a;
        }
        return null;
    }

    public IEnumerable<string> Describe(DateTimeOffset startedAt)
    {
        var all = _stopped.ToList();
        var steps = all.Where(a => a.Source.Name == BatchDispatcher.TelemetryName).OrderBy(a => a.StartTimeUtc).ToList();
        foreach (var group in steps.GroupBy(s => s.DisplayName))
        {
            var list = group.ToList();
            var children = all.Where(a => a.Source.Name != BatchDispatcher.TelemetryName && list.Contains(Step(a)!)).ToList();
            var http = children.Where(c => c.Source.Name == "System.Net.Http").ToList();
            var sql = children.Where(c => c.Source.Name == "Npgsql").ToList();
            var first = list[0].StartTimeUtc;
            var last = list.Max(s => s.StartTimeUtc + s.Duration);
            yield return $"step \"{group.Key}\" ×{list.Count}: {(new DateTimeOffset(first) - startedAt).TotalSeconds:F2} → " +
                         $"{(new DateTimeOffset(last) - startedAt).TotalSeconds:F2} s, busy {list.Sum(s => s.Duration.TotalSeconds):F2} s " +
                         $"(HTTP ×{http.Count} {http.Sum(h => h.Duration.TotalSeconds):F2} s, PostgreSQL ×{sql.Count} {sql.Sum(h => h.Duration.TotalSeconds):F2} s)";
        }
    }

    public void Dispose() => _listener.Dispose();
}
