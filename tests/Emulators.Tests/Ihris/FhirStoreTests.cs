extern alias bootstrap;

using System.Text.Json.Nodes;
using bootstrap::OneClickSuite.Bootstrap.Ihris;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Emulators.Ihris.Tests;

public sealed class FhirStoreTests
{
    private static Practitioner NewPractitioner(string id, string employeeNumber) => new()
    {
        Id = id,
        Identifier = [new Identifier(DemoWorkforce.EmployeeNumberSystem, employeeNumber)],
        Active = true,
        Name = [new HumanName { Family = "Tester", Given = [id] }],
        Gender = AdministrativeGender.Female,
        BirthDate = "1990-01-01",
    };

    private static async Task<JsonNode> PutAsync(IhrisHost host, Resource resource)
    {
        var (status, body) = await host.SendAsync(HttpMethod.Put, $"/fhir/{resource.TypeName}/{resource.Id}", IhrisHost.Fhir(resource));
        Assert.True(status is 200 or 201, $"PUT answered {status}: {body?.ToJsonString()}");
        return body!;
    }

    private static IEnumerable<string> Ids(IEnumerable<JsonNode> bundles, string mode = "match") =>
        bundles.SelectMany(b => IhrisHost.Entries(b, mode)).Select(IhrisHost.ResourceKey);

    [Fact]
    public async Task LastUpdated_gt_returns_only_newer_resources()
    {
        await using var host = await IhrisHost.StartAsync();
        await PutAsync(host, NewPractitioner("p-first", "E1"));
        var second = await PutAsync(host, NewPractitioner("p-second", "E2"));
        await PutAsync(host, NewPractitioner("p-third", "E3"));
        var cursor = Uri.EscapeDataString((string)second["meta"]!["lastUpdated"]!);

        var newer = await host.GetOkAsync($"/fhir/Practitioner?_lastUpdated=gt{cursor}");
        Assert.Equal(["Practitioner/p-third"], Ids([newer]));
        Assert.Equal(1, (int)newer["total"]!);
        var fromSecond = await host.GetOkAsync($"/fhir/Practitioner?_lastUpdated=ge{cursor}&_sort=_lastUpdated");
        Assert.Equal(["Practitioner/p-second", "Practitioner/p-third"], Ids([fromSecond]));
    }

    [Fact]
    public async Task Paging_visits_every_match_once_while_resources_are_written()
    {
        await using var host = await IhrisHost.StartAsync();
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        var expected = new List<string>();
        for (var i = 0; i < 45; i++)
        {
            var practitioner = NewPractitioner($"walk-{i}", $"W{i}");
            bundle.Entry.Add(new() { Resource = practitioner, Request = new() { Method = Bundle.HTTPVerb.PUT, Url = $"Practitioner/walk-{i}" } });
            expected.Add($"Practitioner/walk-{i}");
        }
        await host.TransactionAsync(bundle);

        var added = 0;
        var pages = await host.AllPagesAsync("/fhir/Practitioner?_count=10&_sort=_lastUpdated", async _ =>
        {
            // New resources, and a new version of one not visited yet, while the walk goes on.
            await PutAsync(host, NewPractitioner($"late-{added++}", "L"));
            await PutAsync(host, NewPractitioner("walk-44", "W44-renumbered"));
        });

        var visited = Ids(pages).ToList();
        Assert.Equal(5, pages.Count);
        Assert.Equal(expected.Count, visited.Distinct().Count());
        Assert.Equal(expected.Order(), visited.Order());
        Assert.All(pages, page => Assert.Equal(45, (int)page["total"]!));
        Assert.Equal(4, added);
    }

