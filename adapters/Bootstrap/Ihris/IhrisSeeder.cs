using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Ihris;

namespace OneClickSuite.Bootstrap.Ihris;

/// <summary>Loads the demo workforce into iHRIS with one transaction of PUTs (fixed ids: a re-run changes nothing).</summary>
public sealed class IhrisSeeder(IhrisClient ihris, IOptions<BootstrapOptions> options, ILogger<IhrisSeeder> logger)
{
    public async System.Threading.Tasks.Task RunAsync(CancellationToken ct)
    {
        var timeout = options.Value.StartupTimeout;
        await UntilReady.RunAsync("iHRIS", "log in", timeout, logger, () => ihris.LogInAsync(ct), ct);
        logger.LogInformation("iHRIS: logged in");

        var bundle = DemoWorkforce.Build();
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
