using System.Diagnostics;
using OneClickSuite.Bootstrap;
using OneClickSuite.Bootstrap.Fineract;
using OneClickSuite.Bootstrap.Ihris;
using OneClickSuite.Bootstrap.Odk;
using OneClickSuite.Clients;

// One-shot: makes sure iHRIS, Fineract and ODK Central hold what the suite needs, then exits.
// Exit code 0 when everything exists; re-running creates nothing twice.
var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.AddIhrisClient();
builder.AddFineractClient();
builder.AddOdkClient();
builder.Services.AddOptions<BootstrapOptions>().Bind(builder.Configuration.GetSection(BootstrapOptions.SectionName));
builder.Services.AddTransient<IhrisSeeder>();
builder.Services.AddTransient<FineractSeeder>();
builder.Services.AddTransient<OdkSeeder>();

using var host = builder.Build();
await host.StartAsync();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Bootstrap");
var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;

// The three systems are independent: seed them side by side.
var results = await Task.WhenAll(
    Seed("iHRIS", ct => host.Services.GetRequiredService<IhrisSeeder>().RunAsync(ct)),
    Seed("Fineract", ct => host.Services.GetRequiredService<FineractSeeder>().RunAsync(ct)),
    Seed("ODK", ct => host.Services.GetRequiredService<OdkSeeder>().RunAsync(ct)));

var failed = results.Where(r => !r.Succeeded).Select(r => r.System).ToList();
if (failed.Count == 0)
{
    logger.LogInformation("Bootstrap complete: iHRIS, Fineract and ODK Central are ready");
}
else
{
    logger.LogError("Bootstrap failed for {Systems}", string.Join(", ", failed));
}
var exitCode = await OneShot.FinishAsync(host, failed.Count == 0 ? 0 : 1);
await host.StopAsync();
return exitCode;

async Task<(string System, bool Succeeded)> Seed(string system, Func<CancellationToken, Task> run)
{
    using var activity = Telemetry.Source.StartActivity($"bootstrap {system}");
    try
    {
        await run(stopping);
        return (system, true);
    }
    catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
    {
        var reason = ex is UpstreamException { IsTransient: true }
            ? "still unavailable after the start-up timeout"
            : "permanent failure";
        logger.LogError(ex, "{System}: {Reason}: {Message}", system, reason, ex.Message);
        activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
        return (system, false);
    }
}

internal static class Telemetry
{
    public static readonly ActivitySource Source = new("OneClickSuite.Bootstrap");
}