    [Fact]
    public async Task Include_returns_the_practitioner_and_the_location_of_each_role()
    {
        await using var host = await IhrisHost.StartAsync();
        await host.TransactionAsync(DemoWorkforce.Build());

        var page = await host.GetOkAsync(
            "/fhir/PractitionerRole?_include=PractitionerRole:practitioner&_include=PractitionerRole:location&_count=3");
        var roles = IhrisHost.Entries(page, "match").Select(e => e["resource"]!).ToList();
        var included = Ids([page], "include").ToHashSet();
        Assert.Equal(3, roles.Count);
        foreach (var role in roles)
        {
            Assert.Contains((string)role["practitioner"]!["reference"]!, included);
            Assert.Contains((string)role["location"]![0]!["reference"]!, included);
        }

        var nurse = DemoWorkforce.Workers[0];
        var salary = await host.GetOkAsync($"/fhir/Basic?practitioner=Practitioner/{nurse.Id}&_include=Basic:practitioner");
        Assert.Equal([$"Basic/{nurse.Id}-salary"], Ids([salary]));
        Assert.Equal([$"Practitioner/{nurse.Id}"], Ids([salary], "include"));
        var byRole = await host.GetOkAsync($"/fhir/PractitionerRole?practitioner={nurse.Id}");
        Assert.Equal([$"PractitionerRole/{nurse.Id}-role"], Ids([byRole]));
    }

    [Fact]
    public async Task Identifier_search_matches_system_and_value_or_value_alone()
    {
        await using var host = await IhrisHost.StartAsync();
        await host.TransactionAsync(DemoWorkforce.Build());
        var worker = DemoWorkforce.Workers[1];

        var bySystem = await host.GetOkAsync(
            $"/fhir/Practitioner?identifier={Uri.EscapeDataString(DemoWorkforce.EmployeeNumberSystem + "|" + worker.EmployeeNumber)}");
        Assert.Equal([$"Practitioner/{worker.Id}"], Ids([bySystem]));
        var byValue = await host.GetOkAsync($"/fhir/Practitioner?identifier={worker.EmployeeNumber}");
        Assert.Equal([$"Practitioner/{worker.Id}"], Ids([byValue]));
        var otherSystem = await host.GetOkAsync($"/fhir/Practitioner?identifier=urn:other|{worker.EmployeeNumber}");
        Assert.Equal(0, (int)otherSystem["total"]!);
    }

    [Fact]
    public async Task History_since_lists_the_versions_written_after_it_page_by_page()
    {
        await using var host = await IhrisHost.StartAsync();
        await PutAsync(host, NewPractitioner("h-1", "H1"));
        var before = await PutAsync(host, NewPractitioner("h-2", "H2"));
        await Task.Delay(5, TestContext.Current.CancellationToken);
        var since = DateTimeOffset.Parse((string)before["meta"]!["lastUpdated"]!, System.Globalization.CultureInfo.InvariantCulture).AddMilliseconds(1);
        await PutAsync(host, NewPractitioner("h-1", "H1-changed"));
        await PutAsync(host, NewPractitioner("h-3", "H3"));
        await PutAsync(host, new Location { Id = "h-location", Name = "Not a practitioner" });

        var pages = await host.AllPagesAsync($"/fhir/Practitioner/_history?_since={Uri.EscapeDataString(since.ToString("o"))}&_count=1");
        Assert.All(pages, p => Assert.Equal("history", (string?)p["type"]));
        var entries = pages.SelectMany(p => IhrisHost.Entries(p)).ToList();
        Assert.Equal(["Practitioner/h-3/_history/1", "Practitioner/h-1/_history/2"], entries.Select(e => (string)e["request"]!["url"]!));
        Assert.Equal(["201 Created", "200 OK"], entries.Select(e => (string)e["response"]!["status"]!));

        var everything = await host.GetOkAsync($"/fhir/_history?_since={Uri.EscapeDataString(since.ToString("o"))}");
        Assert.Equal(3, (int)everything["total"]!);
    }

