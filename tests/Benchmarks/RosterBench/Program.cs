using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Benchmarks.Roster;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Clients.Ihris;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Testing;
using FineractEmulator = OneClickSuite.Emulators.Fineract.CommandGate;
using IhrisEmulator = OneClickSuite.Emulators.Ihris.Auth.AccessTokens;
using OdkEmulator = OneClickSuite.Emulators.OdkCentral.Infrastructure.ProblemMiddleware;

// Syncs a roster of N workers from the iHRIS emulator into the Fineract and ODK emulators through the real adapters
// (all in this process, on real PostgreSQL and RabbitMQ), compares with the emulators' raw throughput, then renames
// a few workers and measures how long Fineract and ODK take to show it.
var workers = Option("--workers", 10_000);
var changes = Option("--changes", 100);
var timeout = TimeSpan.FromMinutes(Option("--timeout", 20));
var rawSeconds = Option("--raw-seconds", 10);
// Extra environment for every adapter process (e.g. --adapter-env DOTNET_gcServer=0), for experiments.
var adapterEnvironment = args.Select((a, i) => (a, i)).Where(p => p.a == "--adapter-env" && p.i + 1 < args.Length)
    .Select(p => args[p.i + 1].Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
const int RawClients = 16;
const string Password = "Bench-password-1";
const string AdminEmail = "admin@bench.test";

using var budget = new CancellationTokenSource(timeout);
var ct = budget.Token;
var total = Stopwatch.StartNew();
var peak = new MemoryPeak();
Console.WriteLine($"roster sync benchmark: {workers:N0} workers, {changes:N0} changes, {Environment.ProcessorCount} cores, timeout {timeout.TotalMinutes:F0} min");

var pg = await PostgresServer.StartSharedAsync();
// Which statements cost PostgreSQL what (a restart of the benchmark's own server loads pg_stat_statements).
var statements = await StatementCosts.EnableAsync(pg);
var backends = new PostgresBackends(pg.ConnectionString);
var rabbitStart = RabbitMqServer.StartSharedAsync();
var fineractDb = await pg.CreateDatabaseAsync("bench_fineract");
var odkDb = await pg.CreateDatabaseAsync("bench_odk");
var hapiDb = await pg.CreateDatabaseAsync("bench_hapi");
var suiteDb = await pg.CreateDatabaseAsync("bench_suite");

var fineractHost = EmulatorHost<FineractEmulator>.Start(_ => new Dictionary<string, string>
{
    ["ConnectionStrings:fineract-default"] = Named(fineractDb, "fineract-emulator"),
    ["Fineract:SeedPassword"] = Password,
});
var odkHost = EmulatorHost<OdkEmulator>.Start(origin => new Dictionary<string, string>
{
    ["ConnectionStrings:odk-db"] = Named(odkDb, "odk-emulator"),
    ["Odk:AdminEmail"] = AdminEmail,
    ["Odk:AdminPassword"] = Password,
    ["Odk:PublicUrl"] = origin.GetLeftPart(UriPartial.Authority),
});
var ihrisHost = EmulatorHost<IhrisEmulator>.Start(_ => new Dictionary<string, string>
{
    ["ConnectionStrings:hapi-db"] = Named(hapiDb, "ihris-emulator"),
});
// In process the emulator serves its HAPI surface under /hapi/fhir (no second port).
var ihrisFhir = ihrisHost.Origin + "/hapi/fhir";

var fineract = new FineractClient(Http(fineractHost.Origin + "/fineract-provider/api/v1/"),
    Options.Create(new FineractOptions { BaseUrl = fineractHost.Origin, Password = Password }));
var odk = new OdkClient(Http(odkHost.Origin + "/v1/"),
    Options.Create(new OdkOptions { BaseUrl = odkHost.Origin, Email = AdminEmail, Password = Password }), new OdkSession());
var ihris = new IhrisClient(Http(ihrisFhir + "/"), Options.Create(new IhrisOptions { FhirUrl = ihrisFhir }));

// What Bootstrap does for the roster: the salary product, the ODK project with its entity list, the facilities.
var productId = await fineract.CreateSavingsProductAsync("Staff salary account", "STAF", "USD", ct: ct);
var project = await odk.CreateProjectAsync("OneClickSuite", ct);
string[] properties = ["worker_id", "employee_number", "facility", "cadre", "phone"];
foreach (var dataset in new[] { "health_workers", "raw_bench" })
{
    await odk.CreateDatasetAsync(project.Id, dataset, ct: ct);
    foreach (var property in properties) await odk.AddDatasetPropertyAsync(project.Id, dataset, property, ct);
}
await Roster.PutFacilitiesAsync(ihris, ct);

var clock = Stopwatch.StartNew();
var all = Enumerable.Range(1, workers).ToList();
await Roster.PutAsync(ihris, all, renamed: false, parallel: 4, ct);
Console.WriteLine($"iHRIS load: {workers:N0} practitioners + roles + salaries in {clock.Elapsed.TotalSeconds:F1} s " +
                  $"({workers / clock.Elapsed.TotalSeconds:N0} workers/s, bundles of ~500 entries, 4 in parallel)");

// Raw emulator throughput right before the sync, one emulator at a time, with the calls the adapters make.
var rawFineractCost = await CostOf(async () => await RawRate(rawSeconds, RawClients, async (client, n) =>
{
    await fineract.CreateClientAsync(new NewFineractClient
    {
        Firstname = "Raw", Lastname = $"Client{client}-{n}", ExternalId = $"raw-{client}-{n}", MobileNo = $"+2568{client:D2}{n:D6}",
        ActivationDate = DateOnly.FromDateTime(DateTime.UtcNow), SavingsProductId = productId,
    }, ct: ct);
    return 1;
}, ct));
var rawFineract = rawFineractCost.Rate;
Console.WriteLine($"raw Fineract: {rawFineract:N0} clients (with savingsProductId) created/s, {RawClients} clients, {rawSeconds} s");
const int RawBulk = 500;
var rawOdkCost = await CostOf(async () => await RawRate(rawSeconds, RawClients, async (_, _) =>
{
    var entities = Enumerable.Range(0, RawBulk).Select(k => new OdkNewEntity(Guid.NewGuid().ToString(), $"Raw {k}",
        new Dictionary<string, string> { ["worker_id"] = $"raw-{k}", ["employee_number"] = "EMP-0", ["facility"] = "Kawempe HC IV", ["cadre"] = "Nurse", ["phone"] = "+256700000000" })).ToList();
    await odk.CreateEntitiesAsync(project.Id, "raw_bench", entities, "raw.csv", ct);
    return RawBulk;
}, ct));
var rawOdk = rawOdkCost.Rate;
Console.WriteLine($"raw ODK: {rawOdk:N0} entities created/s (bulk of {RawBulk}, the adapter's batch size), {RawClients} clients, {rawSeconds} s");
// The raw phase filled the emulators' tables faster than autovacuum analyses them; fresh statistics keep the
// progress queries below on their indexes instead of scanning (they cost a quarter of a core otherwise).
foreach (var db in new[] { fineractDb, odkDb })
{
    await using var connection = new NpgsqlConnection(db);
    await connection.OpenAsync(ct);
    await using var analyze = new NpgsqlCommand("ANALYZE", connection);
    await analyze.ExecuteNonQueryAsync(ct);
}

var rabbit = await rabbitStart;
Dictionary<string, string> AdapterSettings(string section, string baseUrl) => new(adapterEnvironment)
{
    ["ConnectionStrings:suite-db"] = Named(suiteDb, $"{section.ToLowerInvariant()}-adapter"),
    ["ConnectionStrings:rabbitmq"] = rabbit.ConnectionString,
    // The services verify who acts on their endpoints; the benchmark calls none, but they refuse to start without a key.
    [Microsoft.Extensions.Hosting.SuiteIdentity.SigningKeySetting] = TestIdentity.SigningKey,
    [$"{section}:BaseUrl"] = baseUrl,
    ["Ihris:FhirUrl"] = ihrisFhir,
    [$"{section}:Username"] = "mifos",
    [$"{section}:Email"] = AdminEmail,
    [$"{section}:Password"] = Password,
    ["Ihris:PollInterval"] = "00:00:01",
    // The activity form is not published here (only the roster is measured), so its poll's 404 is expected.
    ["Logging:LogLevel:OneClickSuite.OdkAdapter.Activities"] = "Error",
    ["Logging:LogLevel:OneClickSuite.OdkAdapter.Statements"] = "Error",
    // The iHRIS adapter only publishes; Wolverine warns that it found no handlers.
    ["Logging:LogLevel:Wolverine.Configuration.HandlerDiscovery"] = "Error",
    // One line per roster sync that published something: how many workers it read, full or changes only.
    ["Logging:LogLevel:OneClickSuite.IhrisAdapter.Roster.RosterSync"] = "Information",
};

var progress = new Progress(Named(fineractDb, "bench"), Named(odkDb, "bench"));
var exitCode = 0;
// Each adapter in its own process, as Aspire runs them, so its memory and CPU are its own; the emulators stay here.
await using var fineractAdapter = await AdapterProcess.StartAsync("FineractAdapter", AdapterSettings("Fineract", fineractHost.Origin), ct);
await using var odkAdapter = await AdapterProcess.StartAsync("OdkAdapter", AdapterSettings("Odk", odkHost.Origin), ct);
clock.Restart();
var syncStart = DateTime.UtcNow;
// The iHRIS adapter last: its first poll starts the sync, so the clock starts with it.
await using var ihrisAdapter = await AdapterProcess.StartAsync("IhrisAdapter", AdapterSettings("Ihris", ihrisHost.Origin), ct);
AdapterProcess[] adapters = [ihrisAdapter, fineractAdapter, odkAdapter];
void SampleAll()
{
    peak.Sample();
    foreach (var adapter in adapters) adapter.Sample();
}
SampleAll();
var cpuAtStart = adapters.Select(a => a.CpuSeconds).Append(peak.CpuSeconds).ToArray();
var machineAtStart = MachineCpu.Read();
var postgresAtStart = OwnServers.CpuSeconds("postgres");
var rabbitAtStart = OwnServers.CpuSeconds("beam.smp");
await backends.StartAsync(ct);
if (statements) await StatementCosts.ResetAsync(pg.ConnectionString);
try
{
    TimeSpan? fineractDone = null, odkDone = null;
    var lastReport = TimeSpan.Zero;
    while (fineractDone is null || odkDone is null)
    {
        await Task.Delay(1000, ct);
        SampleAll();
        await backends.SampleAsync(ct);
        var (enrolled, entities) = await progress.SyncedAsync(ct);
        if (enrolled >= workers) fineractDone ??= clock.Elapsed;
        if (entities >= workers) odkDone ??= clock.Elapsed;
        if (clock.Elapsed - lastReport >= TimeSpan.FromSeconds(15))
        {
            lastReport = clock.Elapsed;
            Console.WriteLine($"  {clock.Elapsed.TotalSeconds,6:F0} s: Fineract {enrolled:N0}, ODK {entities:N0}");
        }
    }
    SampleAll();
    await backends.SampleAsync(ct);
    var converged = Max(fineractDone.Value, odkDone.Value);
    var fineractRate = workers / fineractDone.Value.TotalSeconds;
    var odkRate = workers / odkDone.Value.TotalSeconds;
    Console.WriteLine($"converged: {workers:N0} workers in {converged.TotalSeconds:F1} s = {workers / converged.TotalSeconds:N0} workers/s end to end");
    Console.WriteLine($"  Fineract: all enrolled (client + active account) after {fineractDone.Value.TotalSeconds:F1} s = {fineractRate:N0}/s, " +
                      $"ratio to raw {fineractRate / rawFineract:F3}");
    Console.WriteLine($"  ODK: all entities after {odkDone.Value.TotalSeconds:F1} s = {odkRate:N0}/s, ratio to raw {odkRate / rawOdk:F3}");
    Console.WriteLine($"  stages: {await Progress.StagesAsync(suiteDb, null, syncStart, ct)}");
    var (busy, idle) = MachineCpu.Read() - machineAtStart;
    var postgres = OwnServers.CpuSeconds("postgres") - postgresAtStart;
    var rabbitCpu = OwnServers.CpuSeconds("beam.smp") - rabbitAtStart;
    var known = adapters.Select((a, i) => a.CpuSeconds - cpuAtStart[i]).Sum() + peak.CpuSeconds - cpuAtStart[^1] + postgres + rabbitCpu;
    var pgByClient = backends.ByClient();
    var emulatorsCpu = peak.CpuSeconds - cpuAtStart[^1];
    var rows = new List<(string What, double CoreSeconds)>();
    rows.AddRange(adapters.Select((a, i) => ($"{a.Name} (process)", a.CpuSeconds - cpuAtStart[i])));
    rows.Add(("emulators + benchmark (one process)", emulatorsCpu));
    foreach (var client in new[] { "ihris-adapter", "fineract-adapter", "odk-adapter", "ihris-emulator", "fineract-emulator", "odk-emulator", "bench" })
    {
        rows.Add(($"PostgreSQL for {client}", pgByClient.GetValueOrDefault(client)));
    }
    var pgNamed = rows.Where(r => r.What.StartsWith("PostgreSQL", StringComparison.Ordinal)).Sum(r => r.CoreSeconds);
    var pgBackground = pgByClient.Where(c => !rows.Any(r => r.What == $"PostgreSQL for {c.Key}")).Sum(c => c.Value);
    rows.Add(("PostgreSQL background (autovacuum, checkpoints, WAL)", pgBackground));
    rows.Add(("PostgreSQL unattributed (backends that ended)", Math.Max(0, postgres - pgNamed - pgBackground)));
    rows.Add(("RabbitMQ", rabbitCpu));
    rows.Add(("other processes on the machine", busy - known));
    var syncSeconds = converged.TotalSeconds;
    Console.WriteLine($"  CPU during the sync ({syncSeconds:F0} s, {Environment.ProcessorCount} cores = {syncSeconds * Environment.ProcessorCount:F0} core-seconds; idle {idle:F0}):");
    Console.WriteLine($"    {"",-52} {"core-s",8} {"core-ms/worker",15}");
    foreach (var (what, coreSeconds) in rows)
    {
        Console.WriteLine($"    {what,-52} {coreSeconds,8:F1} {coreSeconds * 1000 / workers,15:F2}");
    }
    var suiteCost = rows.Where(r => r.What.Contains("adapter", StringComparison.OrdinalIgnoreCase)).Sum(r => r.CoreSeconds);
    Console.WriteLine($"    {"the adapters with their PostgreSQL",-52} {suiteCost,8:F1} {suiteCost * 1000 / workers,15:F2}");
    Console.WriteLine($"    {"the emulators with their PostgreSQL",-52} {emulatorsCpu + pgByClient.GetValueOrDefault("ihris-emulator") + pgByClient.GetValueOrDefault("fineract-emulator") + pgByClient.GetValueOrDefault("odk-emulator"),8:F1} " +
                      $"{(emulatorsCpu + pgByClient.GetValueOrDefault("ihris-emulator") + pgByClient.GetValueOrDefault("fineract-emulator") + pgByClient.GetValueOrDefault("odk-emulator")) * 1000 / workers,15:F2}");
    // The sync cannot beat the machine: at these costs per worker, its cores allow at most this share of the raw rate.
    var syncCost = rows.Where(r => !r.What.StartsWith("other", StringComparison.Ordinal)).Sum(r => r.CoreSeconds) * 1000 / workers;
    var rawCost = rawFineractCost.ProcessMs + rawFineractCost.PostgresMs("fineract-emulator");
    Console.WriteLine($"    everything of this benchmark: {syncCost:F2} core-ms per worker against {rawCost:F2} per raw Fineract client: " +
                      $"with the CPU alone deciding, the sync reaches at most {rawCost / syncCost:F2} of the raw rate");
    Console.WriteLine($"    raw phases, for comparison (emulator and its client in one process + the emulator's PostgreSQL): " +
                      $"Fineract {rawFineractCost.ProcessMs:F2} + {rawFineractCost.PostgresMs("fineract-emulator"):F2} core-ms per client; " +
                      $"ODK {rawOdkCost.ProcessMs:F2} + {rawOdkCost.PostgresMs("odk-emulator"):F2} core-ms per entity");
    if (statements)
    {
        Console.WriteLine("  PostgreSQL statements by execution time during the sync (pg_stat_statements; time is wall time inside PostgreSQL):");
        foreach (var line in await StatementCosts.TopAsync(pg.ConnectionString, workers, 20, ct)) Console.WriteLine("    " + line);
    }

    // Incremental change: rename some workers in iHRIS, wait until both systems show the new names.
    var renamed = Enumerable.Range(1, Math.Min(changes, workers)).Select(k => k * (workers / Math.Min(changes, workers))).ToList();
    clock.Restart();
    var renameStart = DateTime.UtcNow;
    await Roster.PutAsync(ihris, renamed, renamed: true, parallel: 1, ct);
    var written = clock.Elapsed;
    TimeSpan? fineractRenamed = null, odkRenamed = null;
    while (fineractRenamed is null || odkRenamed is null)
    {
        await Task.Delay(200, ct);
        var (clients, labels) = await progress.RenamedAsync(renamed.Select(Roster.WorkerId).ToArray(), ct);
        if (clients >= renamed.Count) fineractRenamed ??= clock.Elapsed;
        if (labels >= renamed.Count) odkRenamed ??= clock.Elapsed;
    }
    SampleAll();
    Console.WriteLine($"incremental: {renamed.Count} renames written to iHRIS in {written.TotalSeconds:F2} s; visible in Fineract after " +
                      $"{fineractRenamed.Value.TotalSeconds:F1} s, in ODK after {odkRenamed.Value.TotalSeconds:F1} s (poll interval 1 s)");
    Console.WriteLine($"  stages: {await Progress.StagesAsync(suiteDb, renamed.Select(Roster.WorkerId).ToArray(), renameStart, ct)}");

    // What each adapter costs with nothing to do (its polls, Wolverine's durability agent, health checks): the part of
    // its CPU in the sync that does not depend on the number of workers.
    SampleAll();
    var idleBefore = adapters.Select(a => a.CpuSeconds).ToArray();
    var idleClock = Stopwatch.StartNew();
    await Task.Delay(TimeSpan.FromSeconds(10), ct);
    SampleAll();
    Console.WriteLine("idle, nothing to sync (10 s): " + string.Join(", ", adapters.Select((a, i) =>
    {
        var perSecond = (a.CpuSeconds - idleBefore[i]) / idleClock.Elapsed.TotalSeconds;
        return $"{a.Name} {perSecond * 1000:F0} core-ms/s (over the sync: {perSecond * converged.TotalSeconds * 1000 / workers:F2} core-ms/worker)";
    })));
}
catch (OperationCanceledException) when (budget.IsCancellationRequested)
{
    var (enrolled, entities) = await progress.SyncedAsync(CancellationToken.None);
    Console.WriteLine($"TIMEOUT after {total.Elapsed.TotalMinutes:F1} min: {clock.Elapsed.TotalSeconds:F0} s into the current phase; " +
                      $"Fineract {enrolled:N0}/{workers:N0}, ODK {entities:N0}/{workers:N0}");
    exitCode = 2;
}
SampleAll();
Console.WriteLine("memory (peak resident set): " + string.Join(", ", adapters.Select(a => $"{a.Name} {a.PeakWorkingSetMiB:N0} MiB (at start {a.StartWorkingSetMiB:N0})")) +
                  $"; the three emulators and the benchmark in one process {peak.WorkingSetMiB:N0} MiB");
Console.WriteLine($"total run time {total.Elapsed.TotalSeconds:F0} s");
return exitCode;

// What a phase cost per item: this process's CPU and each PostgreSQL client's, sampled every second meanwhile.
async Task<PhaseCost> CostOf(Func<Task<double>> phase)
{
    await backends.StartAsync(ct);
    using var self = Process.GetCurrentProcess();
    var before = self.TotalProcessorTime;
    var window = Stopwatch.StartNew();
    var run = phase();
    while (await Task.WhenAny(run, Task.Delay(1000, ct)) != run) await backends.SampleAsync(ct);
    var rate = await run;
    await backends.SampleAsync(ct);
    self.Refresh();
    var items = rate * window.Elapsed.TotalSeconds;
    return new PhaseCost(rate, (self.TotalProcessorTime - before).TotalMilliseconds / items,
        backends.ByClient().ToDictionary(c => c.Key, c => c.Value * 1000 / items));
}

static string Named(string connectionString, string application) =>
    new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = application }.ConnectionString;

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out var value) ? value : fallback;
}

