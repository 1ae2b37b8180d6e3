using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace OneClickSuite.Emulators.Fineract.Tests;

/// <summary>The emulator's own page at / : what was made through the API, encoded, and the fault switch's form.</summary>
public sealed class EmulatorPageTests : IAsyncLifetime
{
    private FineractHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await FineractHost.StartAsync();

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private HttpClient Browser(bool followRedirects = true) => _host.NewBrowser(followRedirects);

    [Fact]
    public async Task The_page_shows_a_client_made_through_the_api_with_its_balance_and_deposit()
    {
        var product = await _host.CreateProductAsync();
        var workerId = "page-worker-" + Guid.NewGuid().ToString("N")[..8];
        var (clientId, savingsId) = await _host.CreateClientWithAccountAsync(product, workerId);
        var (status, body, _) = await _host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit", FineractHost.Deposit(1234.5m));
        Assert.True(status == 200, body?.ToJsonString());

        using var response = await Browser().GetAsync("/", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("Apache Fineract", html);
        Assert.Matches(new Regex($"<tr id=\"client-{clientId}\"[^>]*>.*?{workerId}.*?Amina Otieno.*?Active"), html);
        Assert.Matches(new Regex($"<tr id=\"account-{savingsId}\"[^>]*>.*?<span data-testid=\"balance\">1,234.50</span>"), html);
        Assert.Matches(new Regex($"<tr id=\"transaction-\\d+\"[^>]*>.*?#{savingsId}.*?Deposit.*?1,234.50"), html);

        // The worker's own view: found by the client's external id.
        var worker = await Browser().GetStringAsync($"/_emulator/workers/{workerId}", TestContext.Current.CancellationToken);
        Assert.Contains($"id=\"account-{savingsId}\"", worker);
        Assert.DoesNotContain("not-found", worker);
        var nobody = await Browser().GetStringAsync("/_emulator/workers/nobody-here", TestContext.Current.CancellationToken);
        Assert.Contains("data-testid=\"not-found\"", nobody);
    }

    [Fact]
    public async Task A_hostile_name_is_shown_as_text()
    {
        var (status, body, _) = await _host.PostAsync("clients", """
            {"officeId":1,"legalFormId":1,"firstname":"<script>alert(1)</script>","lastname":"O'Brien & \"Co\"","externalId":"<b>x</b>",
             "active":true,"activationDate":"2024-01-15","dateFormat":"yyyy-MM-dd","locale":"en"}
            """);
        Assert.True(status == 200, body?.ToJsonString());

        var html = await Browser().GetStringAsync("/", TestContext.Current.CancellationToken);
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<b>x</b>", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien &amp; &quot;Co&quot;", html);
        Assert.Contains("/_emulator/workers/%3Cb%3Ex%3C%2Fb%3E", html);
    }

    [Fact]
    public async Task The_fault_form_sets_the_switch_and_the_api_then_fails_as_set()
    {
        try
        {
            using var form = new FormUrlEncodedContent([new("choice", "error"), new("return", "/")]);
            using var posted = await Browser(followRedirects: false).PostAsync("/_emulator/faults/form", form, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.SeeOther, posted.StatusCode);
            Assert.Equal("/#faults", posted.Headers.Location?.OriginalString);

            var settings = JsonNode.Parse(await Browser().GetStringAsync("/_emulator/faults", TestContext.Current.CancellationToken))!;
            Assert.Equal(0.2, settings["failureRate"]!.GetValue<double>());
            Assert.Equal("error", settings["mode"]!.GetValue<string>());
            var page = await Browser().GetStringAsync("/", TestContext.Current.CancellationToken);
            Assert.Contains("data-testid=\"fault-state\">error, 20% of API calls<", page);

            // One call in five answers 503: in 80 calls, at least one (a miss has odds of 0.8^80, about 2e-8).
            var statuses = new List<int>();
            for (var i = 0; i < 80; i++) statuses.Add((await _host.GetAsync("offices")).Status);
            Assert.Contains(503, statuses);
            Assert.All(statuses, s => Assert.True(s is 200 or 503, $"answered {s}"));
            // The page itself never fails.
            for (var i = 0; i < 20; i++) Assert.Equal(HttpStatusCode.OK, (await Browser().GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);

            // A post from another site is refused, and the redirect never leaves the emulator.
            using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/_emulator/faults/form")
            {
                Content = new FormUrlEncodedContent([new("choice", "off")]),
            };
            crossSite.Headers.Add("Origin", "http://elsewhere.example");
            Assert.Equal(HttpStatusCode.Forbidden, (await Browser().SendAsync(crossSite, TestContext.Current.CancellationToken)).StatusCode);
            using var away = new FormUrlEncodedContent([new("choice", "off"), new("return", "//elsewhere.example/")]);
            using var offAnswer = await Browser(followRedirects: false).PostAsync("/_emulator/faults/form", away, TestContext.Current.CancellationToken);
            Assert.Equal("/#faults", offAnswer.Headers.Location?.OriginalString);

            for (var i = 0; i < 20; i++) Assert.Equal(200, (await _host.GetAsync("offices")).Status);
            Assert.Contains("data-testid=\"fault-state\">off<", await Browser().GetStringAsync("/", TestContext.Current.CancellationToken));
        }
        finally
        {
            await _host.SetFaultsAsync(null);
        }
    }

    [Fact]
    public async Task Other_methods_on_the_root_keep_the_404_outside_the_context_path()
    {
        using var response = await Browser().PostAsync("/", new StringContent(""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
