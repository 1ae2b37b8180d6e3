using System.Net.Http.Headers;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// ETag / If-None-Match as Central answers them: its own withEtag (lib/util/http.js) on submission lists, the
/// OData feed, entities.csv and entity-list attachments, and Express's weak ETag on every other sent body.
/// </summary>
public sealed class ConditionalRequestTests() : OdkProjectTests("""{"name":"etags"}""")
{
    protected override async Task SeedAsync()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"health_workers"}"""));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms?publish=true", Xml(ChwForm));
    }

    private async Task<(int Status, string? Etag)> GetAsync(string url, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        using var response = await Api.SendAsync(request, TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, response.Headers.ETag?.ToString());
    }

    private async Task Submit()
    {
        var (status, _) = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms/chw_activity/submissions", Xml(Submission("uuid:" + Guid.NewGuid(), 1)));
        Assert.Equal(200, status);
    }

    [Theory]
    [InlineData("forms/chw_activity/submissions", true)]
    [InlineData("forms/chw_activity.svc/Submissions", true)]
    [InlineData("datasets/health_workers/entities.csv", false)]
    [InlineData("forms/chw_activity/attachments/health_workers.csv", false)]
    public async Task A_matching_If_None_Match_is_304_and_a_change_makes_it_200_again(string path, bool weak)
    {
        await Submit();
        var url = $"projects/{ProjectId}/{path}";
        var (status, etag) = await GetAsync(url);
        Assert.Equal(200, status);
        Assert.NotNull(etag);
        Assert.Equal(weak, etag!.StartsWith("W/", StringComparison.Ordinal));
        Assert.Equal(304, (await GetAsync(url, etag)).Status);
        Assert.Equal(200, (await GetAsync(url, "\"something-else\"")).Status);

        await Submit();
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/health_workers/entities", Json("""{"label":"x","data":{}}"""));
        Assert.Equal(200, (await GetAsync(url, etag)).Status);
    }

    [Fact]
    public async Task Any_other_json_answer_carries_a_weak_etag_that_makes_a_repeat_304()
    {
        var url = $"projects/{ProjectId}";
        var (status, etag) = await GetAsync(url);
        Assert.Equal(200, status);
        Assert.StartsWith("W/\"", etag);
        Assert.Equal(304, (await GetAsync(url, etag)).Status);
        Assert.Equal(304, (await GetAsync(url, "*")).Status);
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/app-users", Json("""{"displayName":"x"}"""));
        Assert.Equal(200, (await GetAsync($"projects/{ProjectId}/app-users", etag)).Status);
    }

    [Fact]
    public async Task Errors_are_never_304()
    {
        var (status, etag) = await GetAsync("projects/999999");
        Assert.Equal(404, status);
        Assert.Equal(404, (await GetAsync("projects/999999", etag ?? "*")).Status);
    }
}
