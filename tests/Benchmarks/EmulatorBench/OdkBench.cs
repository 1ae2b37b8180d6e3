extern alias OdkEmulator;

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OneClickSuite.Testing;
using OdkProgram = OdkEmulator::Program;

namespace OneClickSuite.Benchmarks.Emulators;

/// <summary>ODK Central's hottest calls: entity creation into the roster entity list, and the Submissions OData page.</summary>
public static class OdkBench
{
    private const string AdminEmail = "bench@example.org";
    private const string AdminPassword = "bench-Secret-Pass1";
    private const int BulkSize = 100;
    private const int PageSize = 250;
    private const int PrefilledSubmissions = 2_000;

    public static async Task<IReadOnlyList<Measurement>> RunAsync(string connectionString, LoadSettings settings, List<string> notes)
    {
        await using var host = EmulatorHost<OdkProgram>.Start(origin => new Dictionary<string, string>
        {
            ["ConnectionStrings:odk-db"] = connectionString,
            ["Odk:AdminEmail"] = AdminEmail,
            ["Odk:AdminPassword"] = AdminPassword,
            ["Odk:PublicUrl"] = origin.ToString().TrimEnd('/'),
        });
        using var http = host.NewClient(settings.Clients);
        var session = Http.Expect("create session", await Http.PostAsync(http, "v1/sessions",
            Http.Json($$"""{"email":"{{AdminEmail}}","password":"{{AdminPassword}}"}""")));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session.GetProperty("token").GetString());

        var project = Http.Expect("create project", await Http.PostAsync(http, "v1/projects", Http.Json("""{"name":"Benchmark"}""")))
            .GetProperty("id").GetInt32();
        var entities = $"v1/projects/{project}/datasets/health_workers/entities";
        Http.Expect("create entity list", await Http.PostAsync(http, $"v1/projects/{project}/datasets", Http.Json("""{"name":"health_workers"}""")));
        foreach (var property in new[] { "cadre", "facility", "phone" })
        {
            Http.Expect("create property", await Http.PostAsync(http, $"v1/projects/{project}/datasets/health_workers/properties",
                Http.Json($$"""{"name":"{{property}}"}""")));
        }
        Http.Expect("publish form", await Http.PostAsync(http, $"v1/projects/{project}/forms?publish=true", Http.Xml(ActivityForm)));
        await PrefillSubmissionsAsync(http, project, settings.Clients);

        var results = new List<Measurement>();
        long created = 0;
        results.Add(await LoadRun.RunAsync("odk.entities.create-bulk-100", "ODK Central",
            $"entity create, bulk of {BulkSize}", settings, _ => CreateEntities(http, entities, BulkSize, () => Interlocked.Add(ref created, BulkSize))));
        results.Add(await LoadRun.RunAsync("odk.entities.create-single", "ODK Central",
            "entity create, single", settings, _ => CreateEntities(http, entities, 1, () => Interlocked.Increment(ref created))));
        results.Add(await LoadRun.RunAsync("odk.submissions.odata-page-250", "ODK Central",
            $"OData Submissions page, $top={PageSize}", settings, _ => WalkSubmissions(http, project)));

        var count = Http.Expect("count entities", await Http.GetAsync(http,
            $"v1/projects/{project}/datasets/health_workers.svc/Entities?$top=0&$count=true")).GetProperty("@odata.count").GetInt64();
        if (count != created) notes.Add($"ODK Central: the entity list holds {count} entities but {created} creates were answered 200.");
        return results;
    }

    private static Call CreateEntities(HttpClient http, string url, int size, Action onCreated) => async () =>
    {
        var body = new StringBuilder(size * 160);
        if (size == 1)
        {
            AppendEntity(body);
        }
        else
        {
            body.Append("""{"source":{"name":"roster.csv","size":""").Append(size).Append("},\"entities\":[");
            for (var i = 0; i < size; i++)
            {
                if (i > 0) body.Append(',');
                AppendEntity(body);
            }
            body.Append("]}");
        }
        var answer = await Http.PostAsync(http, url, Http.Json(body.ToString()));
        if (answer.Status != 200) return Http.Failure(answer);
        onCreated();
        return CallOutcome.Success(size);
    };

    private static void AppendEntity(StringBuilder body)
    {
        var uuid = Guid.NewGuid();
        body.Append($$$"""{"uuid":"{{{uuid}}}","label":"Worker {{{uuid.ToString()[..8]}}}","data":{"cadre":"CHW","facility":"F-017","phone":"+254700000000"}}""");
    }

    /// <summary>Each client walks the feed page by page through <c>@odata.nextLink</c>, as the ODK adapter does, and starts over at the end.</summary>
    private static Call WalkSubmissions(HttpClient http, int project)
    {
        var first = $"v1/projects/{project}/forms/chw_activity.svc/Submissions?$top={PageSize}&$count=true";
        var next = first;
        return async () =>
        {
            var answer = await Http.GetAsync(http, next);
            if (answer.Status != 200)
            {
                next = first;
                return Http.Failure(answer);
            }
            using var page = JsonDocument.Parse(answer.Body);
            next = page.RootElement.TryGetProperty("@odata.nextLink", out var link) ? Http.Relative(link.GetString()!) : first;
            return CallOutcome.Success(page.RootElement.GetProperty("value").GetArrayLength());
        };
    }

    private static async Task PrefillSubmissionsAsync(HttpClient http, int project, int clients)
    {
        var url = $"v1/projects/{project}/forms/chw_activity/submissions";
        var queue = Enumerable.Range(0, PrefilledSubmissions).GetEnumerator();
        var gate = new object();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (true)
            {
                int n;
                lock (gate)
                {
                    if (!queue.MoveNext()) return;
                    n = queue.Current;
                }
                Http.Expect("create submission", await Http.PostAsync(http, url, Http.Xml(Submission(n))));
            }
        }));
    }

    private static string Submission(int n) =>
        $"<data id=\"chw_activity\" version=\"1\"><worker>worker-{n % 500}</worker><period>2026-10-01</period>" +
        $"<households_visited>{n % 40}</households_visited><referrals>{n % 5}</referrals>" +
        $"<meta><instanceID>uuid:{Guid.NewGuid()}</instanceID></meta></data>";

    private const string ActivityForm = """
        <?xml version="1.0"?>
        <h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">
          <h:head>
            <h:title>CHW Monthly Activity Report</h:title>
            <model>
              <instance>
                <data id="chw_activity" version="1">
                  <worker/><period/><households_visited/><referrals/>
                  <meta><instanceID/></meta>
                </data>
              </instance>
              <bind nodeset="/data/worker" type="string"/>
              <bind nodeset="/data/period" type="date"/>
              <bind nodeset="/data/households_visited" type="int"/>
              <bind nodeset="/data/referrals" type="int"/>
              <bind nodeset="/data/meta/instanceID" type="string"/>
            </model>
          </h:head>
          <h:body/>
        </h:html>
        """;
}
