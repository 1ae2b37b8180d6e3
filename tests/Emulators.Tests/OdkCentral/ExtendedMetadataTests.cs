using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// X-Extended-Metadata answers, project verbs, roles, users and project updates (lib/resources/projects.js,
/// users.js, roles.js, forms.js; lib/model/query/*.js extended frames).
/// </summary>
public sealed class ExtendedMetadataTests : IAsyncLifetime
{
    private OdkHost _host = null!;
    private HttpClient _api = null!;
    private int _pid;

    public async ValueTask InitializeAsync()
    {
        _host = await OdkHost.StartAsync();
        _api = await _host.LoginAsync();
        _api.DefaultRequestHeaders.Add("X-Extended-Metadata", "true");
        var (_, project) = await SendAsync(_api, HttpMethod.Post, "projects", Json("""{"name":"extended"}"""));
        _pid = project!["id"]!.GetValue<int>();
        await SendAsync(_api, HttpMethod.Post, $"projects/{_pid}/datasets", Json("""{"name":"health_workers"}"""));
        await SendAsync(_api, HttpMethod.Post, $"projects/{_pid}/forms?publish=true", Xml(ChwForm));
        await SendAsync(_api, HttpMethod.Post, $"projects/{_pid}/forms/chw_activity/submissions", Xml(Submission("uuid:" + Guid.NewGuid(), 1)));
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_extended_project_counts_its_forms_app_users_and_lists_and_carries_verbs()
    {
        var (_, project) = await SendAsync(_api, HttpMethod.Get, $"projects/{_pid}");
        Assert.Equal(1, project!["forms"]!.GetValue<int>());
        Assert.Equal(1, project["datasets"]!.GetValue<int>());
        Assert.Equal(0, project["appUsers"]!.GetValue<int>());
        Assert.NotNull(project["lastSubmission"]);
        Assert.Contains(project["verbs"]!.AsArray(), v => v!.GetValue<string>() == "audit.read");
    }

    [Fact]
    public async Task Extended_forms_count_submissions_by_review_state_and_name_their_creator()
    {
        var (_, form) = await SendAsync(_api, HttpMethod.Get, $"projects/{_pid}/forms/chw_activity");
        Assert.Equal(1, form!["submissions"]!.GetValue<int>());
        Assert.Equal(1, form["reviewStates"]!["received"]!.GetValue<int>());
        Assert.Equal(AdminEmail, form["createdBy"]!["displayName"]!.GetValue<string>());
        Assert.True(form["entityRelated"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Extended_lists_count_entities_and_the_current_user_has_verbs_and_preferences()
    {
        var (_, lists) = await SendAsync(_api, HttpMethod.Get, $"projects/{_pid}/datasets");
        Assert.Equal(0, lists![0]!["entities"]!.GetValue<int>());
        var (_, user) = await SendAsync(_api, HttpMethod.Get, "users/current");
        Assert.NotNull(user!["preferences"]!["site"]);
        Assert.Equal(56, user["verbs"]!.AsArray().Count);
    }

    [Fact]
    public async Task Projects_list_with_verbs_roles_list_and_patch_updates_a_project()
    {
        var plain = _host.Anonymous();
        plain.DefaultRequestHeaders.Authorization = _api.DefaultRequestHeaders.Authorization;
        var (_, projects) = await SendAsync(plain, HttpMethod.Get, "projects");
        Assert.All(projects!.AsArray(), p => Assert.NotNull(p!["verbs"]));
        var (_, roles) = await SendAsync(plain, HttpMethod.Get, "roles");
        Assert.Contains(roles!.AsArray(), r => r!["system"]!.GetValue<string>() == "app-user" && r["id"]!.GetValue<int>() == 2);
        var (status, patched) = await SendAsync(plain, HttpMethod.Patch, $"projects/{_pid}", Json("""{"description":"d"}"""));
        Assert.Equal(200, status);
        Assert.Equal("d", patched!["description"]!.GetValue<string>());
        Assert.NotNull(patched["updatedAt"]);
        var (_, users) = await SendAsync(plain, HttpMethod.Get, "users");
        Assert.Contains(users!.AsArray(), u => u!["email"]!.GetValue<string>() == AdminEmail);
    }
}
