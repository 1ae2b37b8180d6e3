using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace OneClickSuite.Emulators.Ihris.Tests;

public sealed class AuthTests
{
    [Fact]
    public async Task Token_is_issued_for_the_admin_and_refused_for_wrong_credentials()
    {
        await using var host = await IhrisHost.StartAsync();
        var ct = TestContext.Current.CancellationToken;

        var good = await host.Anonymous.PostAsJsonAsync("/auth/token",
            new { email = IhrisHost.AdminEmail, password = IhrisHost.AdminPassword }, ct);
        Assert.Equal(200, (int)good.StatusCode);
        var token = (string?)(await good.Content.ReadFromJsonAsync<JsonObject>(ct))!["access_token"];
        Assert.Equal(3, token!.Split('.').Length);

        var wrongPassword = await host.Anonymous.PostAsJsonAsync("/auth/token", new { email = IhrisHost.AdminEmail, password = "nope" }, ct);
        Assert.Equal(401, (int)wrongPassword.StatusCode);
        var unknownUser = await host.Anonymous.PostAsJsonAsync("/auth/token", new { email = "x@example.org", password = IhrisHost.AdminPassword }, ct);
        Assert.Equal(401, (int)unknownUser.StatusCode);
        var noBody = await host.Anonymous.PostAsync("/auth/token", new StringContent("{", System.Text.Encoding.UTF8, "application/json"), ct);
        Assert.Equal(401, (int)noBody.StatusCode);
    }

    [Fact]
    public async Task Fhir_requires_a_valid_bearer_token_but_metadata_and_config_are_public()
    {
        await using var host = await IhrisHost.StartAsync();
        var ct = TestContext.Current.CancellationToken;

        var anonymous = await host.Anonymous.GetAsync("/fhir/Practitioner", ct);
        Assert.Equal(401, (int)anonymous.StatusCode);
        var outcome = await anonymous.Content.ReadFromJsonAsync<JsonObject>(ct);
        Assert.Equal("OperationOutcome", (string?)outcome!["resourceType"]);
        Assert.Equal("Not logged in", (string?)outcome["issue"]![0]!["diagnostics"]);

        using var forged = new HttpRequestMessage(HttpMethod.Get, "/fhir/Practitioner");
        forged.Headers.Authorization = new("Bearer", "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjp7fX0.c2lnbmF0dXJl");
        Assert.Equal(401, (int)(await host.Anonymous.SendAsync(forged, ct)).StatusCode);

        var search = await host.GetOkAsync("/fhir/Practitioner");
        Assert.Equal("searchset", (string?)search["type"]);

        var metadata = await host.Anonymous.GetAsync("/fhir/metadata", ct);
        Assert.Equal(200, (int)metadata.StatusCode);
        var capabilities = await metadata.Content.ReadFromJsonAsync<JsonObject>(ct);
        Assert.Equal("CapabilityStatement", (string?)capabilities!["resourceType"]);
        Assert.Equal("4.0.1", (string?)capabilities["fhirVersion"]);

        var config = await host.Anonymous.GetAsync("/config/app", ct);
        Assert.Equal(200, (int)config.StatusCode);
        var app = await config.Content.ReadFromJsonAsync<JsonObject>(ct);
        Assert.Equal("ihris", (string?)app!["idp"]);
        Assert.EndsWith("/fhir", (string?)app["fhir"]!["base"]);
    }

    [Fact]
    public async Task Anonymous_fhir_can_be_switched_on_like_hapi_reached_directly()
    {
        await using var host = await IhrisHost.StartAsync(anonymousFhir: true);
        var response = await host.Anonymous.GetAsync("/fhir/Location", TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)response.StatusCode);
    }
}
