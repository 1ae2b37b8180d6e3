using System.Diagnostics;

namespace OneClickSuite.Benchmarks.Emulators;

/// <summary>What one call gave: success with the number of items it carried, or the failure as the client saw it.</summary>
public readonly record struct CallOutcome(bool Ok, int Items, int Status, string? Error)
{
    public static CallOutcome Success(int items) => new(true, items, 200, null);

    public static CallOutcome Failure(int status, string error) => new(false, 0, status, error);
}

/// <summary>One worker's next call; each worker keeps its own state (its account, its place in a paged feed).</summary>
public delegate Task<CallOutcome> Call();

public sealed record ErrorSample(int Status, string Body, int Count);

public sealed record Measurement(
    string Id, string Emulator, string Call, int Clients, double Seconds, int Requests, long Items,
    double RequestsPerSecond, double ItemsPerSecond, double P50Ms, double P95Ms, double P99Ms, double MaxMs,
    int Errors, IReadOnlyList<ErrorSample> ErrorSamples);

public sealed record LoadSettings(int Clients, TimeSpan Warmup, TimeSpan Duration);

/// <summary>
/// Closed-loop load: every client sends its next request as soon as the previous one is answered. Only calls that
/// start after the warm-up and finish inside the measurement window are counted.
/// </summary>
public static class LoadRun
{
    public static async Task<Measurement> RunAsync(string id, string emulator, string call, LoadSettings settings,
        Func<int, Call> callForClient)
    {
        var calls = Enumerable.Range(0, settings.Clients).Select(callForClient).ToArray();
        var windowStart = Stopwatch.GetTimestamp() + (long)(settings.Warmup.TotalSeconds * Stopwatch.Frequency);
        var windowEnd = windowStart + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);

        var perClient = await Task.WhenAll(calls.Select(c => Task.Run(() => ClientLoopAsync(c, windowStart, windowEnd))));

        var latencies = perClient.SelectMany(r => r.Latencies).Order().ToArray();
        var failures = perClient.SelectMany(r => r.Failures).ToList();
        var items = perClient.Sum(r => r.Items);
        var seconds = settings.Duration.TotalSeconds;
        var samples = failures
            .GroupBy(f => (f.Status, f.Error))
            .Select(g => new ErrorSample(g.Key.Status, g.Key.Error, g.Count()))
            .OrderByDescending(s => s.Count)
            .Take(5)
            .ToList();
        return new Measurement(id, emulator, call, settings.Clients, seconds, latencies.Length + failures.Count, items,
            (latencies.Length + failures.Count) / seconds, items / seconds,
            Percentile(latencies, 0.50), Percentile(latencies, 0.95), Percentile(latencies, 0.99),
            latencies.Length == 0 ? 0 : latencies[^1], failures.Count, samples);
    }

    private sealed record ClientResult(List<double> Latencies, List<(int Status, string Error)> Failures, long Items);

    private static async Task<ClientResult> ClientLoopAsync(Call call, long windowStart, long windowEnd)
    {
        var latencies = new List<double>(4096);
        var failures = new List<(int, string)>();
        long items = 0;
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            if (start >= windowEnd) break;
            CallOutcome outcome;
            try
            {
                outcome = await call();
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                outcome = CallOutcome.Failure(0, $"{ex.GetType().Name}: {ex.Message}");
            }
            var end = Stopwatch.GetTimestamp();
            if (start < windowStart || end > windowEnd) continue;
            if (outcome.Ok)
            {
                latencies.Add(Stopwatch.GetElapsedTime(start, end).TotalMilliseconds);
                items += outcome.Items;
            }
            else
            {
                failures.Add((outcome.Status, outcome.Error ?? ""));
            }
        }
        return new ClientResult(latencies, failures, items);
    }

    private static double Percentile(double[] sorted, double share) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(share * sorted.Length) - 1)];
}