static HttpClient Http(string baseAddress) =>
    new(new SocketsHttpHandler { MaxConnectionsPerServer = 32, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    {
        BaseAddress = new Uri(baseAddress),
        Timeout = TimeSpan.FromSeconds(100),
    };

static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

// Closed loop: every client sends its next call when the previous one is answered; items per second over the window.
static async Task<double> RawRate(int seconds, int clients, Func<int, int, Task<int>> call, CancellationToken ct)
{
    var window = Stopwatch.StartNew();
    var counts = await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
    {
        long items = 0;
        for (var n = 0; window.Elapsed.TotalSeconds < seconds; n++) items += await call(client, n);
        return items;
    }, ct)));
    return counts.Sum() / window.Elapsed.TotalSeconds;
}

/// <summary>
/// Reads progress from the emulators' own tables (independent of their APIs). Kept cheap: the health_workers list
/// holds only the benchmark's workers (the raw phase writes to its own list), so counting it uses the dataset index.
/// </summary>
internal sealed class Progress(string fineractDb, string odkDb)
{
    public async Task<(long Enrolled, long Entities)> SyncedAsync(CancellationToken ct) => (
        await ScalarAsync(fineractDb, """
            SELECT count(DISTINCT c.id) FROM m_client c JOIN m_savings_account s ON s.client_id = c.id
            WHERE c.external_id LIKE 'bw-%' AND s.status_enum = 300
            """, null, ct),
        await ScalarAsync(odkDb, """
            SELECT count(*) FROM odk.entities WHERE dataset_id = $1 AND deleted_at IS NULL
            """, await HealthWorkersAsync(ct), ct));

