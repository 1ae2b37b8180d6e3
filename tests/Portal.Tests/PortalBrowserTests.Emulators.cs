using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Portal.Tests;

/// <summary>
/// The emulators' own pages in the running sandbox (same fixture, no second sandbox): the demo workforce as iHRIS,
/// ODK Central and Fineract hold it, a fault switched from a page, and a worker followed from iHRIS to Fineract.
/// </summary>
public sealed partial class PortalBrowserTests
{
    private const string DemoWorker = "demo-nurse-1";

    [Fact]
    public async Task The_emulator_pages_show_the_roster_switch_faults_and_link_a_worker_across_systems()
    {
        var ihris = suite.App.GetEndpoint("ihris", "http").ToString().TrimEnd('/');
        var odk = suite.App.GetEndpoint("odk-central", "http").ToString().TrimEnd('/');
        var fineract = suite.App.GetEndpoint("fineract", "http").ToString().TrimEnd('/');
        var context = await suite.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 900 } });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();

        // The roster sync has enrolled the demo worker in ODK and Fineract once their pages know them.
        await UntilFoundAsync(page, $"{fineract}/_emulator/workers/{DemoWorker}");
        await UntilFoundAsync(page, $"{odk}/_emulator/workers/{DemoWorker}");

        // iHRIS: the worker with their role, facility and salary, read from the emulator's FHIR store.
        await page.GotoAsync(ihris + "/");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("iHRIS emulator");
        await Assertions.Expect(page.GetByTestId("stands-for")).ToContainTextAsync("iHRIS 5");
        var row = page.Locator($"tr[data-worker='{DemoWorker}']").First;
        await Assertions.Expect(row).ToContainTextAsync("Nurse");
        await Assertions.Expect(row.GetByTestId("salary")).ToContainTextAsync("850.00");
        Assert.True(int.Parse(await page.GetByTestId("facilities-total").InnerTextAsync()) > 0, "no facility");
        await SandboxPortal.ScreenshotAsync(page, "emulator-ihris");

        // ODK Central: the health_workers entity list holds the worker, with their id among its properties.
        await page.GotoAsync(odk + "/");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("ODK Central emulator");
        await Assertions.Expect(page.Locator($"#worker-{DemoWorker}").First).ToContainTextAsync($"worker_id: {DemoWorker}");
        await Assertions.Expect(page.GetByTestId("project-table")).ToContainTextAsync("OneClickSuite");
        await SandboxPortal.ScreenshotAsync(page, "emulator-odk");

        // A fault button on the page sets the emulator's switch, as the admin endpoint reports it; "off" clears it.
        using var admin = new HttpClient { BaseAddress = new Uri(odk + "/") };
        try
        {
            await page.GetByTestId("fault-error").ClickAsync();
            await Assertions.Expect(page.GetByTestId("fault-state")).ToHaveTextAsync("error, 20% of API calls");
            var settings = (await admin.GetFromJsonAsync<JsonObject>("_emulator/faults", TestContext.Current.CancellationToken))!;
            Assert.Equal("error", (string?)settings["mode"]);
            Assert.Equal(0.2, (double)settings["failureRate"]!);
            await page.GetByTestId("fault-off").ClickAsync();
            await Assertions.Expect(page.GetByTestId("fault-state")).ToHaveTextAsync("off");
            Assert.Equal(0.0, (double)(await admin.GetFromJsonAsync<JsonObject>("_emulator/faults", TestContext.Current.CancellationToken))!["failureRate"]!);
        }
        finally
        {
            await admin.DeleteAsync("_emulator/faults", TestContext.Current.CancellationToken);
        }

        // From the worker on the iHRIS page to their account in Fineract.
        await page.GotoAsync(ihris + "/");
        await page.Locator($"tr[data-worker='{DemoWorker}']").First.GetByTestId("link-fineract-worker").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"^{Regex.Escape(fineract)}/_emulator/workers/{DemoWorker}$"));
        await Assertions.Expect(page.GetByTestId("client-table")).ToContainTextAsync(DemoWorker);
        await Assertions.Expect(page.GetByTestId("account-table").GetByTestId("balance").First).ToBeVisibleAsync();
        await page.GetByTestId("worker-ihris").ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("iHRIS emulator");
        await page.GotoAsync(fineract + "/");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Fineract emulator");
        await Assertions.Expect(page.Locator($"tr[data-worker='{DemoWorker}']").First).ToBeVisibleAsync();
        await SandboxPortal.ScreenshotAsync(page, "emulator-fineract");
        await context.CloseAsync();
    }

    /// <summary>Reloads a worker page until the emulator has that worker (the adapters sync in the background).</summary>
    private static async Task UntilFoundAsync(IPage page, string url)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            await page.GotoAsync(url);
            if (await page.GetByTestId("not-found").CountAsync() == 0) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{url} still shows no such worker");
            await Task.Delay(2_000);
        }
    }
}
