using System.Diagnostics;
using OneClickSuite.Testing;

namespace OneClickSuite.Benchmarks.Roster;

/// <summary>
/// One adapter in its own process, started from its build output the way Aspire starts it (settings as environment
/// variables), so that its memory and CPU can be measured apart from the emulators and from the other adapters.
/// </summary>
public sealed class AdapterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private long _peakBytes;

    private AdapterProcess(string name, Process process, string url)
    {
        Name = name;
        _process = process;
        Url = url;
    }

    public string Name { get; }

    public string Url { get; }

    public double PeakWorkingSetMiB => _peakBytes / 1024d / 1024d;

    /// <summary>Resident memory once the adapter answered /alive, before it had any work: its floor.</summary>
    public double StartWorkingSetMiB { get; private set; }

    public double CpuSeconds { get; private set; }

    /// <summary>Starts adapters/<paramref name="name"/> (built in this benchmark's configuration) and waits until it answers /alive.</summary>
    public static async Task<AdapterProcess> StartAsync(string name, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var dll = Path.Combine(Repository.Root, "adapters", "Upstream", name, "bin", Configuration, "net10.0", $"OneClickSuite.{name}.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: build the benchmark first (it builds the adapters it references)", dll);
        }
        var url = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["ASPNETCORE_URLS"] = url;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dll}");
        // Its warnings and errors go to this console, prefixed, so a failing adapter is visible.
        process.OutputDataReceived += (_, e) => { if (!string.IsNullOrEmpty(e.Data)) Console.WriteLine($"    [{name}] {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (!string.IsNullOrEmpty(e.Data)) Console.WriteLine($"    [{name}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var adapter = new AdapterProcess(name, process, url);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with code {process.ExitCode} while starting");
            }
            try
            {
                using var alive = await http.GetAsync(url + "/alive", ct);
                if (alive.IsSuccessStatusCode)
                {
                    process.Refresh();
                    adapter.StartWorkingSetMiB = process.WorkingSet64 / 1024d / 1024d;
                    return adapter;
                }
            }
            catch (HttpRequestException)
            {
            }
            if (waited.Elapsed > TimeSpan.FromMinutes(2))
            {
                await adapter.DisposeAsync();
                throw new TimeoutException($"{name} did not answer {url}/alive within 2 minutes");
            }
            await Task.Delay(250, ct);
        }
    }

    /// <summary>Reads the process's peak resident memory (VmHWM) and CPU time so far.</summary>
    public void Sample()
    {
        if (_process.HasExited) return;
        try
        {
            _process.Refresh();
            _peakBytes = Math.Max(_peakBytes, _process.PeakWorkingSet64);
            CpuSeconds = _process.TotalProcessorTime.TotalSeconds;
        }
        catch (InvalidOperationException)
        {
            // exited between the check and the read
        }
    }

    public async ValueTask DisposeAsync()
    {
        Sample();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif
}
