using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneClickSuite.Benchmarks.Emulators;

/// <summary>The yardstick as a plain table for people and as JSON for the adapters' benchmarks.</summary>
public static class Report
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Table(IReadOnlyList<Measurement> results)
    {
        string[] header = ["Emulator", "Call", "req/s", "items/s", "p50 ms", "p95 ms", "p99 ms", "errors"];
        var rows = results.Select(r => new[]
        {
            r.Emulator, r.Call, Number(r.RequestsPerSecond), Number(r.ItemsPerSecond),
            Number(r.P50Ms), Number(r.P95Ms), Number(r.P99Ms), $"{r.Errors}/{r.Requests}",
        }).ToList();
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(string[] cells) => text.AppendLine(string.Join("  ",
            cells.Select((c, i) => i < 2 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd());
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToArray());
        rows.ForEach(Line);
        foreach (var r in results.Where(r => r.Errors > 0))
        {
            text.AppendLine($"errors in {r.Id}:");
            foreach (var e in r.ErrorSamples) text.AppendLine($"  {e.Count} x status {e.Status}: {e.Body}");
        }
        return text.ToString();
    }

    /// <summary>
    /// Linux's one-minute load average, or null elsewhere. The machine is shared: a load well above the core count
    /// means other work took CPU from the emulators and PostgreSQL, and the numbers are low.
    /// </summary>
    public static double? LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    public static async Task<string> WriteJsonAsync(string repositoryRoot, LoadSettings settings, DateTimeOffset startedAt,
        double? loadAtStart, double? loadAtEnd, IReadOnlyList<Measurement> results, IReadOnlyList<string> notes)
    {
        var path = Path.Combine(repositoryRoot, "artifacts", "benchmarks", "emulators.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var document = new
        {
            benchmark = "emulators",
            startedAt,
            machine = new
            {
                processorCount = Environment.ProcessorCount,
                os = RuntimeInformation.OSDescription,
                runtime = RuntimeInformation.FrameworkDescription,
                loadAverageAtStart = loadAtStart,
                loadAverageAtEnd = loadAtEnd,
            },
            clients = settings.Clients,
            warmupSeconds = settings.Warmup.TotalSeconds,
            measureSeconds = settings.Duration.TotalSeconds,
            results = results.Select(r => new
            {
                r.Id, r.Emulator, r.Call, r.Clients, r.Seconds, r.Requests, r.Items,
                requestsPerSecond = Math.Round(r.RequestsPerSecond, 1),
                itemsPerSecond = Math.Round(r.ItemsPerSecond, 1),
                latencyMs = new { p50 = Math.Round(r.P50Ms, 2), p95 = Math.Round(r.P95Ms, 2), p99 = Math.Round(r.P99Ms, 2), max = Math.Round(r.MaxMs, 2) },
                r.Errors, r.ErrorSamples,
            }),
            notes,
        };
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(document, JsonOptions));
        return path;
    }

    private static string Number(double value) =>
        value.ToString(value >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
}
