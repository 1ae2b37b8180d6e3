using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// The bodies Central answers for submissions (lib/model/frames/submission.js readable fields,
/// lib/model/query/submissions.js createNew/_get/_getDef, lib/util/db.js updater).
/// </summary>
public sealed class SubmissionShapeTests() : OdkProjectTests("""{"name":"shapes"}""")
{
    private string _form = "";

    protected override async Task SeedAsync()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"health_workers"}"""));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms?publish=true", Xml(ChwForm));
        _form = $"projects/{ProjectId}/forms/chw_activity";
    }

    private static string[] Keys(JsonNode? node) => node!.AsObject().Select(p => p.Key).Order().ToArray();

    [Fact]
    public async Task A_created_submission_has_its_current_version_and_no_review_state_or_deletedAt()
    {
        var id = "uuid:" + Guid.NewGuid();
        var (status, body) = await SendAsync(Api, HttpMethod.Post, $"{_form}/submissions", Xml(Submission(id, 1)));
        Assert.Equal(200, status);
        Assert.Equal(["createdAt", "currentVersion", "deviceId", "instanceId", "submitterId", "updatedAt", "userAgent"], Keys(body));
        Assert.Equal(["createdAt", "current", "deviceId", "instanceId", "instanceName", "submitterId", "userAgent"], Keys(body!["currentVersion"]));
        Assert.Equal(id, body["currentVersion"]!["instanceId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_read_submission_adds_review_state_and_deletedAt_and_extended_metadata_adds_submitters()
    {
        var id = "uuid:" + Guid.NewGuid();
        await SendAsync(Api, HttpMethod.Post, $"{_form}/submissions", Xml(Submission(id, 1)));
        var (_, body) = await SendAsync(Api, HttpMethod.Get, $"{_form}/submissions/{id}");
        Assert.Equal(["createdAt", "currentVersion", "deletedAt", "deviceId", "instanceId", "reviewState", "submitterId", "updatedAt", "userAgent"], Keys(body));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_form}/submissions/{id}");
        request.Headers.Add("X-Extended-Metadata", "true");
        using var response = await Api.SendAsync(request, TestContext.Current.CancellationToken);
        var extended = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("user", extended!["submitter"]!["type"]!.GetValue<string>());
        Assert.NotNull(extended["currentVersion"]!["submitter"]);
    }

    [Fact]
    public async Task A_review_answers_the_row_without_userAgent_and_an_empty_patch_answers_an_empty_object()
    {
        var id = "uuid:" + Guid.NewGuid();
        await SendAsync(Api, HttpMethod.Post, $"{_form}/submissions", Xml(Submission(id, 1)));
        var (_, reviewed) = await SendAsync(Api, HttpMethod.Patch, $"{_form}/submissions/{id}", Json("""{"reviewState":"approved"}"""));
        Assert.Equal(["createdAt", "deletedAt", "deviceId", "instanceId", "reviewState", "submitterId", "updatedAt"], Keys(reviewed));
        var (status, empty) = await SendAsync(Api, HttpMethod.Patch, $"{_form}/submissions/{id}", Json("{}"));
        Assert.Equal(200, status);
        Assert.Empty(empty!.AsObject());
    }

    [Fact]
    public async Task Versions_list_every_version_newest_first_and_each_reads_alone_and_as_xml()
    {
        var id = "uuid:" + Guid.NewGuid();
        var edit = "uuid:" + Guid.NewGuid();
        await SendAsync(Api, HttpMethod.Post, $"{_form}/submissions", Xml(Submission(id, 1)));
        Assert.Equal(200, (await SendAsync(Api, HttpMethod.Put, $"{_form}/submissions/{id}", Xml(Submission(edit, 2, deprecatedId: id)))).Status);

        var (_, versions) = await SendAsync(Api, HttpMethod.Get, $"{_form}/submissions/{id}/versions");
        Assert.Equal([edit, id], versions!.AsArray().Select(v => v!["instanceId"]!.GetValue<string>()).ToArray());
        Assert.True(versions[0]!["current"]!.GetValue<bool>());
        Assert.False(versions[1]!["current"]!.GetValue<bool>());

        var (status, first) = await SendAsync(Api, HttpMethod.Get, $"{_form}/submissions/{id}/versions/{id}");
        Assert.Equal(200, status);
        Assert.Equal(id, first!["instanceId"]!.GetValue<string>());
        var (xmlStatus, xml) = await SendTextAsync(Api, HttpMethod.Get, $"{_form}/submissions/{id}/versions/{id}.xml");
        Assert.Equal(200, xmlStatus);
        Assert.Contains("<households_visited>1</households_visited>", xml);
        var (_, current) = await SendTextAsync(Api, HttpMethod.Get, $"{_form}/submissions/{id}.xml");
        Assert.Contains("<households_visited>2</households_visited>", current);
        Assert.Equal(404, (await SendAsync(Api, HttpMethod.Get, $"{_form}/submissions/uuid:nope/versions")).Status);
    }

    [Fact]
    public async Task A_submission_without_instanceID_gets_one_and_text_that_is_not_xml_is_400_2()
    {
        var (status, body) = await SendAsync(Api, HttpMethod.Post, $"{_form}/submissions",
            Xml("<data id=\"chw_activity\" version=\"1\"><worker>w</worker></data>"));
        Assert.Equal(200, status);
        Assert.True(Guid.TryParse(body!["instanceId"]!.GetValue<string>(), out _));
        var notXml = await SendAsync(Api, HttpMethod.Post, $"{_form}/submissions", Xml("nope"));
        Assert.Equal(400.2, notXml.Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task The_form_of_the_url_is_looked_up_first_then_the_form_id_of_the_xml_must_match()
    {
        var id = "uuid:" + Guid.NewGuid();
        var other = Submission(id, 1).Replace("id=\"chw_activity\"", "id=\"other\"");
        var mismatch = await SendAsync(Api, HttpMethod.Post, $"{_form}/submissions", Xml(other));
        Assert.Equal(400.8, mismatch.Body!["code"]!.GetValue<double>());
        var missing = await SendAsync(Api, HttpMethod.Post, _form.Replace("chw_activity", "nope") + "/submissions", Xml(Submission(id, 1)));
        Assert.Equal(404.1, missing.Body!["code"]!.GetValue<double>());
    }
}
