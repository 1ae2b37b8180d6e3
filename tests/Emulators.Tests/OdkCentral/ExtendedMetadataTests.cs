using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// X-Extended-Metadata answers, project verbs, roles, users and project updates (lib/resources/projects.js,
/// users.js, roles.js, forms.js; lib/model/query/*.js extended frames).
/// </summary>
public sealed class ExtendedMetadataTests() : OdkProjectTests("""{"name":"extended"}""")
{
    protected override async Task SeedAsync()
    {
        Api.DefaultRequestHeaders.Add("X-Extended-Metadata", "true");
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"health_workers"}"""));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms?publish=true", Xml(ChwForm));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms/chw_activity/submissions", Xml(Submission("uuid:" + Guid.NewGuid(), 1)));
    }

    [Fact]
    public async Task An_extended_project_counts_its_forms_app_users_and_lists_and_carries_verbs()
    {
        var (_, project) = await SendAsync(Api, HttpMethod.Get, $"projects/{ProjectId}");
        Assert.Equal(1, project!["forms"]!.GetValue<int>());
        Assert.Equal(1, project["datasets"]!.GetValue<int>());
        Assert.Equal(0, project["appUsers"]!.GetValue<int>());
        Assert.NotNull(project["lastSubmission"]);
        Assert.Contains(project["verbs"]!.AsArray(), v => v!.GetValue<string>() == "audit.read");
    }

    [Fact]
    public async Task Extended_forms_count_submissions_by_review_state_and_name_their_creator()
    {
        var (_, form) = await SendAsync(Api, HttpMethod.Get, $"projects/{ProjectId}/forms/chw_activity");
        Assert.Equal(1, form!["submissions"]!.GetValue<int>());
        Assert.Equal(1, form["reviewStates"]!["received"]!.GetValue<int>());
        Assert.Equal(AdminEmail, form["createdBy"]!["displayName"]!.GetValue<string>());
        Assert.True(form["entityRelated"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Extended_lists_count_entities_and_the_current_user_has_verbs_and_preferences()
    {
        var (_, lists) = await SendAsync(Api, HttpMethod.Get, $"projects/{ProjectId}/datasets");
        Assert.Equal(0, lists![0]!["entities"]!.GetValue<int>());
        var (_, user) = await SendAsync(Api, HttpMethod.Get, "users/current");
        Assert.NotNull(user!["preferences"]!["site"]);
        Assert.Equal(56, user["verbs"]!.AsArray().Count);
    }

    [Fact]
    public async Task Projects_list_with_verbs_roles_list_and_patch_updates_a_project()
    {
        var plain = Host.Anonymous();
        plain.DefaultRequestHeaders.Authorization = Api.DefaultRequestHeaders.Authorization;
        var (_, projects) = await SendAsync(plain, HttpMethod.Get, "projects");
        Assert.All(projects!.AsArray(), p => Assert.NotNull(p!["verbs"]));
        var (_, roles) = await SendAsync(plain, HttpMethod.Get, "roles");
        Assert.Contains(roles!.AsArray(), r => r!["system"]!.GetValue<string>() == "app-user" && r["id"]!.GetValue<int>() == 2);
        var (status, patched) = await SendAsync(plain, HttpMethod.Patch, $"projects/{ProjectId}", Json("""{"description":"d"}"""));
        Assert.Equal(200, status);
        Assert.Equal("d", patched!["description"]!.GetValue<string>());
        Assert.NotNull(patched["updatedAt"]);
        var (_, users) = await SendAsync(plain, HttpMethod.Get, "users");
        Assert.Contains(users!.AsArray(), u => u!["email"]!.GetValue<string>() == AdminEmail);
    }
}
