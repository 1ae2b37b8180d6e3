extern alias bootstrap;

using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using bootstrap::OneClickSuite.Bootstrap.Ihris;

namespace OneClickSuite.Emulators.Ihris.Tests;

/// <summary>The iHRIS backend's /fhir routes (routes/fhir.js, modules/fhir/fhirAxios.js) and app.js around them.</summary>
public sealed class BackendTests
{
    private static async Task<(int Status, string ContentType, string Body)> Get(HttpClient client, string url)
    {
        var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Signed_out_fhir_answers_401_not_logged_in_but_config_and_home_are_public()
    {
        await using var host = await IhrisHost.StartAsync();
        var (status, _, body) = await Get(host.Backend, "/fhir/Practitioner");
        Assert.Equal(401, status);
        Assert.Equal("""{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden","diagnostics":"Not logged in"}]}""", body);
        var post = await host.Backend.PostAsync("/fhir", new StringContent("{}", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(401, (int)post.StatusCode);

        var (configStatus, _, configBody) = await Get(host.Backend, "/config/app");
        Assert.Equal(200, configStatus);
        var config = JsonNode.Parse(configBody)!;
        Assert.Equal("ihris", (string?)config["idp"]);
        Assert.Equal(IhrisHost.HapiBase, (string?)config["fhir"]!["base"]);
        var (homeStatus, homeType, _) = await Get(host.Backend, "/");
        Assert.Equal((200, "text/html"), (homeStatus, homeType));
    }

    [Fact]
    public async Task Read_of_a_missing_resource_is_500_with_axios_message()
    {
        await using var host = await IhrisHost.StartAsync();
        var client = await host.LoginAsync();
        var (status, _, body) = await Get(client, "/fhir/Practitioner/does-not-exist");
        Assert.Equal(500, status);
        var outcome = JsonNode.Parse(body)!;
        Assert.Equal("exception", (string?)outcome["issue"]![0]!["code"]);
        Assert.Equal("Request failed with status code 404", (string?)outcome["issue"]![0]!["diagnostics"]);
        Assert.Equal(200, (await Get(client, "/fhir/Person/ihris-user-admin")).Status);
    }

    [Fact]
    public async Task Post_of_a_bundle_to_fhir_is_never_answered_when_signed_in()
    {
        await using var host = await IhrisHost.StartAsync();
        var client = await host.LoginAsync();
        client.Timeout = TimeSpan.FromSeconds(2);
        var bundle = new StringContent("""{"resourceType":"Bundle","type":"transaction","entry":[]}""", Encoding.UTF8);
        bundle.Headers.ContentType = new("application/json");
        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => client.PostAsync("/fhir", bundle, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Hapi_paging_link_at_fhir_root_is_the_front_end_page_and_the_typed_form_pages()
    {
        await using var host = await IhrisHost.StartAsync();
        await host.TransactionAsync(DemoWorkforce.Build());
        var client = await host.LoginAsync();
        var (_, _, firstBody) = await Get(client, "/fhir/Practitioner?_count=2");
        var next = IhrisHost.NextLink(JsonNode.Parse(firstBody)!)!;
        Assert.StartsWith(IhrisHost.HapiBase + "?_getpages=", next);
        var query = new Uri(next).Query;

        var (rootStatus, rootType, _) = await Get(client, "/fhir" + query);
        Assert.Equal((200, "text/html"), (rootStatus, rootType));
        var (typedStatus, _, typedBody) = await Get(client, "/fhir/Practitioner" + query);
        Assert.Equal(200, typedStatus);
        var page = JsonNode.Parse(typedBody)!;
        Assert.Equal(2, IhrisHost.Entries(page).Count());
        Assert.DoesNotContain(IhrisHost.Entries(JsonNode.Parse(firstBody)!).Select(IhrisHost.ResourceKey), IhrisHost.Entries(page).Select(IhrisHost.ResourceKey).Contains);
    }

    [Fact]
    public async Task History_through_the_backend_drops_the_query_and_vread_has_its_own_route()
    {
        await using var host = await IhrisHost.StartAsync();
        var client = await host.LoginAsync();
        var put = (JsonNode node) => host.SendAsync(HttpMethod.Put, "/fhir/Location/h-loc", IhrisHost.Fhir(node.ToJsonString()));
        await put(JsonNode.Parse("""{"resourceType":"Location","id":"h-loc","name":"One"}""")!);
        await put(JsonNode.Parse("""{"resourceType":"Location","id":"h-loc","name":"Two"}""")!);
        await put(JsonNode.Parse("""{"resourceType":"Location","id":"h-loc","name":"Three"}""")!);

        var direct = await host.GetOkAsync("/fhir/Location/_history?_count=1");
        Assert.Single(IhrisHost.Entries(direct));
        var (status, _, body) = await Get(client, "/fhir/Location/_history?_count=1&_since=2999-01-01");
        Assert.Equal(200, status);
        Assert.Equal(3, IhrisHost.Entries(JsonNode.Parse(body)!).Count());

        var (vStatus, _, vBody) = await Get(client, "/fhir/vRead/Location/h-loc/1");
        Assert.Equal(200, vStatus);
        Assert.Equal("One", (string?)JsonNode.Parse(vBody)!["name"]);
        var (hStatus, hType, _) = await Get(client, "/fhir/Location/h-loc/_history/1");
        Assert.Equal((200, "text/html"), (hStatus, hType));
    }

    [Fact]
    public async Task Put_is_routed_and_writes_what_the_body_names()
    {
        await using var host = await IhrisHost.StartAsync();
        var client = await host.LoginAsync();
        var content = new StringContent("""{"resourceType":"Location","id":"from-body","name":"Body"}""", Encoding.UTF8);
        content.Headers.ContentType = new("application/fhir+json");
        var response = await client.PutAsync("/fhir/Location/from-url", content, TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(200, (await host.GetAsync("/fhir/Location/from-body")).Status);
        Assert.Equal(404, (await host.GetAsync("/fhir/Location/from-url")).Status);
    }
}