    public async Task<(long Clients, long Entities)> RenamedAsync(string[] workerIds, CancellationToken ct) => (
        await ScalarAsync(fineractDb, "SELECT count(*) FROM m_client WHERE external_id = ANY($1) AND firstname LIKE 'Renamed%'", workerIds, ct),
        await ScalarAsync(odkDb, """
            SELECT count(*) FROM odk.entities WHERE dataset_id = $1 AND deleted_at IS NULL
              AND data->>'worker_id' = ANY($2) AND label LIKE 'Renamed%'
            """, await HealthWorkersAsync(ct), ct, workerIds));

    private int? _healthWorkers;

    /// <summary>The list's id as a plain value: with a sub-select the planner cannot see how few rows match and scans.</summary>
    private async Task<int> HealthWorkersAsync(CancellationToken ct) =>
        _healthWorkers ??= (int)await ScalarAsync(odkDb, "SELECT id FROM odk.datasets WHERE name = 'health_workers'", null, ct);

    /// <summary>
    /// When each stage last touched the workers (from the adapters' own tables), in seconds after <paramref name="start"/>:
    /// shows which stage holds the flow up.
    /// </summary>
    public static async Task<string> StagesAsync(string suiteDb, string[]? workerIds, DateTime start, CancellationToken ct)
    {
        var filter = workerIds is null ? "worker_id LIKE 'bw-%'" : "worker_id = ANY($2)";
        await using var connection = new NpgsqlConnection(suiteDb);
        await connection.OpenAsync(ct);
        var stages = new List<string>();
        foreach (var (stage, table) in new[] { ("published by the iHRIS adapter", "ihris_adapter.roster_workers"),
                     ("applied by the Fineract adapter", "fineract_adapter.worker_accounts"), ("written by the ODK adapter", "odk_adapter.roster_entities") })
        {
            await using var command = new NpgsqlCommand($"""
                SELECT EXTRACT(EPOCH FROM min(updated_at) - $1)::float8, EXTRACT(EPOCH FROM max(updated_at) - $1)::float8
                FROM {table} WHERE {filter}
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = start, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            if (workerIds is not null) command.Parameters.Add(new NpgsqlParameter { Value = workerIds });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            stages.Add(reader.IsDBNull(0) ? $"{stage}: none" : $"{stage}: first +{reader.GetDouble(0):F1} s, last +{reader.GetDouble(1):F1} s");
        }
        return string.Join("; ", stages);
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql, object? first, CancellationToken ct, object? second = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in new[] { first, second }.Where(v => v is not null)) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }
}

/// <summary>The machine's busy and idle CPU time since boot, in core-seconds (from /proc/stat).</summary>
internal readonly record struct MachineCpu(double Busy, double Idle)
{
    public static MachineCpu Read()
    {
        // cpu  user nice system idle iowait irq softirq steal ... (in USER_HZ, 100 per second)
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(double.Parse).ToArray();
        var idle = fields[3] + fields[4];
        return new MachineCpu((fields.Take(8).Sum() - idle) / 100, idle / 100);
    }

    public static MachineCpu operator -(MachineCpu a, MachineCpu b) => new(a.Busy - b.Busy, a.Idle - b.Idle);
}

/// <summary>Peak working set and CPU time of this process (emulators and benchmark), sampled while the sync runs.</summary>
internal sealed class MemoryPeak
{
    public double WorkingSetMiB { get; private set; }
    public double CpuSeconds { get; private set; }

    public void Sample()
    {
        using var self = Process.GetCurrentProcess();
        WorkingSetMiB = self.PeakWorkingSet64 / 1024d / 1024d;
        CpuSeconds = self.TotalProcessorTime.TotalSeconds;
    }
}

/// <summary>A phase's rate and its CPU per item: this process, and PostgreSQL per client.</summary>
internal sealed record PhaseCost(double Rate, double ProcessMs, Dictionary<string, double> PostgresMsByClient)
{
    public double PostgresMs(string client) => PostgresMsByClient.GetValueOrDefault(client);
}
