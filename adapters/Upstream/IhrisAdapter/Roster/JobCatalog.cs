using Hl7.Fhir.Model;
using OneClickSuite.Clients.Ihris;
using OneClickSuite.Contracts;

namespace OneClickSuite.IhrisAdapter.Roster;

/// <summary>
/// Job titles and cadres from iHRIS's ihris-job CodeSystem (property "cadre"); read once, then kept. Where the
/// CodeSystem or the property is absent, the job title stands for the cadre.
/// </summary>
public sealed class JobCatalog(ILogger<JobCatalog> logger)
{
    public const string JobSystem = "http://ihris.org/fhir/CodeSystem/ihris-job";

    private IReadOnlyDictionary<string, (string Title, string? Cadre)> _jobs = new Dictionary<string, (string, string?)>();
    private bool _loaded;

    public async System.Threading.Tasks.Task LoadAsync(IhrisClient ihris, CancellationToken ct)
    {
        if (_loaded)
        {
            return;
        }
        try
        {
            var systems = await ihris.SearchAsync<CodeSystem>("url=" + Uri.EscapeDataString(JobSystem), ct);
            _jobs = systems.SelectMany(s => s.Concept).Where(c => c.Code is not null)
                .GroupBy(c => c.Code!).ToDictionary(g => g.Key, g =>
                {
                    var concept = g.First();
                    var cadre = concept.Property.FirstOrDefault(p => p.Code == "cadre")?.Value switch
                    {
                        Coding coding => coding.Display ?? coding.Code,
                        FhirString text => text.Value,
                        Code code => code.Value,
                        _ => null,
                    };
                    return (Title: concept.Display ?? g.Key, Cadre: cadre);
                });
            _loaded = true;
        }
        catch (Exception ex) when (ex is OneClickSuite.Clients.UpstreamException)
        {
            logger.LogWarning(ex, "iHRIS job catalogue not readable; job titles stand for cadres");
        }
    }

    public JobRef Describe(string code, string? display)
    {
        if (_jobs.TryGetValue(code, out var job))
        {
            return new JobRef(code, job.Title, job.Cadre ?? display ?? job.Title);
        }
        var title = display ?? code;
        return new JobRef(code, title, title);
    }
}
