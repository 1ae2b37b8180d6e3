using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Benchmarks.Wallets;
using OneClickSuite.Clients.MobileMoney;
using OneClickSuite.Testing;
using ProviderOptions = OneClickSuite.Emulators.MobileMoney.ProviderOptions;

// The mobile money rail at N payouts (default 100,000; first argument): the emulator's raw rate for one batch of N
// driven through the suite's typed client, then the adapter paying N queued payouts as one batch against the same
// emulator, on real PostgreSQL and RabbitMQ, all in this process on real sockets. The goal: the adapter at ≥ 0.8 of
// the raw rate. Optionally (--end-to-end M) M requests published over RabbitMQ into the adapter. Writes
// artifacts/benchmarks/wallets.json; exits 1 when the adapter misses the goal or a payout is wrong.
var n = args.Length > 0 && int.TryParse(args[0], out var first) ? first : 100_000;
var endToEnd = Option("--end-to-end", 0);
var timeout = TimeSpan.FromMinutes(Option("--timeout", 20));
const string ApiKey = "wallet-bench-api-key";
const string ProgrammeWallet = "+256700000001";
const string BasePath = "/gsma/v1.2/mm";

using var budget = new CancellationTokenSource(timeout);
var ct = budget.Token;
Console.WriteLine($"wallet rail benchmark: {n:N0} payouts, {Environment.ProcessorCount} cores" +
                  (endToEnd > 0 ? $", end to end {endToEnd:N0}" : ""));

// 1. Setup: PostgreSQL, RabbitMQ, the provider emulator with the programme's float in USD, N worker wallets.
var pg = await PostgresServer.StartSharedAsync();
var rabbitStart = RabbitMqServer.StartSharedAsync();
var providerDb = await pg.CreateDatabaseAsync("wallet_bench_provider");
var suiteDb = await pg.CreateDatabaseAsync("wallet_bench_suite");
await using var provider = EmulatorHost<ProviderOptions>.Start(_ => new Dictionary<string, string>
{
    ["ConnectionStrings:mobilemoney-default"] = Named(providerDb, "mobile-money-emulator"),
    ["MobileMoney:ApiKey"] = ApiKey,
    ["MobileMoney:DisbursementAccount:Msisdn"] = ProgrammeWallet,
    ["MobileMoney:DisbursementAccount:Currency"] = "USD",
    ["MobileMoney:DisbursementAccount:OpeningBalance"] = "100000000000",
    ["Logging:LogLevel:Default"] = "Warning",
});
var baseUrl = provider.Origin + BasePath;
var setup = Stopwatch.StartNew();
// Wallets are opened with set-based SQL straight into the emulator's own tables (mm_wallet and one mm_wallet_identifier
// row per way a party may name it, as Wallets.UpsertAsync writes them): the admin API opens one wallet per call,
// which would take minutes at 100,000 and measures nothing this benchmark is about.
await Exec(providerDb, """
    INSERT INTO mm_wallet (account_id, msisdn, name, first_name, last_name, currency, balance, status)
    SELECT '2568' || lpad(i::text, 8, '0'), '+2568' || lpad(i::text, 8, '0'), 'Worker ' || i, 'Worker', i::text, 'USD', 0, 'active'
    FROM generate_series(1, $1) AS i
    """, n + endToEnd);
await Exec(providerDb, """
    INSERT INTO mm_wallet_identifier (key, value, wallet_id)
    SELECT k, v, id FROM mm_wallet, LATERAL (VALUES ('accountid', account_id), ('walletid', account_id), ('msisdn', msisdn)) x(k, v)
    WHERE msisdn LIKE '+2568%'
    """);
await Exec(providerDb, "ANALYZE");
Console.WriteLine($"setup: {n + endToEnd:N0} wallets opened in {setup.Elapsed.TotalSeconds:F1} s");

// 2. Raw rate: the emulator alone, one batch of N through the typed client, every completion read back.
var client = new MobileMoneyClient(new HttpClient { BaseAddress = new Uri(baseUrl + "/"), Timeout = TimeSpan.FromMinutes(10) },
    Options.Create(new MobileMoneyOptions { BaseUrl = baseUrl, ApiKey = ApiKey }));
