using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// OData query options as Central validates them: lib/http/endpoint.js odataPreprocessor, lib/util/db.js
/// QueryOptions.fromODataRequest(Entities)/parseSkiptoken, lib/formats/odata.js filterFields/countOnlyToOData,
/// lib/data/entity.js streamEntityOdata, and the SQL failures of LIMIT/OFFSET (lib/util/db.js).
/// </summary>
public sealed class ODataOptionTests() : OdkProjectTests("""{"name":"odata"}""")
{
    private string _feed = "";
    private string _entities = "";

    protected override async Task SeedAsync()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"health_workers"}"""));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/health_workers/properties", Json("""{"name":"cadre"}"""));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms?publish=true", Xml(ChwForm));
        for (var i = 0; i < 3; i++)
        {
            await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms/chw_activity/submissions", Xml(Submission("uuid:" + Guid.NewGuid(), i)));
            await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/health_workers/entities", Json("""{"label":"W","data":{"cadre":"CHW"}}"""));
        }
        _feed = $"projects/{ProjectId}/forms/chw_activity.svc/Submissions";
        _entities = $"projects/{ProjectId}/datasets/health_workers.svc/Entities";
    }

    private Task<(int Status, JsonNode? Body)> Get(string url) => SendAsync(Api, HttpMethod.Get, url);

    private static string Token(string json) => "01" + Convert.ToBase64String(Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("$top=abc")]
    [InlineData("$skip=abc")]
    public async Task A_top_or_skip_that_is_not_a_number_is_400_11_in_both_feeds(string option)
    {
        foreach (var url in new[] { _feed, _entities })
        {
            var (status, body) = await Get($"{url}?{option}");
            Assert.Equal(400, status);
            Assert.Equal(400.11, body!["code"]!.GetValue<double>());
            Assert.Equal("NaN", body["details"]!["value"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData("$top=-1")]
    [InlineData("$skip=-1")]
    public async Task A_negative_top_or_skip_is_a_bare_500(string option)
    {
        var (status, body) = await Get($"{_feed}?{option}");
        Assert.Equal(500, status);
        Assert.Null(body!["code"]);
        Assert.Equal("Internal Server Error", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_fractional_top_counts_as_its_integer_part()
    {
        var (_, body) = await Get($"{_feed}?$top=1.5");
        Assert.Single(body!["value"]!.AsArray());
        Assert.NotNull(body["@odata.nextLink"]);
    }

    [Fact]
    public async Task Unknown_query_options_are_501_1_and_expand_other_than_star_501_6()
    {
        var (status, body) = await Get($"{_feed}?foo=1");
        Assert.Equal(501, status);
        Assert.Equal("foo", body!["details"]!["feature"]!.GetValue<string>());
        Assert.Equal(501.6, (await Get($"{_feed}?$expand=x")).Body!["code"]!.GetValue<double>());
        Assert.Equal(501.11, (await Get($"{_feed}?$expand=*&$select=__id")).Body!["code"]!.GetValue<double>());
        Assert.Equal(406.1, (await Get($"{_feed}?$format=xml")).Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Orderby_with_a_skiptoken_is_501_1_in_both_feeds()
    {
        Assert.Equal(501.1, (await Get($"{_feed}?$orderby=__system/submissionDate&$skiptoken={Token("{\"instanceId\":\"x\"}")}")).Body!["code"]!.GetValue<double>());
        Assert.Equal(501.1, (await Get($"{_entities}?$orderby=__system/createdAt&$skiptoken={Token("{\"uuid\":\"x\"}")}")).Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Skiptokens_that_do_not_parse_are_400_35_and_ones_without_their_key_a_bare_500()
    {
        Assert.Equal(400.35, (await Get($"{_feed}?$skiptoken=garbage")).Body!["code"]!.GetValue<double>());
        Assert.Equal(400.35, (await Get($"{_entities}?$skiptoken=01garbage")).Body!["code"]!.GetValue<double>());
        Assert.Equal(500, (await Get($"{_feed}?$skiptoken={Token("{\"x\":1}")}")).Status);
        Assert.Equal(500, (await Get($"{_entities}?$skiptoken={Token("{\"x\":1}")}")).Status);
        Assert.Equal(400.11, (await Get($"{_entities}?$skiptoken={Token("{\"uuid\":\"zzz\"}")}")).Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Select_of_an_unknown_field_is_400_23()
    {
        var (status, body) = await Get($"{_feed}?$select=nope");
        Assert.Equal(400, status);
        Assert.Equal("nope", body!["details"]!["property"]!.GetValue<string>());
        Assert.Equal(200, (await Get($"{_feed}?$select=__id,meta/instanceID,__system/reviewState")).Status);
        Assert.Equal(400.23, (await Get($"{_entities}?$select=label")).Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Top_zero_answers_no_rows_the_count_when_asked_and_entities_a_next_link()
    {
        var (_, submissions) = await Get($"{_feed}?$top=0&$count=true");
        Assert.Empty(submissions!["value"]!.AsArray());
        Assert.Equal(3, submissions["@odata.count"]!.GetValue<int>());
        Assert.Null(submissions["@odata.nextLink"]);
        var (_, entities) = await Get($"{_entities}?$top=0");
        Assert.NotNull(entities!["@odata.nextLink"]);
    }

    [Fact]
    public async Task A_skip_without_top_still_gives_a_next_link_for_submissions_as_upstream_counts_it()
    {
        var (_, body) = await Get($"{_feed}?$skip=1");
        Assert.Equal(2, body!["value"]!.AsArray().Count);
        Assert.NotNull(body["@odata.nextLink"]);
        var (_, plain) = await Get(_feed);
        Assert.Null(plain!["@odata.nextLink"]);
    }

    [Fact]
    public async Task Errors_of_the_metadata_document_are_written_in_xml()
    {
        var (status, text) = await SendTextAsync(Api, HttpMethod.Get, _feed.Replace("/Submissions", "/$metadata") + "?$format=json");
        Assert.Equal(406, status);
        Assert.Contains("<error code=\"406.1\">", text);
    }
}
