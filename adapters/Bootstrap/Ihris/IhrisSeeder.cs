using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Ihris;

namespace OneClickSuite.Bootstrap.Ihris;

/// <summary>Loads the demo workforce into iHRIS with one transaction of PUTs (fixed ids: a re-run changes nothing).</summary>
public sealed class IhrisSeeder(IhrisClient ihris, IhrisAdminPassword adminPassword, IOptions<IhrisOptions> ihrisOptions,
    IOptions<BootstrapOptions> options, ILogger<IhrisSeeder> logger)
{
    public async System.Threading.Tasks.Task RunAsync(CancellationToken ct)
    {
        var timeout = options.Value.StartupTimeout;
        try
        {
            await UntilReady.RunAsync("iHRIS", "log in", timeout, logger, () => ihris.LogInAsync(ct), ct);
        }
        catch (IhrisException ex) when (ex.StatusCode == 401 && options.Value.IhrisDefaultPassword is { Length: > 0 } defaultPassword)
        {
            var login = ihrisOptions.Value;
            if (!await adminPassword.ReplaceDefaultAsync(login.Email!, defaultPassword, login.Password!, ct)) throw;
            await ihris.LogInAsync(ct);
        }
        logger.LogInformation("iHRIS: logged in");

        if (!options.Value.LoadDemoWorkforce)
        {
            logger.LogInformation("iHRIS: demo workforce not loaded (Bootstrap:LoadDemoWorkforce is off)");
            return;
        }

        var bundle = DemoWorkforce.Build();
        // Loaded once: after that HR owns these records, and a re-run must not undo their changes.
        var marker = bundle.Entry.Select(e => e.Resource).OfType<Practitioner>().First();
        var existing = await UntilReady.RunAsync("iHRIS", "look for the demo workforce", timeout, logger,
            () => ihris.ReadAsync<Practitioner>(marker.Id!, ct), ct);
        if (existing is not null)
        {
            logger.LogInformation("iHRIS: demo workforce already loaded (Practitioner/{Id} exists)", marker.Id);
            return;
        }

        var response = await UntilReady.RunAsync("iHRIS", "load demo workforce", timeout, logger,
            () => ihris.TransactionAsync(bundle, ct), ct);

        var counts = bundle.Entry
            .GroupBy(e => e.Resource?.TypeName)
            .Select(g => $"{g.Count()} {g.Key}");
        var created = response.Entry.Count(e => e.Response?.Status?.StartsWith("201", StringComparison.Ordinal) == true);
        logger.LogInformation("iHRIS: demo workforce in place ({Counts}; {Created} newly created)",
            string.Join(", ", counts), created);
    }
}
