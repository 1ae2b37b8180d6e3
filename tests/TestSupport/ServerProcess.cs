using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OneClickSuite.Testing;

/// <summary>
/// A server started from one of the sandbox scripts (the same scripts the AppHost runs), owned by the test process.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly string _script;
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;

    public ServerProcess(string script, Dictionary<string, string> environment)
    {
        _script = script;
        _environment = environment;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public void Start()
    {
        EnsurePrerequisites();
        var info = new ProcessStartInfo("bash", [_script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in _environment) info.Environment[key] = value;
        // The script stops the server by itself when this test process is gone, even after a crash.
        info.Environment["OWNER_PID"] = Environment.ProcessId.ToString();
        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {_script}");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process is null || _process.HasExited;

    /// <summary>The script's own process id (its server runs as a child of it).</summary>
    public int? Id => _process?.Id;

    /// <summary>Asks the server to stop (SIGTERM, as the orchestrator does) and waits for it.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process is null || _process.HasExited) return;
        Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { Kill(); }
    }

    public void Kill()
    {
        try { if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(20));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static readonly object InstallLock = new();

    private static void EnsurePrerequisites()
    {
        lock (InstallLock)
        {
            var install = Process.Start("bash", [Repository.SandboxScript("install-prereqs.sh")])!;
            install.WaitForExit();
            if (install.ExitCode != 0) throw new InvalidOperationException("install-prereqs.sh failed: PostgreSQL and RabbitMQ are needed");
        }
    }
}
