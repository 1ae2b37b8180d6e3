using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>The emulator's own page at / : projects, forms, the health_workers list and reviewed submissions, encoded.</summary>
public sealed class EmulatorPageTests() : OdkProjectTests("""{"name":"Page <i>project</i>"}""")
{
    protected override async Task SeedAsync()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"health_workers"}"""));
        foreach (var property in new[] { "worker_id", "cadre" })
        {
            await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/health_workers/properties", Json($$"""{"name":"{{property}}"}"""));
        }
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms?publish=true", Xml(ChwForm));
    }

    private HttpClient Browser(bool followRedirects = true) => Host.NewBrowser(followRedirects);

    [Fact]
    public async Task The_page_shows_an_entity_and_a_reviewed_submission_made_through_the_api()
    {
        var workerId = "w-" + Guid.NewGuid().ToString("N")[..8];
        var uuid = Guid.NewGuid();
        var (created, entity) = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/health_workers/entities",
            Json($$$"""{"uuid":"{{{uuid}}}","label":"<script>alert(1)</script> Amina","data":{"worker_id":"{{{workerId}}}","cadre":"Nurse & <b>midwife</b>"}}"""));
        Assert.True(created == 200, entity?.ToJsonString());
        var instanceId = "uuid:" + Guid.NewGuid();
        var form = $"projects/{ProjectId}/forms/chw_activity/submissions";
        Assert.Equal(200, (await SendAsync(Api, HttpMethod.Post, form, Xml(Submission(instanceId, 7, worker: uuid.ToString())))).Status);
        Assert.Equal(200, (await SendAsync(Api, HttpMethod.Patch, $"{form}/{instanceId}", Json("""{"reviewState":"approved"}"""))).Status);

        using var response = await Browser().GetAsync("/", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("ODK Central v2026.2", html);
        Assert.Contains("Page &lt;i&gt;project&lt;/i&gt;", html);
        Assert.Matches(new Regex("<code>chw_activity</code>.*?<td>1</td></tr>"), html); // the form and its one submission
        // The entity, with its label and properties as text, under an anchor the other emulators link to.
        Assert.Matches(new Regex($"<tr id=\"worker-{workerId}\"[^>]*><td><a href=\"/_emulator/workers/{workerId}\">&lt;script&gt;alert\\(1\\)&lt;/script&gt; Amina</a>.*?cadre: Nurse &amp; &lt;b&gt;midwife&lt;/b&gt;"), html);
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<b>midwife", html);
        // The submission, under the path of Central's own submission page, with the worker it selected and its review.
        Assert.Matches(new Regex($"<tr id=\"/projects/{ProjectId}/forms/chw_activity/submissions/{Regex.Escape(instanceId)}\">.*?&lt;script&gt;.*?<span data-testid=\"review-state\">approved</span>"), html);

        var worker = await Browser().GetStringAsync($"/_emulator/workers/{workerId}", TestContext.Current.CancellationToken);
        Assert.Contains(uuid.ToString(), worker);
        Assert.Contains(instanceId, worker);
    }

    [Fact]
    public async Task A_received_submission_shows_as_received_and_the_totals_count_everything()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/forms/chw_activity/submissions",
                Xml(Submission("uuid:" + Guid.NewGuid(), i)))).Status);
        }
        var html = await Browser().GetStringAsync("/", TestContext.Current.CancellationToken);
        Assert.Equal(3, Regex.Matches(html, "data-testid=\"review-state\">received<").Count);
        Assert.Contains("data-testid=\"submissions-total\">3<", html);
    }

    [Fact]
    public async Task The_fault_form_sets_the_switch_and_the_api_then_fails_as_set()
    {
        try
        {
            using var form = new FormUrlEncodedContent([new("choice", "slow"), new("return", "/")]);
            using var posted = await Browser(followRedirects: false).PostAsync("/_emulator/faults/form", form, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.SeeOther, posted.StatusCode);
            var settings = JsonNode.Parse(await Browser().GetStringAsync("/_emulator/faults", TestContext.Current.CancellationToken))!;
            Assert.Equal(1.0, settings["failureRate"]!.GetValue<double>());
            Assert.Equal("slow", settings["mode"]!.GetValue<string>());
            Assert.Equal(1500, settings["delayMs"]!.GetValue<int>());

            // Every API call waits 1.5 s; the page does not.
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(200, (await SendAsync(Api, HttpMethod.Get, "projects")).Status);
            Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(1400), $"the API answered in {watch.ElapsedMilliseconds} ms");
            watch.Restart();
            var page = await Browser().GetStringAsync("/", TestContext.Current.CancellationToken);
            Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(1400), $"the page took {watch.ElapsedMilliseconds} ms");
            Assert.Contains("data-testid=\"fault-state\">slow, 100% of API calls, 1.5 s<", page);

            // Followed as a browser does, the form lands back on the page, which shows the switch off.
            using var off = new FormUrlEncodedContent([new("choice", "off"), new("return", "/")]);
            using var landed = await Browser().PostAsync("/_emulator/faults/form", off, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
            Assert.Contains("data-testid=\"fault-state\">off<", await landed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.Equal(0, JsonNode.Parse(await Browser().GetStringAsync("/_emulator/faults", TestContext.Current.CancellationToken))!["failureRate"]!.GetValue<double>());
        }
        finally
        {
            await Browser().DeleteAsync("/_emulator/faults", TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task The_api_routes_are_unchanged()
    {
        Assert.Equal(404.2, (await SendAsync(Host.Anonymous(), HttpMethod.Get, "/v1")).Body!["code"]!.GetValue<double>());
        Assert.Equal(404.1, (await SendAsync(Api, HttpMethod.Get, "/v1/nothing-here")).Body!["code"]!.GetValue<double>());
    }
}