    [Fact]
    public async Task Update_creates_version_2_and_version_1_stays_readable()
    {
        await using var host = await IhrisHost.StartAsync();
        var (created, first) = await host.SendAsync(HttpMethod.Put, "/fhir/Practitioner/v-1", IhrisHost.Fhir(NewPractitioner("v-1", "V1")));
        Assert.Equal(201, created);
        Assert.Equal("1", (string?)first!["meta"]!["versionId"]);
        var (updated, second) = await host.SendAsync(HttpMethod.Put, "/fhir/Practitioner/v-1", IhrisHost.Fhir(NewPractitioner("v-1", "V1-new")));
        Assert.Equal(200, updated);
        Assert.Equal("2", (string?)second!["meta"]!["versionId"]);
        Assert.True(string.CompareOrdinal((string)second["meta"]!["lastUpdated"]!, (string)first["meta"]!["lastUpdated"]!) > 0);

        var current = await host.GetOkAsync("/fhir/Practitioner/v-1");
        Assert.Equal("V1-new", (string?)current["identifier"]![0]!["value"]);
        var old = await host.GetOkAsync("/fhir/Practitioner/v-1/_history/1");
        Assert.Equal("V1", (string?)old["identifier"]![0]!["value"]);
        Assert.Equal(0, (int)(await host.GetOkAsync("/fhir/Practitioner?identifier=V1"))["total"]!);

        var (posted, body) = await host.SendAsync(HttpMethod.Post, "/fhir/Practitioner", IhrisHost.Fhir(NewPractitioner("ignored", "P1")));
        Assert.Equal(201, posted);
        Assert.Matches("^[0-9]+$", (string)body!["id"]!);
    }

    [Fact]
    public async Task Restart_keeps_resources()
    {
        string connectionString;
        await using (var host = await IhrisHost.StartAsync())
        {
            connectionString = host.ConnectionString;
            await host.TransactionAsync(DemoWorkforce.Build());
        }
        await using var restarted = await IhrisHost.StartAsync(connectionString);
        var facility = await restarted.GetOkAsync($"/fhir/Location/{DemoWorkforce.Facilities[0].Id}");
        Assert.Equal(DemoWorkforce.Facilities[0].Name, (string?)facility["name"]);
        var all = await restarted.GetOkAsync("/fhir/Practitioner");
        Assert.Equal(DemoWorkforce.Workers.Count, (int)all["total"]!);
    }

    [Theory]
    [InlineData("PUT", "/fhir/Practitioner/x", "{\"resourceType\":\"Practitioner\",", 400)]
    [InlineData("POST", "/fhir/Practitioner", "not json at all", 400)]
    [InlineData("POST", "/fhir/Practitioner", "{\"resourceType\":\"Practitioner\",\"active\":\"yes\"}", 400)]
    [InlineData("POST", "/fhir/Practitioner", "{\"resourceType\":\"Location\"}", 400)]
    [InlineData("POST", "/fhir", "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":{\"resourceType\":\"Practitioner\",\"bogus\":1},\"request\":{\"method\":\"POST\",\"url\":\"Practitioner\"}}]}", 400)]
    [InlineData("PUT", "/fhir/Practitioner/12345", "{\"resourceType\":\"Practitioner\",\"id\":\"12345\"}", 400)]
    [InlineData("GET", "/fhir/Practitioner/does-not-exist", null, 404)]
    [InlineData("GET", "/fhir/Nonsense/1", null, 404)]
    [InlineData("GET", "/fhir/Practitioner?foo=bar", null, 400)]
    [InlineData("GET", "/fhir/Practitioner?_lastUpdated=gtyesterday", null, 400)]
    [InlineData("GET", "/fhir/Practitioner?_count=many", null, 400)]
    [InlineData("GET", "/fhir/PractitionerRole?_include=PractitionerRole:nothing", null, 400)]
    [InlineData("GET", "/fhir?_getpages=not-a-token", null, 410)]
    public async Task Bad_requests_get_an_operation_outcome_with_hapis_status(string method, string url, string? body, int expected)
    {
        await using var host = await IhrisHost.StartAsync();
        var (status, outcome) = await host.SendAsync(new HttpMethod(method), url, body is null ? null : IhrisHost.Fhir(body));
        Assert.Equal(expected, status);
        Assert.Equal("OperationOutcome", (string?)outcome?["resourceType"]);
        Assert.Equal("error", (string?)outcome!["issue"]![0]!["severity"]);
    }
}
