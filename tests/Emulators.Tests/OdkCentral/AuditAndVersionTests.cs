using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// The audit log (lib/resources/audits.js, lib/model/query/audits.js) and entity versions/diffs
/// (lib/resources/entities.js, lib/data/entity.js getWithConflictDetails / diffEntityData).
/// </summary>
public sealed class AuditAndVersionTests() : OdkProjectTests("""{"name":"audits"}""")
{
    protected override async Task SeedAsync()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"health_workers"}"""));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/health_workers/properties", Json("""{"name":"cadre"}"""));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms?publish=true", Xml(ChwForm));
    }

    private async Task<JsonArray> AuditsAsync(string query = "")
    {
        var (status, body) = await SendAsync(Api, HttpMethod.Get, "audits" + query);
        Assert.Equal(200, status);
        return body!.AsArray();
    }

    [Fact]
    public async Task Actions_are_logged_newest_first_with_Centrals_details()
    {
        var id = "uuid:" + Guid.NewGuid();
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms/chw_activity/submissions", Xml(Submission(id, 1)));
        await SendAsync(Api, HttpMethod.Delete, $"projects/{ProjectId}/forms/chw_activity/submissions/{id}");

        var audits = await AuditsAsync();
        Assert.Equal("submission.delete", audits[0]!["action"]!.GetValue<string>());
        Assert.Equal(["instanceId", "submissionId"], audits[0]!["details"]!.AsObject().Select(p => p.Key).Order().ToArray());
        Assert.Equal("submission.create", audits[1]!["action"]!.GetValue<string>());
        Assert.Equal(["instanceId", "submissionDefId", "submissionId"], audits[1]!["details"]!.AsObject().Select(p => p.Key).Order().ToArray());
        Assert.Equal(audits[0]!["acteeId"]!.GetValue<string>(), audits[1]!["acteeId"]!.GetValue<string>());
        Assert.Contains(audits, a => a!["action"]!.GetValue<string>() == "project.create");
        Assert.Contains(audits, a => a!["action"]!.GetValue<string>() == "dataset.create");
        Assert.Contains(audits, a => a!["action"]!.GetValue<string>() == "user.session.create");
    }

    [Fact]
    public async Task Audits_filter_by_action_group_and_page_with_limit_and_offset()
    {
        var uuid = Guid.NewGuid();
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/health_workers/entities", Json($$"""{"uuid":"{{uuid}}","label":"A","data":{"cadre":"x"} }"""));
        var entities = await AuditsAsync("?action=entity.create");
        var created = Assert.Single(entities);
        Assert.Equal(uuid.ToString(), created!["details"]!["entity"]!["uuid"]!.GetValue<string>());
        Assert.DoesNotContain(await AuditsAsync("?action=nonverbose"), a => a!["action"]!.GetValue<string>() == "entity.create");
        Assert.All(await AuditsAsync("?action=dataset"), a => Assert.StartsWith("dataset.", a!["action"]!.GetValue<string>()));
        Assert.Single(await AuditsAsync("?limit=1"));
        Assert.Empty(await AuditsAsync("?start=2100-01-01"));
        Assert.Equal(500, (await SendAsync(Api, HttpMethod.Get, "audits?start=nope")).Status);
    }

    [Fact]
    public async Task Audits_are_for_web_users_only()
    {
        Assert.Equal(401.2, (await SendAsync(Host.Anonymous(), HttpMethod.Get, "audits")).Body!["code"]!.GetValue<double>());
        var (_, appUser) = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/app-users", Json("""{"displayName":"t"}"""));
        var app = Host.Anonymous();
        app.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", appUser!["token"]!.GetValue<string>());
        Assert.Equal(403.1, (await SendAsync(app, HttpMethod.Get, "audits")).Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Entity_versions_diffs_and_audits_follow_each_update()
    {
        var uuid = Guid.NewGuid();
        var url = $"projects/{ProjectId}/datasets/health_workers/entities/{uuid}";
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/health_workers/entities", Json($$"""{"uuid":"{{uuid}}","label":"A","data":{"cadre":"x"} }"""));
        await SendAsync(Api, HttpMethod.Patch, $"{url}?baseVersion=1", Json("""{"data":{"cadre":"y"}}"""));

        var (_, versions) = await SendAsync(Api, HttpMethod.Get, $"{url}/versions");
        Assert.Equal([1, 2], versions!.AsArray().Select(v => v!["version"]!.GetValue<int>()).ToArray());
        Assert.Equal("cadre", versions[1]!["baseDiff"]![0]!.GetValue<string>());
        Assert.True(versions[1]!["lastGoodVersion"]!.GetValue<bool>());
        Assert.False(versions[0]!["lastGoodVersion"]!.GetValue<bool>());
        Assert.Empty((await SendAsync(Api, HttpMethod.Get, $"{url}/versions?relevantToConflict=true")).Body!.AsArray());

        var (_, diffs) = await SendAsync(Api, HttpMethod.Get, $"{url}/diffs");
        var change = Assert.Single(Assert.Single(diffs!.AsArray())!.AsArray());
        Assert.Equal("x", change!["old"]!.GetValue<string>());
        Assert.Equal("y", change["new"]!.GetValue<string>());

        var (_, audits) = await SendAsync(Api, HttpMethod.Get, $"{url}/audits");
        Assert.Equal(["entity.update.version", "entity.create"], audits!.AsArray().Select(a => a!["action"]!.GetValue<string>()).ToArray());
        Assert.NotNull(audits[0]!["actor"]);
        Assert.NotNull(audits[0]!["details"]!["source"]);

        Assert.Equal(404.1, (await SendAsync(Api, HttpMethod.Get, $"projects/{ProjectId}/datasets/health_workers/entities/{Guid.NewGuid()}/versions")).Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Submission_audits_list_the_events_of_that_submission()
    {
        var id = "uuid:" + Guid.NewGuid();
        var form = $"projects/{ProjectId}/forms/chw_activity/submissions";
        await SendAsync(Api, HttpMethod.Post, form, Xml(Submission(id, 1)));
        await SendAsync(Api, HttpMethod.Patch, $"{form}/{id}", Json("""{"reviewState":"approved"}"""));
        var (_, audits) = await SendAsync(Api, HttpMethod.Get, $"{form}/{id}/audits");
        Assert.Equal(["submission.update", "submission.create"], audits!.AsArray().Select(a => a!["action"]!.GetValue<string>()).ToArray());
        Assert.Equal("approved", audits[0]!["details"]!["reviewState"]!.GetValue<string>());
    }
}
