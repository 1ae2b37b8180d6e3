extern alias IhrisEmulator;

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OneClickSuite.Testing;
using IhrisProgram = IhrisEmulator::Program;

namespace OneClickSuite.Benchmarks.Emulators;

/// <summary>iHRIS's hottest call: the roster page the iHRIS adapter walks, roles with their practitioners and facilities.</summary>
public static class IhrisBench
{
    private const int Workers = 5_000;
    private const int Facilities = 50;
    private const string RosterPage =
        "hapi/fhir/PractitionerRole?_count=200&_include=PractitionerRole:practitioner&_include=PractitionerRole:location";

    public static async Task<IReadOnlyList<Measurement>> RunAsync(string connectionString, LoadSettings settings, List<string> notes)
    {
        await using var host = EmulatorHost<IhrisProgram>.Start(_ => new Dictionary<string, string>
        {
            ["ConnectionStrings:hapi-db"] = connectionString,
        });
        // In process the emulator serves its HAPI surface (no authentication, as HAPI) under /hapi/fhir.
        using var http = host.NewClient(settings.Clients);

        for (var start = 0; start < Workers; start += 1_000)
        {
            Http.Expect("load workforce", await Http.PostAsync(http, "hapi/fhir",
                new StringContent(WorkforceBundle(start, Math.Min(Workers, start + 1_000)), Encoding.UTF8, "application/fhir+json")));
        }
        var total = Http.Expect("count roles", await Http.GetAsync(http, "hapi/fhir/PractitionerRole?_summary=count")).GetProperty("total").GetInt32();
        if (total != Workers) notes.Add($"iHRIS: {total} PractitionerRoles after loading {Workers}.");

        return [await LoadRun.RunAsync("ihris.fhir.practitionerrole-page-200", "iHRIS",
            "FHIR PractitionerRole page, _count=200 + 2 _include", settings, _ => WalkRoster(http))];
    }

    /// <summary>Each client walks the whole roster through <c>next</c> links, as the iHRIS adapter does, and starts over at the end.</summary>
    private static Call WalkRoster(HttpClient http)
    {
        var next = RosterPage;
        return async () =>
        {
            var answer = await Http.GetAsync(http, next);
            if (answer.Status != 200)
            {
                next = RosterPage;
                return Http.Failure(answer);
            }
            using var bundle = JsonDocument.Parse(answer.Body);
            next = RosterPage;
            if (bundle.RootElement.TryGetProperty("link", out var links))
            {
                foreach (var link in links.EnumerateArray())
                {
                    if (link.GetProperty("relation").GetString() == "next") next = Http.Relative(link.GetProperty("url").GetString()!);
                }
            }
            var matches = 0;
            if (bundle.RootElement.TryGetProperty("entry", out var entries))
            {
                foreach (var entry in entries.EnumerateArray())
                {
                    if (entry.TryGetProperty("search", out var search) && search.GetProperty("mode").GetString() == "match") matches++;
                }
            }
            return CallOutcome.Success(matches);
        };
    }

    /// <summary>A transaction Bundle with workers <paramref name="from"/> to <paramref name="to"/>: Practitioner, PractitionerRole, facilities once.</summary>
    private static string WorkforceBundle(int from, int to)
    {
        var json = new StringBuilder("""{"resourceType":"Bundle","type":"transaction","entry":[""");
        var first = true;
        void Entry(string type, string id, string resource)
        {
            if (!first) json.Append(',');
            first = false;
            json.Append($$$"""{"resource":{{{resource}}},"request":{"method":"PUT","url":"{{{type}}}/{{{id}}}"}}""");
        }
        if (from == 0)
        {
            for (var f = 0; f < Facilities; f++)
            {
                Entry("Location", $"facility-{f}", $$"""
                    {"resourceType":"Location","id":"facility-{{f}}","status":"active","name":"Health Centre {{f}}",
                     "identifier":[{"system":"urn:bench:facility","value":"HC{{f:000}}"}]}
                    """);
            }
        }
        for (var i = from; i < to; i++)
        {
            Entry("Practitioner", $"worker-{i}", $$"""
                {"resourceType":"Practitioner","id":"worker-{{i}}","active":true,
                 "identifier":[{"system":"urn:bench:employee","value":"E{{i:00000}}"}],
                 "name":[{"use":"official","family":"Otieno","given":["Amina {{i}}"]}],"gender":"female",
                 "telecom":[{"system":"phone","value":"+2547{{i:00000000}}"}]}
                """);
            Entry("PractitionerRole", $"role-{i}", $$"""
                {"resourceType":"PractitionerRole","id":"role-{{i}}","active":true,
                 "practitioner":{"reference":"Practitioner/worker-{{i}}"},
                 "location":[{"reference":"Location/facility-{{i % Facilities}}"}],
                 "code":[{"coding":[{"system":"urn:bench:cadre","code":"chw","display":"Community Health Worker"}]}]}
                """);
        }
        return json.Append("]}").ToString();
    }
}
