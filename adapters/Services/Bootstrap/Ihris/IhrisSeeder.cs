using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Ihris;

namespace OneClickSuite.Bootstrap.Ihris;

/// <summary>Loads the demo workforce into iHRIS's FHIR server with one transaction of PUTs (fixed ids: a re-run changes nothing).</summary>
public sealed class IhrisSeeder(IhrisClient ihris, IOptions<BootstrapOptions> options, ILogger<IhrisSeeder> logger)
{
    public async System.Threading.Tasks.Task RunAsync(CancellationToken ct)
    {
        var timeout = options.Value.StartupTimeout;
        await UntilReady.RunAsync("iHRIS", "reach its FHIR server", timeout, logger, () => ihris.MetadataAsync(ct), ct);
        logger.LogInformation("iHRIS: FHIR server answers");

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
