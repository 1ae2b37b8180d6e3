using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// Form versions and reads (lib/resources/forms.js formResource, lib/model/query/forms.js getVersions) and entity
/// bodies read the way JavaScript reads them (lib/data/entity.js extractEntity / extractBulkSource).
/// </summary>
public sealed class FormAndEntityBodyTests() : OdkProjectTests("""{"name":"forms"}""")
{
    protected override async Task SeedAsync()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"health_workers"}"""));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/health_workers/properties", Json("""{"name":"cadre"}"""));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms?publish=true", Xml(ChwForm));
    }

    [Fact]
    public async Task Form_versions_list_published_versions_newest_first_and_read_each_alone()
    {
        var form = $"projects/{ProjectId}/forms/chw_activity";
        await SendAsync(Api, HttpMethod.Post, $"{form}/draft", Xml(ChwForm.Replace("version=\"1\"", "version=\"2\"")));
        await SendAsync(Api, HttpMethod.Post, $"{form}/draft/publish");
        var (_, versions) = await SendAsync(Api, HttpMethod.Get, $"{form}/versions");
        Assert.Equal(["2", "1"], versions!.AsArray().Select(v => v!["version"]!.GetValue<string>()).ToArray());
        var (status, one) = await SendAsync(Api, HttpMethod.Get, $"{form}/versions/1");
        Assert.Equal(200, status);
        Assert.Equal("1", one!["version"]!.GetValue<string>());
        var (xmlStatus, xml) = await SendTextAsync(Api, HttpMethod.Get, $"{form}/versions/1.xml");
        Assert.Equal(200, xmlStatus);
        Assert.Contains("version=\"1\"", xml);
        Assert.Equal(404.1, (await SendAsync(Api, HttpMethod.Get, $"{form}/versions/99")).Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_draft_only_form_reads_as_its_draft_and_text_that_is_no_xform_is_400_2()
    {
        var simple = ChwForm.Replace("id=\"chw_activity\"", "id=\"draft_only\"");
        Assert.Equal(200, (await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms", Xml(simple))).Status);
        var (status, xml) = await SendTextAsync(Api, HttpMethod.Get, $"projects/{ProjectId}/forms/draft_only.xml");
        Assert.Equal(200, status);
        Assert.Contains("draft_only", xml);
        var notXml = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms", Xml("this is not xml"));
        Assert.Equal(400.2, notXml.Body!["code"]!.GetValue<double>());
        Assert.Equal("formId", notXml.Body["details"]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_app_user_assigned_to_a_form_can_read_it_and_its_fields()
    {
        var (_, appUser) = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/app-users", Json("""{"displayName":"t"}"""));
        var app = Host.Anonymous();
        app.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", appUser!["token"]!.GetValue<string>());
        Assert.Equal(403.1, (await SendAsync(app, HttpMethod.Get, $"projects/{ProjectId}/forms/chw_activity")).Body!["code"]!.GetValue<double>());
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms/chw_activity/assignments/app-user/{appUser["id"]}");
        Assert.Equal(200, (await SendAsync(app, HttpMethod.Get, $"projects/{ProjectId}/forms/chw_activity")).Status);
        var (_, fields) = await SendAsync(app, HttpMethod.Get, $"projects/{ProjectId}/forms/chw_activity/fields?odata=true");
        Assert.Contains(fields!.AsArray(), f => f!["path"]!.GetValue<string>() == "/meta/instanceID");
        Assert.Equal(404.1, (await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms/chw_activity/assignments/nope/{appUser["id"]}")).Body!["code"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("""{"label":"A","data":[]}""", 200, 0)]
    [InlineData("""{"label":"A","data":"x"}""", 400, 400.28)]
    [InlineData("""{"label":"A","data":5}""", 200, 0)]
    [InlineData("""{"label":"A","uuid":0,"data":{}}""", 200, 0)]
    [InlineData("""{"label":"A","uuid":5,"data":{}}""", 400, 400.11)]
    public async Task Entity_bodies_are_read_as_JavaScript_reads_them(string body, int status, double code)
    {
        var answer = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/health_workers/entities", Json(body));
        Assert.Equal(status, answer.Status);
        if (code > 0) Assert.Equal(code, answer.Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_bulk_entry_that_is_not_an_object_and_a_bad_source_are_refused_like_upstream()
    {
        var url = $"projects/{ProjectId}/datasets/health_workers/entities";
        Assert.Equal(400.31, (await SendAsync(Api, HttpMethod.Post, url, Json("""{"entities":["x"],"source":{"name":"f"}}"""))).Body!["code"]!.GetValue<double>());
        var name = await SendAsync(Api, HttpMethod.Post, url, Json("""{"entities":[{"label":"a"}],"source":{"name":5}}"""));
        Assert.Equal("number", name.Body!["details"]!["value"]!.GetValue<string>());
        Assert.Equal(400.2, (await SendAsync(Api, HttpMethod.Post, url, Json("""{"entities":[{"label":"a"}]}"""))).Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Resolving_an_entity_without_a_conflict_is_400_32()
    {
        var uuid = Guid.NewGuid();
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/health_workers/entities", Json($$"""{"uuid":"{{uuid}}","label":"A"}"""));
        var (status, body) = await SendAsync(Api, HttpMethod.Patch, $"projects/{ProjectId}/datasets/health_workers/entities/{uuid}?resolve=true&baseVersion=1", Json("{}"));
        Assert.Equal(400, status);
        Assert.Equal(400.32, body!["code"]!.GetValue<double>());
    }
}
