using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// Deleting and restoring submissions as central-backend v2026.2 does (lib/resources/submissions.js delete/restore,
/// lib/model/query/submissions.js, lib/data/odata-filter.js odataExcludeDeleted).
/// </summary>
public sealed class DeletedSubmissionTests() : OdkProjectTests("""{"name":"deleted submissions"}""")
{
    private string _form = "";

    protected override async Task SeedAsync()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"health_workers"}"""));
        var (status, form) = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms?publish=true", Xml(ChwForm));
        Assert.True(status == 200, form?.ToJsonString());
        _form = $"projects/{ProjectId}/forms/chw_activity";
    }

    private async Task<string> SubmitAsync()
    {
        var id = "uuid:" + Guid.NewGuid();
        var (status, body) = await SendAsync(Api, HttpMethod.Post, $"{_form}/submissions", Xml(Submission(id, 2)));
        Assert.True(status == 200, body?.ToJsonString());
        return id;
    }

    private async Task<JsonArray> FeedAsync(string filter = "")
    {
        var url = $"{_form}.svc/Submissions" + (filter.Length == 0 ? "" : "?$filter=" + Uri.EscapeDataString(filter));
        var (status, body) = await SendAsync(Api, HttpMethod.Get, url);
        Assert.Equal(200, status);
        return body!["value"]!.AsArray();
    }

    private static bool Has(JsonArray rows, string id, string key = "__id") => rows.Any(r => r![key]!.GetValue<string>() == id);

    [Fact]
    public async Task Delete_answers_success_and_hides_the_submission_from_list_feed_and_get()
    {
        var keep = await SubmitAsync();
        var gone = await SubmitAsync();
        var (status, body) = await SendAsync(Api, HttpMethod.Delete, $"{_form}/submissions/{gone}");
        Assert.Equal(200, status);
        Assert.True(body!["success"]!.GetValue<bool>());

        var (_, list) = await SendAsync(Api, HttpMethod.Get, $"{_form}/submissions");
        Assert.False(Has(list!.AsArray(), gone, "instanceId"));
        Assert.True(Has(list.AsArray(), keep, "instanceId"));
        var feed = await FeedAsync();
        Assert.False(Has(feed, gone));
        Assert.True(Has(feed, keep));

        var get = await SendAsync(Api, HttpMethod.Get, $"{_form}/submissions/{gone}");
        Assert.Equal(404.1, get.Body!["code"]!.GetValue<double>());
        var again = await SendAsync(Api, HttpMethod.Delete, $"{_form}/submissions/{gone}");
        Assert.Equal(404.1, again.Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_deletedAt_filter_lists_deleted_rows_with_deletedAt_set_and_updatedAt_unchanged()
    {
        var gone = await SubmitAsync();
        var live = await SubmitAsync();
        await SendAsync(Api, HttpMethod.Delete, $"{_form}/submissions/{gone}");

        var deleted = await FeedAsync("__system/deletedAt ne null");
        var row = Assert.Single(deleted);
        Assert.Equal(gone, row!["__id"]!.GetValue<string>());
        Assert.NotNull(row["__system"]!["deletedAt"]);
        Assert.Null(row["__system"]!["updatedAt"]);

        Assert.True(Has(await FeedAsync("__system/deletedAt gt 2020-01-01T00:00:00Z"), gone));
        var notDeleted = await FeedAsync("__system/deletedAt eq null");
        Assert.False(Has(notDeleted, gone));
        Assert.True(Has(notDeleted, live));
    }

    [Fact]
    public async Task The_rest_list_with_deleted_true_shows_only_deleted_submissions()
    {
        var gone = await SubmitAsync();
        var live = await SubmitAsync();
        await SendAsync(Api, HttpMethod.Delete, $"{_form}/submissions/{gone}");
        var (_, list) = await SendAsync(Api, HttpMethod.Get, $"{_form}/submissions?deleted=true");
        Assert.True(Has(list!.AsArray(), gone, "instanceId"));
        Assert.False(Has(list.AsArray(), live, "instanceId"));
    }

    [Fact]
    public async Task Restore_brings_a_deleted_submission_back_and_404s_when_it_is_not_deleted()
    {
        var id = await SubmitAsync();
        Assert.Equal(404.1, (await SendAsync(Api, HttpMethod.Post, $"{_form}/submissions/{id}/restore")).Body!["code"]!.GetValue<double>());
        await SendAsync(Api, HttpMethod.Delete, $"{_form}/submissions/{id}");
        var (status, body) = await SendAsync(Api, HttpMethod.Post, $"{_form}/submissions/{id}/restore");
        Assert.Equal(200, status);
        Assert.True(body!["success"]!.GetValue<bool>());
        var (getStatus, sub) = await SendAsync(Api, HttpMethod.Get, $"{_form}/submissions/{id}");
        Assert.Equal(200, getStatus);
        Assert.Null(sub!["deletedAt"]);
        Assert.Null(sub["updatedAt"]);
        Assert.True(Has(await FeedAsync(), id));
    }

    [Fact]
    public async Task A_deleted_instance_id_cannot_be_submitted_again()
    {
        var id = await SubmitAsync();
        await SendAsync(Api, HttpMethod.Delete, $"{_form}/submissions/{id}");
        var (status, body) = await SendAsync(Api, HttpMethod.Post, $"{_form}/submissions", Xml(Submission(id, 2)));
        Assert.Equal(409, status);
        Assert.Equal(409.3, body!["code"]!.GetValue<double>());
    }
}
