using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OneClickSuite.Testing;

namespace OneClickSuite.Portal.Tests;

/// <summary>
/// The whole sandbox graph (PostgreSQL, RabbitMQ, the three emulators, bootstrap, the adapters, payroll and the portal),
/// started once for a test class, and Debian's Chromium driven by Playwright against the portal.
/// </summary>
public sealed class SandboxPortal : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), $"oneclick-portal-{Guid.NewGuid():N}");
    private readonly Dictionary<string, List<string>> _logs = [];
    private readonly CancellationTokenSource _stop = new();

    public DistributedApplication App { get; private set; } = null!;
    public string PortalUrl { get; private set; } = "";
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public Dictionary<string, string> Passwords { get; } = [];
    public TimeSpan StartedIn { get; private set; }

    /// <summary>Screenshots go to artifacts/screenshots at the repository root (ignored by git).</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(Repository.Root, "artifacts", "screenshots");

    public async ValueTask InitializeAsync()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--Suite:Mode=sandbox", $"--Suite:SandboxDataPath={_dataPath}", "--DcpPublisher:WaitForResourceCleanup=false"],
            (options, _) => options.DisableDashboard = true);
        App = await builder.BuildAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        CollectLogs(["bootstrap", "ihris-adapter", "fineract-adapter", "odk-adapter", "payroll", "portal"]);
        await App.StartAsync(timeout.Token);
        try
        {
            // As the suite announces itself ready: every service up, each having created and granted its read views.
            foreach (var service in new[] { "ihris-adapter", "fineract-adapter", "odk-adapter", "mobile-money-adapter", "payment-hub-adapter", "payroll", "portal" })
                await App.ResourceNotifications.WaitForResourceHealthyAsync(service, timeout.Token);
        }
        catch (Exception ex) when (ex is DistributedApplicationException or OperationCanceledException)
        {
            throw new InvalidOperationException($"the portal did not become healthy: {ex.Message}\n{Recent("portal")}\n{Recent("bootstrap")}");
        }
        StartedIn = started.Elapsed;
        PortalUrl = App.GetEndpoint("portal", "http").ToString().TrimEnd('/');
        foreach (var user in new[] { "viewer", "clerk", "approver" })
        {
            Passwords[user] = await ParameterAsync($"portal-{user}-password");
        }

        // Playwright drives the machine's Chromium; it must never fetch a browser of its own.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    public async Task<string> ParameterAsync(string name)
    {
        var model = App.Services.GetRequiredService<DistributedApplicationModel>();
        var parameter = model.Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return (await parameter.GetValueAsync(CancellationToken.None))!;
    }

    /// <summary>A fresh browser session (laptop-sized unless told), signed in as <paramref name="user"/>.</summary>
    public async Task<IPage> SignInAsync(string user, int width = 1366, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(PortalUrl + "/");
        await page.WaitForURLAsync(url => url.Contains("/signin"));
        await page.GetByLabel("User name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(Passwords[user]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin"));
        await InteractiveAsync(page);
        return page;
    }

    /// <summary>Goes to a page and waits until its interactive circuit is connected (buttons work from then on).</summary>
    public static async Task GotoAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await InteractiveAsync(page);
    }

    public static async Task InteractiveAsync(IPage page)
    {
        try
        {
            await page.Locator("main[data-ready=interactive]").WaitForAsync();
        }
        catch (TimeoutException)
        {
            var text = await page.Locator("body").InnerTextAsync();
            throw new TimeoutException($"{page.Url} never became interactive; it shows:\n{text[..Math.Min(text.Length, 1500)]}");
        }
    }

    /// <summary>Saves a full-page screenshot under artifacts/screenshots and prints where.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Current.SendDiagnosticMessage($"screenshot: {path}");
        Console.WriteLine($"screenshot: {path}");
        return path;
    }

    public string Recent(string resource)
    {
        lock (_logs) return _logs.TryGetValue(resource, out var lines) ? $"--- {resource}\n" + string.Join('\n', lines.TakeLast(60)) : $"--- {resource}: no output";
    }

    private void CollectLogs(string[] names)
    {
        var loggers = App.Services.GetRequiredService<ResourceLoggerService>();
        foreach (var name in names)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in loggers.WatchAsync(name).WithCancellation(_stop.Token))
                    {
                        lock (_logs) (_logs.TryGetValue(name, out var list) ? list : _logs[name] = []).AddRange(batch.Select(l => l.Content));
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        await _stop.CancelAsync();
        if (App is not null)
        {
            await App.StopAsync(CancellationToken.None);
            await App.DisposeAsync();
        }
        try { Directory.Delete(_dataPath, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
