using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace OneClickSuite.Benchmarks.Roster;

/// <summary>
/// One emulator or adapter in this process. Emulators listen on a real Kestrel socket (the adapters call them over
/// HTTP like in production); adapters need no socket of their own.
/// </summary>
public sealed class SuiteHost<TEntryPoint> : WebApplicationFactory<TEntryPoint> where TEntryPoint : class
{
    private readonly IReadOnlyDictionary<string, string> _settings;

    private SuiteHost(IReadOnlyDictionary<string, string> settings, int? port)
    {
        _settings = settings;
        if (port is { } p)
        {
            BaseUrl = $"http://127.0.0.1:{p}";
            UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, p));
        }
    }

    public string BaseUrl { get; } = "";

    /// <summary>An emulator on 127.0.0.1; <paramref name="configure"/> gets the origin for emulators that must know it.</summary>
    public static SuiteHost<TEntryPoint> StartEmulator(Func<string, Dictionary<string, string>> configure)
    {
        var port = FreePort();
        var host = new SuiteHost<TEntryPoint>(configure($"http://127.0.0.1:{port}"), port);
        host.StartServer();
        return host;
    }

    /// <summary>An adapter, built at once so Wolverine provisions its queues before the first event.</summary>
    public static SuiteHost<TEntryPoint> StartAdapter(Dictionary<string, string> settings)
    {
        var host = new SuiteHost<TEntryPoint>(settings, null);
        _ = host.Services;
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Under `dotnet run` the working directory is the repository, not the output folder the factory expects.
        builder.UseContentRoot(ContentRoot());
        builder.UseEnvironment("Development");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning");
        builder.UseSetting("Logging:LogLevel:Wolverine", "Warning");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

    private static string ContentRoot()
    {
        var manifest = Path.Combine(AppContext.BaseDirectory, "MvcTestingAppManifest.json");
        var roots = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(manifest))!;
        return roots[typeof(TEntryPoint).Assembly.FullName!];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
