using System.Diagnostics;
using OneClickSuite.Benchmarks.Emulators;
using OneClickSuite.Testing;

// Raw throughput of each emulator's hottest call: the yardstick the adapters are measured against.
// Usage: dotnet run -c Release --project tests/Benchmarks/EmulatorBench -- [--seconds 10] [--clients 16] [--warmup 2] [--only fineract,odk,ihris]
var options = ParseArguments(args);
if (options is null) return 1;
var (settings, only) = options.Value;
var runs = new (string Name, int Measurements, Func<string, LoadSettings, List<string>, Task<IReadOnlyList<Measurement>>> Run)[]
{
    ("fineract", 2, FineractBench.RunAsync),
    ("odk", 3, OdkBench.RunAsync),
    ("ihris", 1, IhrisBench.RunAsync),
};
var selected = runs.Where(r => only.Count == 0 || only.Contains(r.Name)).ToList();

// Stops by itself even if an emulator or the database hangs: the measurements plus a generous allowance for set-up.
var budget = (settings.Warmup + settings.Duration) * selected.Sum(r => r.Measurements) + TimeSpan.FromSeconds(120);
_ = Task.Delay(budget).ContinueWith(_ =>
{
    Console.Error.WriteLine($"The benchmark did not finish within {budget.TotalSeconds:F0} s; stopping.");
    Environment.Exit(2);
}, TaskScheduler.Default);

var startedAt = DateTimeOffset.UtcNow;
var clock = Stopwatch.StartNew();
var loadAtStart = Report.LoadAverage();
Console.WriteLine($"Emulator benchmark: {settings.Clients} clients, {settings.Warmup.TotalSeconds:F0} s warm-up + " +
                  $"{settings.Duration.TotalSeconds:F0} s per measurement, {Environment.ProcessorCount} cores, load average {loadAtStart?.ToString("F1") ?? "unknown"}.");
var postgres = await PostgresServer.StartSharedAsync();
var results = new List<Measurement>();
var notes = new List<string>();
foreach (var (name, _, run) in selected)
{
    var setUp = clock.Elapsed;
    Console.WriteLine($"{name}: running…");
    try
    {
        var connectionString = await postgres.CreateDatabaseAsync($"bench_{name}");
        results.AddRange(await run(connectionString, settings, notes));
        Console.WriteLine($"{name}: done in {(clock.Elapsed - setUp).TotalSeconds:F1} s");
    }
    catch (Exception ex)
    {
        // One emulator failing to start or set up must not hide the others' numbers, nor skip the clean exit
        // that stops the PostgreSQL server.
        Console.Error.WriteLine($"{name}: failed: {ex}");
        notes.Add($"{name}: the run failed: {ex.GetType().Name}: {ex.Message}");
    }
}

var loadAtEnd = Report.LoadAverage();
Console.WriteLine();
Console.Write(Report.Table(results));
if (loadAtStart > Environment.ProcessorCount || loadAtEnd > Environment.ProcessorCount)
{
    Console.WriteLine($"note: load average {loadAtStart:F1} at start, {loadAtEnd:F1} at end on {Environment.ProcessorCount} cores: " +
                      "other processes shared the CPU, so these numbers are lower than on a quiet machine.");
}
foreach (var note in notes) Console.WriteLine($"note: {note}");
var path = await Report.WriteJsonAsync(Repository.Root, settings, startedAt, loadAtStart, loadAtEnd, results, notes);
Console.WriteLine($"Written to {Path.GetRelativePath(Repository.Root, path)} after {clock.Elapsed.TotalSeconds:F0} s.");
// Errors under load are findings about the emulators, reported above; the run itself succeeded.
return 0;

static (LoadSettings Settings, HashSet<string> Only)? ParseArguments(string[] args)
{
    int seconds = 10, clients = 16, warmup = 2;
    var only = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
    for (var i = 0; i < args.Length; i++)
    {
        var value = i + 1 < args.Length ? args[i + 1] : null;
        var ok = args[i] switch
        {
            "--seconds" => int.TryParse(value, out seconds) && seconds > 0,
            "--clients" => int.TryParse(value, out clients) && clients > 0,
            "--warmup" => int.TryParse(value, out warmup) && warmup >= 0,
            "--only" => AddNames(only, value),
            _ => false,
        };
        if (!ok)
        {
            Console.Error.WriteLine("usage: EmulatorBench [--seconds 10] [--clients 16] [--warmup 2] [--only fineract,odk,ihris]");
            return null;
        }
        i++;
    }
    return (new LoadSettings(clients, TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(seconds)), only);
}

static bool AddNames(HashSet<string> names, string? list)
{
    if (string.IsNullOrWhiteSpace(list)) return false;
    names.UnionWith(list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
    return true;
}
