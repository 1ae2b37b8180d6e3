using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace OneClickSuite.Testing;

/// <summary>
/// One emulator in this process behind a real Kestrel socket on 127.0.0.1, so the benchmark pays for HTTP parsing,
/// sockets and connection handling like a separate client would (the in-memory TestServer would not).
/// </summary>
public sealed class EmulatorHost<TEntryPoint> : WebApplicationFactory<TEntryPoint> where TEntryPoint : class
{
    private readonly IReadOnlyDictionary<string, string> _settings;

    private EmulatorHost(IReadOnlyDictionary<string, string> settings, int port)
    {
        _settings = settings;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
    }

    public Uri BaseAddress { get; }

    /// <summary>The origin without a trailing slash, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Origin => BaseAddress.GetLeftPart(UriPartial.Authority);

    /// <summary>
    /// Starts the emulator with the given configuration. <paramref name="configure"/> gets the origin first, for
    /// emulators that must know their public URL (ODK Central builds OData links from it).
    /// </summary>
    public static EmulatorHost<TEntryPoint> Start(Func<Uri, IReadOnlyDictionary<string, string>> configure) =>
        Start(configure, ServerProcess.FreePort());

    /// <summary>Starts it on a given port: a service replaced in a test keeps the address others were given.</summary>
    public static EmulatorHost<TEntryPoint> Start(Func<Uri, IReadOnlyDictionary<string, string>> configure, int port)
    {
        var host = new EmulatorHost<TEntryPoint>(configure(new Uri($"http://127.0.0.1:{port}")), port);
        host.StartServer();
        return host;
    }

    /// <summary>A client for <paramref name="connections"/> concurrent callers, keeping its connections open.</summary>
    public HttpClient NewClient(int connections) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            AllowAutoRedirect = false,
        })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // The factory looks for its manifest in the working directory, which is the repository under `dotnet run`.
        builder.UseContentRoot(ContentRoot());
        // Request logging would cost more than some of the calls measured; warnings and errors still show.
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

    /// <summary>The emulator's project folder (for its appsettings.json), from the manifest the build writes beside us.</summary>
    private static string ContentRoot()
    {
        var manifest = Path.Combine(AppContext.BaseDirectory, "MvcTestingAppManifest.json");
        var roots = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(manifest))!;
        return roots[typeof(TEntryPoint).Assembly.FullName!];
    }
}