var raw = await Raw.RunAsync(client, n, ProgrammeWallet, ct);
Console.WriteLine($"raw: {n:N0} in {raw.Seconds:F2} s = {n / raw.Seconds:N0} payouts/s " +
                  $"(post {raw.Post:F2} s, parsed {raw.Parsed:F2} s, approved {raw.Approved:F2} s, completed {raw.Completed:F2} s, " +
                  $"paged {raw.Paged:F2} s; {raw.Completions:N0} completions, {raw.Rejections:N0} rejections)");

// 3. The adapter, same emulator, same N, one batch; payouts recorded as Payroll's requests leave them.
var rabbit = await rabbitStart;
var adapterRun = await AdapterRun.RunAsync(new AdapterRun.Setup(n, suiteDb, providerDb, baseUrl, ApiKey, ProgrammeWallet, rabbit), ct);
var ratio = (n / adapterRun.Seconds) / (n / raw.Seconds);
Console.WriteLine($"adapter: {n:N0} in {adapterRun.Seconds:F2} s = {n / adapterRun.Seconds:N0} payouts/s; ratio to raw {ratio:F2} (goal ≥ 0.80)");
foreach (var line in adapterRun.Breakdown) Console.WriteLine($"  {line}");
Console.WriteLine($"  outcomes: all {adapterRun.OutcomesPublished:N0} in RabbitMQ {adapterRun.OutcomesSeconds:F2} s after the start");
Console.WriteLine($"  correctness: {(adapterRun.Problems.Count == 0 ? "every payout completed exactly once, for its amount, to its wallet" : string.Join("; ", adapterRun.Problems))}");

// 4. End to end (optional): requests published over RabbitMQ into the adapter until every outcome is published.
EndToEnd.Result? e2e = null;
if (endToEnd > 0)
{
    e2e = await EndToEnd.RunAsync(adapterRun, endToEnd, n, ct);
    Console.WriteLine($"end to end: {endToEnd:N0} requests published in {e2e.PublishSeconds:F2} s; intake (all recorded) {e2e.IntakeSeconds:F2} s = " +
                      $"{endToEnd / e2e.IntakeSeconds:N0} requests/s; all outcomes published {e2e.Seconds:F2} s = {endToEnd / e2e.Seconds:N0} payouts/s");
    foreach (var line in e2e.Breakdown) Console.WriteLine($"  {line}");
    if (e2e.Problems.Count > 0) Console.WriteLine($"  problems: {string.Join("; ", e2e.Problems)}");
}
await adapterRun.DisposeAsync();

var artifact = new
{
    payouts = n,
    cores = Environment.ProcessorCount,
    measuredAt = DateTimeOffset.UtcNow,
    raw = new { seconds = raw.Seconds, rate = n / raw.Seconds, post = raw.Post, parsed = raw.Parsed, approved = raw.Approved, completed = raw.Completed, paged = raw.Paged },
    adapter = new
    {
        seconds = adapterRun.Seconds, rate = n / adapterRun.Seconds, ratio, goal = 0.8, breakdown = adapterRun.Breakdown,
        outcomesPublishedSeconds = adapterRun.OutcomesSeconds, problems = adapterRun.Problems,
    },
    endToEnd = e2e is null ? null : new
    {
        requests = endToEnd, publishSeconds = e2e.PublishSeconds, intakeSeconds = e2e.IntakeSeconds, intakeRate = endToEnd / e2e.IntakeSeconds,
        seconds = e2e.Seconds, rate = endToEnd / e2e.Seconds, breakdown = e2e.Breakdown, problems = e2e.Problems,
    },
};
var output = Path.Combine(Repository.Root, "artifacts", "benchmarks", "wallets.json");
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
await File.WriteAllTextAsync(output, JsonSerializer.Serialize(artifact, new JsonSerializerOptions { WriteIndented = true }), ct);
Console.WriteLine($"wrote {output}");
return ratio >= 0.8 && adapterRun.Problems.Count == 0 && (e2e?.Problems.Count ?? 0) == 0 ? 0 : 1;

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}

static string Named(string connectionString, string application) =>
    new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = application }.ConnectionString;

static async Task Exec(string connectionString, string sql, params object[] parameters)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
    foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
    await command.ExecuteNonQueryAsync();
}
