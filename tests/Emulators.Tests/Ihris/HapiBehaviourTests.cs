using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using OneClickSuite.Testing;

namespace OneClickSuite.Emulators.Ihris.Tests;

/// <summary>HAPI FHIR 6.8 with the jpaserver-starter defaults, as the HAPI surface answers.</summary>
public sealed class HapiBehaviourTests
{
    private static StringContent Json(string json) => IhrisHost.Fhir(json);

    private static async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> Send(IhrisHost host, HttpMethod method, string url, string? body = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, IhrisHost.ToHapi(url)) { Content = body is null ? null : Json(body) };
        configure?.Invoke(request);
        var response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null, response);
    }

    private static string Diagnostics(JsonNode? outcome) => (string)outcome!["issue"]![0]!["diagnostics"]!;

    [Fact]
    public async Task Missing_is_404_with_hapi_2001_and_deleted_is_410()
    {
        await using var host = await IhrisHost.StartAsync();
        var (status, body, _) = await Send(host, HttpMethod.Get, "/fhir/Location/nothing-here");
        Assert.Equal(404, status);
        Assert.Equal("HAPI-2001: Resource Location/nothing-here is not known", Diagnostics(body));
        Assert.Equal("processing", (string?)body!["issue"]![0]!["code"]);

        await Send(host, HttpMethod.Put, "/fhir/Location/gone", """{"resourceType":"Location","id":"gone","name":"Gone"}""");
        var (deleteStatus, deleted, _) = await Send(host, HttpMethod.Delete, "/fhir/Location/gone");
        Assert.Equal(200, deleteStatus);
        Assert.StartsWith("Successfully deleted 1 resource(s). Took ", Diagnostics(deleted));
        Assert.Equal("SUCCESSFUL_DELETE", (string?)deleted!["issue"]![0]!["details"]!["coding"]![0]!["code"]);
        var (goneStatus, gone, _) = await Send(host, HttpMethod.Get, "/fhir/Location/gone");
        Assert.Equal(410, goneStatus);
        Assert.StartsWith("HAPI-2244: Resource was deleted at ", Diagnostics(gone));
        var (againStatus, again, _) = await Send(host, HttpMethod.Delete, "/fhir/Location/gone");
        Assert.Equal(200, againStatus);
        Assert.Equal("Not deleted, resource Location/gone was already deleted.", Diagnostics(again));
        Assert.Equal("Not deleted, resource Location/never does not exist.", Diagnostics((await Send(host, HttpMethod.Delete, "/fhir/Location/never")).Body));
    }

    [Fact]
    public async Task Paging_links_have_hapis_format_walk_a_fixed_result_and_expire_unknown()
    {
        await using var host = await IhrisHost.StartAsync();
        for (var i = 0; i < 5; i++) await Send(host, HttpMethod.Put, $"/fhir/Location/p{i}", $$"""{"resourceType":"Location","id":"p{{i}}","name":"Place {{i}}"}""");
        var first = await host.GetOkAsync("/fhir/Location?name=place&_count=2&_include=Location:partof");
        var next = IhrisHost.NextLink(first)!;
        Assert.Matches(@"^http://localhost/hapi/fhir\?_getpages=[0-9a-f-]{36}&_getpagesoffset=2&_count=2&_pretty=true&_include=Location%3Apartof&_bundletype=searchset$", next);
        Assert.Equal("http://localhost/hapi/fhir/Location?_count=2&_include=Location%3Apartof&name=place",
            (string?)first["link"]!.AsArray().First(l => (string?)l!["relation"] == "self")!["url"]);

        // Written after the first page: not part of this search, whose matches are fixed.
        await Send(host, HttpMethod.Put, "/fhir/Location/p9", """{"resourceType":"Location","id":"p9","name":"Place 9"}""");
        var pages = await host.AllPagesAsync(next);
        var ids = IhrisHost.Entries(first).Concat(pages.SelectMany(p => IhrisHost.Entries(p))).Select(IhrisHost.ResourceKey).ToList();
        Assert.Equal(["Location/p0", "Location/p1", "Location/p2", "Location/p3", "Location/p4"], ids);
        Assert.Contains(pages[0]["link"]!.AsArray(), l => (string?)l!["relation"] == "previous");

        var (status, body, _) = await Send(host, HttpMethod.Get, "/fhir?_getpages=11111111-2222-3333-4444-555555555555&_getpagesoffset=2&_count=2");
        Assert.Equal(410, status);
        Assert.Equal("HAPI-0417: Search ID \"11111111-2222-3333-4444-555555555555\" does not exist and may have expired", Diagnostics(body));
    }

    [Fact]
    public async Task An_identical_search_within_60_seconds_is_served_from_the_cached_result_unless_no_cache()
    {
        await using var host = await IhrisHost.StartAsync();
        await Send(host, HttpMethod.Put, "/fhir/Location/c1", """{"resourceType":"Location","id":"c1","name":"Cached"}""");
        var first = await host.GetOkAsync("/fhir/Location?name=cached");
        await Send(host, HttpMethod.Put, "/fhir/Location/c2", """{"resourceType":"Location","id":"c2","name":"Cached too"}""");
        var again = await host.GetOkAsync("/fhir/Location?name=cached");
        Assert.Equal((string?)first["id"], (string?)again["id"]);
        Assert.Equal(1, (int)again["total"]!);
        var (_, fresh, _) = await Send(host, HttpMethod.Get, "/fhir/Location?name=cached", configure: r => r.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true });
        Assert.Equal(2, (int)fresh!["total"]!);
    }

    [Fact]
    public async Task Conditional_create_returns_the_match_creates_when_none_and_refuses_two()
    {
        await using var host = await IhrisHost.StartAsync();
        const string practitioner = """{"resourceType":"Practitioner","identifier":[{"system":"urn:emp","value":"E1"}]}""";
        var ifNoneExist = (HttpRequestMessage r) => r.Headers.Add("If-None-Exist", "identifier=urn:emp|E1");
        var (created, body, response) = await Send(host, HttpMethod.Post, "/fhir/Practitioner", practitioner, ifNoneExist);
        Assert.Equal(201, created);
        var id = (string)body!["id"]!;
        var (matched, existing, _) = await Send(host, HttpMethod.Post, "/fhir/Practitioner", practitioner, ifNoneExist);
        Assert.Equal(200, matched);
        Assert.Equal(id, (string?)existing!["id"]);
        Assert.Equal("1", (string?)existing["meta"]!["versionId"]);

        await Send(host, HttpMethod.Post, "/fhir/Practitioner", practitioner);
        var (twice, outcome, _) = await Send(host, HttpMethod.Post, "/fhir/Practitioner", practitioner, ifNoneExist);
        Assert.Equal(412, twice);
        Assert.Equal("HAPI-0958: Failed to CREATE resource with match URL \"identifier=urn:emp|E1\" because this search matched 2 resources", Diagnostics(outcome));
    }

    [Fact]
    public async Task Prefer_return_minimal_and_operation_outcome()
    {
        await using var host = await IhrisHost.StartAsync();
        var (status, body, response) = await Send(host, HttpMethod.Put, "/fhir/Location/pref", """{"resourceType":"Location","id":"pref","name":"A"}""",
            r => r.Headers.Add("Prefer", "return=minimal"));
        Assert.Equal(201, status);
        Assert.Null(body);
        Assert.EndsWith("/hapi/fhir/Location/pref/_history/1", response.Headers.Location!.ToString());

        var (updated, outcome, _) = await Send(host, HttpMethod.Put, "/fhir/Location/pref", """{"resourceType":"Location","id":"pref","name":"B"}""",
            r => r.Headers.Add("Prefer", "return=OperationOutcome"));
        Assert.Equal(200, updated);
        Assert.Equal("OperationOutcome", (string?)outcome!["resourceType"]);
        Assert.StartsWith("Successfully updated resource \"Location/pref/_history/2\".", Diagnostics(outcome));
        Assert.Equal("SUCCESSFUL_UPDATE", (string?)outcome["issue"]![0]!["details"]!["coding"]![0]!["code"]);

        var (_, representation, _) = await Send(host, HttpMethod.Put, "/fhir/Location/pref", """{"resourceType":"Location","id":"pref","name":"B"}""");
        Assert.Equal("2", (string?)representation!["meta"]!["versionId"]);
        Assert.StartsWith("#", (string?)representation["meta"]!["source"]);
    }

    [Fact]
    public async Task References_must_resolve_on_write_and_block_delete()
    {
        await using var host = await IhrisHost.StartAsync();
        var (status, body, _) = await Send(host, HttpMethod.Put, "/fhir/PractitionerRole/r1",
            """{"resourceType":"PractitionerRole","id":"r1","practitioner":{"reference":"Practitioner/nobody"}}""");
        Assert.Equal(400, status);
        Assert.Equal("HAPI-1094: Resource Practitioner/nobody not found, specified in path: PractitionerRole.practitioner", Diagnostics(body));

        await Send(host, HttpMethod.Put, "/fhir/Practitioner/w1", """{"resourceType":"Practitioner","id":"w1"}""");
        Assert.Equal(201, (await Send(host, HttpMethod.Put, "/fhir/PractitionerRole/r1",
            """{"resourceType":"PractitionerRole","id":"r1","practitioner":{"reference":"Practitioner/w1"}}""")).Status);
        var (conflict, outcome, _) = await Send(host, HttpMethod.Delete, "/fhir/Practitioner/w1");
        Assert.Equal(409, conflict);
        Assert.Equal("Unable to delete Practitioner/w1 because at least one resource has a reference to this resource. First reference found was resource PractitionerRole/r1 in path PractitionerRole.practitioner",
            Diagnostics(outcome));
        Assert.Equal(200, (await Send(host, HttpMethod.Delete, "/fhir/PractitionerRole/r1")).Status);
        Assert.Equal(200, (await Send(host, HttpMethod.Delete, "/fhir/Practitioner/w1")).Status);
        var (deletedTarget, again, _) = await Send(host, HttpMethod.Post, "/fhir/PractitionerRole",
            """{"resourceType":"PractitionerRole","practitioner":{"reference":"Practitioner/w1"}}""");
        Assert.Equal(400, deletedTarget);
        Assert.Equal("HAPI-1096: Resource Practitioner/w1 is deleted, specified in path: PractitionerRole.practitioner", Diagnostics(again));
    }

    [Fact]
    public async Task String_search_starts_with_ignoring_case_and_accents_exact_and_contains()
    {
        await using var host = await IhrisHost.StartAsync();
        await Send(host, HttpMethod.Put, "/fhir/Practitioner/s1", """{"resourceType":"Practitioner","id":"s1","name":[{"family":"Nséngiyumva","given":["Aimée"]}]}""");
        await Send(host, HttpMethod.Put, "/fhir/Practitioner/s2", """{"resourceType":"Practitioner","id":"s2","name":[{"family":"Ngoma","given":["Aime"]}]}""");
        async Task<List<string>> Ids(string query) => [.. IhrisHost.Entries(await host.GetOkAsync("/fhir/Practitioner?" + query)).Select(IhrisHost.ResourceKey).Order()];

        Assert.Equal(["Practitioner/s1"], await Ids("family=nseng"));
        Assert.Equal(["Practitioner/s1", "Practitioner/s2"], await Ids("given=AIME"));
        Assert.Equal(["Practitioner/s1", "Practitioner/s2"], await Ids("name=n"));
        Assert.Empty(await Ids("family=giyumva"));
        Assert.Equal(["Practitioner/s1"], await Ids("family:contains=GIYUM"));
        Assert.Equal(["Practitioner/s1"], await Ids("given:exact=Aim%C3%A9e"));
        Assert.Empty(await Ids("given:exact=aimée"));
    }

    [Fact]
    public async Task Unknown_search_parameter_is_hapi_0524_listing_the_registered_names()
    {
        await using var host = await IhrisHost.StartAsync();
        var (status, body, _) = await Send(host, HttpMethod.Get, "/fhir/Practitioner?foo=bar");
        Assert.Equal(400, status);
        var text = Diagnostics(body);
        Assert.StartsWith("HAPI-0524: Unknown search parameter \"foo\" for resource type \"Practitioner\". Valid search parameters for this search are: [", text);
        Assert.Contains("_id, _lastUpdated, _profile, _security, _source, _tag, active, address", text);
        Assert.Contains("phonenumber", text);
    }

    [Fact]
    public async Task Transaction_response_has_hapi_entries_with_outcomes()
    {
        await using var host = await IhrisHost.StartAsync();
        var response = await host.SendAsync(HttpMethod.Post, "/fhir", Json("""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Location","name":"T"},"request":{"method":"POST","url":"Location"}},
              {"resource":{"resourceType":"Location","id":"t2","partOf":{"reference":"urn:uuid:1"}},"request":{"method":"PUT","url":"Location/t2"}}]}
            """));
        Assert.Equal(200, response.Status);
        var entries = response.Body!["entry"]!.AsArray();
        Assert.Equal("201 Created", (string?)entries[0]!["response"]!["status"]);
        Assert.Equal("1", (string?)entries[0]!["response"]!["etag"]);
        Assert.Equal("SUCCESSFUL_CREATE", (string?)entries[0]!["response"]!["outcome"]!["issue"]![0]!["details"]!["coding"]![0]!["code"]);
        Assert.Equal("SUCCESSFUL_UPDATE_AS_CREATE", (string?)entries[1]!["response"]!["outcome"]!["issue"]![0]!["details"]!["coding"]![0]!["code"]);
    }

    [Fact]
    public async Task Two_ports_serve_backend_and_hapi_separately()
    {
        var pg = await PostgresServer.StartSharedAsync();
        var connectionString = await pg.CreateDatabaseAsync("hapi");
        var mainPort = ServerProcess.FreePort();
        var fhirPort = ServerProcess.FreePort();
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:hapi-db", connectionString);
            web.UseSetting("Ihris:FhirPort", fhirPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, mainPort));
        factory.StartServer();
        using var client = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        var metadata = await client.GetAsync($"http://127.0.0.1:{fhirPort}/fhir/metadata", ct);
        Assert.Equal(200, (int)metadata.StatusCode);
        var person = await client.GetAsync($"http://127.0.0.1:{fhirPort}/fhir/Person/ihris-user-admin", ct);
        Assert.Equal(200, (int)person.StatusCode);
        Assert.Equal(401, (int)(await client.GetAsync($"http://127.0.0.1:{mainPort}/fhir/Person/ihris-user-admin", ct)).StatusCode);
        // With a second port, /hapi/fhir on the main port is just an unrouted backend path.
        Assert.Equal(401, (int)(await client.GetAsync($"http://127.0.0.1:{mainPort}/hapi/fhir/metadata", ct)).StatusCode);
        var config = JsonNode.Parse(await client.GetStringAsync($"http://127.0.0.1:{mainPort}/config/app", ct))!;
        Assert.Equal($"http://127.0.0.1:{fhirPort}/fhir", (string?)config["fhir"]!["base"]);
    }
}
