using System.Diagnostics;
using System.Text;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>The two calls the suite makes most, under 16 concurrent clients: nothing lost, nothing doubled.</summary>
public sealed class HotPathTests
{
    [Fact]
    public async Task Concurrent_bulk_creates_and_feed_pages_stay_consistent()
    {
        await using var host = await OdkHost.StartAsync();
        var api = await host.LoginAsync();
        var (_, project) = await SendAsync(api, HttpMethod.Post, "projects", Json("""{"name":"load"}"""));
        var pid = project!["id"]!.GetValue<int>();
        await SendAsync(api, HttpMethod.Post, $"projects/{pid}/datasets", Json("""{"name":"health_workers"}"""));
        await SendAsync(api, HttpMethod.Post, $"projects/{pid}/datasets/health_workers/properties", Json("""{"name":"cadre"}"""));
        await SendAsync(api, HttpMethod.Post, $"projects/{pid}/forms?publish=true", Xml(ChwForm));

        const int clients = 16, batch = 250;
        var clock = Stopwatch.StartNew();
        var creates = await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            var body = new StringBuilder("""{"source":{"name":"roster"},"entities":[""");
            for (var i = 0; i < batch; i++)
                body.Append(i == 0 ? "" : ",").Append($$"""{"uuid":"{{Guid.NewGuid()}}","label":"W {{i}}","data":{"cadre":"CHW"} }""");
            body.Append("]}");
            return (await SendAsync(api, HttpMethod.Post, $"projects/{pid}/datasets/health_workers/entities", Json(body.ToString()))).Status;
        }));
        var bulkTime = clock.Elapsed;
        Assert.All(creates, status => Assert.Equal(200, status));
        var (_, entities) = await SendAsync(api, HttpMethod.Get, $"projects/{pid}/datasets/health_workers.svc/Entities?$top=0&$count=true");
        Assert.Equal(clients * batch, entities!["@odata.count"]!.GetValue<int>());

        for (var i = 0; i < 200; i++)
            await SendAsync(api, HttpMethod.Post, $"projects/{pid}/forms/chw_activity/submissions", Xml(Submission($"uuid:{Guid.NewGuid()}", i)));
        clock.Restart();
        var pages = await Task.WhenAll(Enumerable.Range(0, clients * 4).Select(async _ =>
        {
            var (status, page) = await SendAsync(api, HttpMethod.Get, $"projects/{pid}/forms/chw_activity.svc/Submissions?%24top=100&%24count=true");
            return (status, rows: page?["value"]?.AsArray().Count ?? -1);
        }));
        var pageTime = clock.Elapsed;
        Assert.All(pages, p => Assert.Equal((200, 100), p));

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{clients} concurrent bulk creates of {batch}: {bulkTime.TotalMilliseconds:F0} ms; {pages.Length} OData pages of 100 by {clients} clients: {pageTime.TotalMilliseconds:F0} ms");
    }
}
