using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>Smaller upstream details found by comparing with a running Central.</summary>
public sealed class UpstreamDetailTests() : OdkProjectTests("""{"name":"details","description":"d"}""")
{
    protected override async Task SeedAsync()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"health_workers"}"""));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms?publish=true", Xml(ChwForm));
    }

    [Fact]
    public async Task An_OData_row_has_every_form_field_with_null_for_missing_ones()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms/chw_activity/submissions", Xml("<data id=\"chw_activity\" version=\"1\"><worker>w</worker></data>"));
        var (_, feed) = await SendAsync(Api, HttpMethod.Get, $"projects/{ProjectId}/forms/chw_activity.svc/Submissions");
        var row = feed!["value"]![0]!.AsObject();
        Assert.True(row.ContainsKey("period"));
        Assert.Null(row["period"]);
        Assert.True(row["meta"]!.AsObject().ContainsKey("instanceID"));
    }

    [Fact]
    public async Task A_filter_using_now_fails_as_it_does_upstream()
    {
        var (status, body) = await SendAsync(Api, HttpMethod.Get, $"projects/{ProjectId}/forms/chw_activity.svc/Submissions?$filter=" + Uri.EscapeDataString("__system/submissionDate lt now()"));
        Assert.Equal(500, status);
        Assert.Null(body!["code"]);
    }

    [Fact]
    public async Task A_null_review_state_clears_it_and_answers_the_row()
    {
        var id = "uuid:" + Guid.NewGuid();
        var url = $"projects/{ProjectId}/forms/chw_activity/submissions";
        await SendAsync(Api, HttpMethod.Post, url, Xml(Submission(id, 1)));
        await SendAsync(Api, HttpMethod.Patch, $"{url}/{id}", Json("""{"reviewState":"approved"}"""));
        var (status, body) = await SendAsync(Api, HttpMethod.Patch, $"{url}/{id}", Json("""{"reviewState":null}"""));
        Assert.Equal(200, status);
        Assert.True(body!.AsObject().ContainsKey("reviewState"));
        Assert.Null(body["reviewState"]);
    }

    [Fact]
    public async Task Entities_csv_takes_a_filter_and_answers_its_parse_errors()
    {
        var url = $"projects/{ProjectId}/datasets/health_workers/entities.csv";
        Assert.Equal(200, (await SendTextAsync(Api, HttpMethod.Get, url + "?$filter=" + Uri.EscapeDataString("__system/createdAt gt 2020-01-01"))).Status);
        var (status, body) = await SendAsync(Api, HttpMethod.Get, url + "?$filter=" + Uri.EscapeDataString("((("));
        Assert.Equal(400, status);
        Assert.Equal(400.18, body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Put_replaces_a_project_so_a_left_out_description_becomes_null()
    {
        var (status, body) = await SendAsync(Api, HttpMethod.Put, $"projects/{ProjectId}", Json("""{"name":"renamed"}"""));
        Assert.Equal(200, status);
        Assert.Equal("renamed", body!["name"]!.GetValue<string>());
        Assert.Null(body["description"]);
    }

    [Fact]
    public async Task An_OData_single_row_answers_a_one_row_value_and_404_for_an_unknown_id()
    {
        var id = "uuid:" + Guid.NewGuid();
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms/chw_activity/submissions", Xml(Submission(id, 4)));
        var (status, body) = await SendAsync(Api, HttpMethod.Get, $"projects/{ProjectId}/forms/chw_activity.svc/Submissions('{id}')");
        Assert.Equal(200, status);
        Assert.Equal(id, Assert.Single(body!["value"]!.AsArray())!["__id"]!.GetValue<string>());
        Assert.Equal(404.1, (await SendAsync(Api, HttpMethod.Get, $"projects/{ProjectId}/forms/chw_activity.svc/Submissions('uuid:nope')")).Body!["code"]!.GetValue<double>());
    }
}
