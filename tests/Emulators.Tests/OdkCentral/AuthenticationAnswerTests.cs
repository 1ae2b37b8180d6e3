using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// How Central answers requests without (valid) credentials: lib/http/preprocessors.js authHandler runs inside
/// every endpoint but the anonymous ones, after the route matched and after the OpenRosa/OData checks.
/// </summary>
public sealed class AuthenticationAnswerTests() : OdkProjectTests("""{"name":"auth"}""")
{
    [Theory]
    [InlineData("GET", "users/current")]
    [InlineData("GET", "projects")]
    [InlineData("GET", "projects/{pid}")]
    [InlineData("GET", "projects/999999")]
    [InlineData("GET", "projects/{pid}/forms")]
    [InlineData("GET", "projects/{pid}/datasets/nope")]
    [InlineData("GET", "projects/{pid}/datasets/nope/entities")]
    [InlineData("POST", "projects")]
    [InlineData("GET", "projects/{pid}/forms/nope/submissions")]
    [InlineData("GET", "projects/{pid}/forms/nope.svc/Submissions")]
    [InlineData("GET", "audits")]
    public async Task A_request_without_credentials_is_401_2_even_for_missing_resources(string method, string path)
    {
        var (status, body) = await SendAsync(Host.Anonymous(), new HttpMethod(method), path.Replace("{pid}", ProjectId.ToString()),
            method == "POST" ? Json("{}") : null);
        Assert.Equal(401, status);
        Assert.Equal(401.2, body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task An_unknown_bearer_token_is_401_2_and_an_unknown_route_stays_404_1()
    {
        var client = Host.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", new string('x', 64));
        Assert.Equal(401.2, (await SendAsync(client, HttpMethod.Get, "projects")).Body!["code"]!.GetValue<double>());
        Assert.Equal(404.1, (await SendAsync(client, HttpMethod.Get, "nothing/here")).Body!["code"]!.GetValue<double>());
        Assert.Equal(404.1, (await SendAsync(Host.Anonymous(), HttpMethod.Get, "nothing")).Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task The_anonymous_endpoints_answer_without_credentials()
    {
        Assert.Equal(200, (await SendAsync(Host.Anonymous(), HttpMethod.Get, "config/public")).Status);
        var (status, body) = await SendAsync(Host.Anonymous(), HttpMethod.Post, "sessions", Json("{}"));
        Assert.Equal(400.3, body!["code"]!.GetValue<double>());
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task OpenRosa_endpoints_answer_the_missing_credentials_in_xml_after_the_header_check()
    {
        var noHeader = await SendTextAsync(Host.Anonymous(), HttpMethod.Get, $"projects/{ProjectId}/formList");
        Assert.Equal(400, noHeader.Status);
        Assert.Contains("X-OpenRosa-Version", noHeader.Text);

        var (status, text) = await SendTextAsync(Host.Anonymous(), HttpMethod.Get, $"projects/{ProjectId}/formList",
            configure: r => r.Headers.Add("X-OpenRosa-Version", "1.0"));
        Assert.Equal(401, status);
        Assert.Contains("<OpenRosaResponse", text);
    }

    [Fact]
    public async Task A_malformed_key_path_token_is_401_and_a_well_formed_unknown_one_403()
    {
        var malformed = await SendTextAsync(Host.Anonymous(), HttpMethod.Get, $"key/short/projects/{ProjectId}/formList",
            configure: r => r.Headers.Add("X-OpenRosa-Version", "1.0"));
        Assert.Equal(401, malformed.Status);
        var unknown = await SendTextAsync(Host.Anonymous(), HttpMethod.Get, $"key/{new string('y', 64)}/projects/{ProjectId}/formList",
            configure: r => r.Headers.Add("X-OpenRosa-Version", "1.0"));
        Assert.Equal(403, unknown.Status);
        Assert.Contains("<OpenRosaResponse", unknown.Text);
    }

    [Fact]
    public async Task A_web_user_token_in_a_key_path_is_403_1()
    {
        var token = Api.DefaultRequestHeaders.Authorization!.Parameter!;
        var (status, _) = await SendAsync(Host.Anonymous(), HttpMethod.Get, $"key/{token}/projects/{ProjectId}/forms");
        Assert.Equal(403, status);
    }

    [Fact]
    public async Task An_app_user_lists_no_projects_and_has_no_current_user()
    {
        var (_, appUser) = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/app-users", Json("""{"displayName":"tablet"}"""));
        var app = Host.Anonymous();
        app.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", appUser!["token"]!.GetValue<string>());
        var (status, projects) = await SendAsync(app, HttpMethod.Get, "projects");
        Assert.Equal(200, status);
        Assert.Empty(projects!.AsArray());
        Assert.Equal(404.1, (await SendAsync(app, HttpMethod.Get, "users/current")).Body!["code"]!.GetValue<double>());
        Assert.Equal(403.1, (await SendAsync(app, HttpMethod.Get, $"projects/{ProjectId}/app-users")).Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Deleting_an_unknown_session_token_is_403_1()
    {
        var (status, body) = await SendAsync(Api, HttpMethod.Delete, "sessions/" + new string('z', 64));
        Assert.Equal(403, status);
        Assert.Equal(403.1, body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_project_id_that_is_not_a_number_is_400_11_once_authenticated()
    {
        var (status, body) = await SendAsync(Api, HttpMethod.Get, "projects/abc");
        Assert.Equal(400, status);
        Assert.Equal("abc", body!["details"]!["value"]!.GetValue<string>());
        Assert.Equal(401, (await SendAsync(Host.Anonymous(), HttpMethod.Get, "projects/abc")).Status);
    }
}
