using Microsoft.Extensions.Configuration;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using OneClickSuite.Clients.Ihris;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Portal.Tests;

/// <summary>
/// The portal as people use it, in Chromium, against the running sandbox graph: maker–checker on a real pay run, the
/// money arriving, a quarantined record replayed after its fix, and the one-click demo. Every page is photographed.
/// </summary>
public sealed partial class PortalBrowserTests(SandboxPortal suite) : IClassFixture<SandboxPortal>
{
    private static readonly Regex Refusal = new("Refused", RegexOptions.IgnoreCase);

    [Fact]
    public async Task A_clerk_prepares_and_submits_a_run_cannot_approve_it_and_the_approver_pays_it()
    {
        var clerk = await suite.SignInAsync("clerk");
        await SandboxPortal.GotoAsync(clerk, suite.PortalUrl + "/payruns");
        // A month before the last one: the run is refused without a reason, and prepared with one.
        var month = DateTime.UtcNow.AddMonths(-3);
        await FillUntilTheServerHasItAsync(clerk, "#run-period", month.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture),
            clerk.GetByTestId("run-month"), month.ToString("MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture));
        await clerk.Locator("#create-run").ClickAsync();
        await Assertions.Expect(clerk.GetByTestId("notice")).ToContainTextAsync("state a reason");
        await clerk.Locator("#run-reason input").FillAsync("the sandbox's back pay");
        await clerk.Locator("#run-reason input").PressAsync("Tab");
        await clerk.Locator("#create-run").ClickAsync();
        await Assertions.Expect(clerk).ToHaveURLAsync(new Regex("/payruns/[0-9a-f-]{36}$"));
        await SandboxPortal.InteractiveAsync(clerk);
        var runUrl = clerk.Url;
        await Assertions.Expect(clerk.GetByTestId("run-status")).ToHaveTextAsync("draft");
        Assert.True(int.Parse(await clerk.GetByTestId("line-count").InnerTextAsync()) > 0, "the run has no line");
        await Assertions.Expect(clerk.GetByTestId("period-reason")).ToHaveTextAsync("the sandbox's back pay");
        // The approver will see what is odd: checks computed by Payroll, per line.
        await Assertions.Expect(clerk.GetByTestId("checks-summary")).ToContainTextAsync("nothing blocking");
        await Assertions.Expect(clerk.GetByTestId("checks")).ToContainTextAsync("total-against-previous-period");
        await SandboxPortal.ScreenshotAsync(clerk, "payrun-draft");

        await clerk.Locator("#submit-run").ClickAsync();
        await Assertions.Expect(clerk.GetByTestId("run-status")).ToHaveTextAsync("submitted");

        // The same clerk tries to approve: the server refuses, and the run stays submitted.
        await clerk.Locator("#approve-run").ClickAsync();
        await Assertions.Expect(clerk.GetByTestId("notice")).ToHaveTextAsync(Refusal);
        await Assertions.Expect(clerk.GetByTestId("notice")).ToContainTextAsync("approver");
        await Assertions.Expect(clerk.GetByTestId("run-status")).ToHaveTextAsync("submitted");
        await SandboxPortal.ScreenshotAsync(clerk, "payrun-clerk-refused");

        // The approver approves; the page follows the payments live until every line is paid.
        var approver = await suite.SignInAsync("approver");
        await SandboxPortal.GotoAsync(approver, runUrl);
        await approver.Locator("#approve-run").ClickAsync();
        await Assertions.Expect(approver.GetByTestId("approved-by")).ToContainTextAsync("approver");
        await Assertions.Expect(approver.GetByTestId("run-status")).ToHaveTextAsync("completed", new() { Timeout = 240_000 }); // a loaded 2-core CI machine disburses slowly
        Assert.True(int.Parse(await approver.GetByTestId("paid-count").InnerTextAsync()) > 0, "no line was paid");
        await Assertions.Expect(approver.GetByTestId("line-status").First).ToHaveTextAsync("paid");
        await Assertions.Expect(approver.GetByTestId("reconciliation")).ToContainTextAsync("clean", new() { Timeout = 30_000 });
        await SandboxPortal.ScreenshotAsync(approver, "payrun-paid");

        // The deposit is in the worker's Fineract account, read from Fineract itself.
        var paidWorker = await approver.Locator("tr[data-line]").Filter(new() { Has = approver.GetByText("paid", new() { Exact = true }) })
            .First.GetAttributeAsync("data-worker");
        await SandboxPortal.GotoAsync(approver, $"{suite.PortalUrl}/workers/{paidWorker}/account");
        await Assertions.Expect(approver.GetByTestId("transaction-amount").First).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await SandboxPortal.ScreenshotAsync(approver, "worker-account");

        await SandboxPortal.GotoAsync(approver, suite.PortalUrl + "/payruns");
        await SandboxPortal.ScreenshotAsync(approver, "payruns");
        await SandboxPortal.GotoAsync(approver, suite.PortalUrl + "/audit");
        await Assertions.Expect(approver.GetByTestId("audit")).ToContainTextAsync("approve-pay-run");
        await SandboxPortal.ScreenshotAsync(approver, "audit");
        await approver.Context.CloseAsync();
        await clerk.Context.CloseAsync();
    }

    [Fact]
    public async Task A_quarantined_record_is_replayed_after_it_is_fixed_in_ihris()
    {
        var ihris = await IhrisAsync();
        var workerId = $"portal-test-{Random.Shared.Next(100_000, 999_999)}";
        await PutWorkerAsync(ihris, workerId, phone: "call me maybe");
        using (var adapter = suite.App.CreateHttpClient("ihris-adapter", "http"))
        {
            // As the portal calls it: an identity signed with the graph's own key.
            var key = new ConfigurationBuilder().AddInMemoryCollection(
                [new(Microsoft.Extensions.Hosting.SuiteIdentity.SigningKeySetting, await suite.ParameterAsync("suite-signing-key"))]).Build();
            adapter.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
                Microsoft.Extensions.Hosting.SuiteIdentity.CreateToken(key, "portal-test", [Microsoft.Extensions.Hosting.SuiteIdentity.Clerk]));
            (await adapter.PostAsync("/roster/poll", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        var clerk = await suite.SignInAsync("clerk");
        await SandboxPortal.GotoAsync(clerk, suite.PortalUrl + "/problems");
        var row = clerk.Locator($"tr[data-worker='{workerId}']");
        await Assertions.Expect(row).ToContainTextAsync("telecom");
        await SandboxPortal.ScreenshotAsync(clerk, "problems-quarantined");

        await SandboxPortal.GotoAsync(clerk, $"{suite.PortalUrl}/workers?state=quarantined");
        await Assertions.Expect(clerk.Locator($"tr[data-worker='{workerId}']")).ToContainTextAsync("quarantined");
        await SandboxPortal.ScreenshotAsync(clerk, "workers-quarantined");

        // Retrying before the fix keeps it in quarantine, with the reason.
        await SandboxPortal.GotoAsync(clerk, suite.PortalUrl + "/problems");
        await row.GetByRole(AriaRole.Button, new() { Name = $"Retry {workerId}" }).ClickAsync();
        await Assertions.Expect(clerk.GetByTestId("notice")).ToContainTextAsync("still quarantined");

        await PutWorkerAsync(ihris, workerId, phone: "+256700999888");
        await row.GetByRole(AriaRole.Button, new() { Name = $"Retry {workerId}" }).ClickAsync();
        await Assertions.Expect(clerk.GetByTestId("notice")).ToContainTextAsync("released");
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await SandboxPortal.ScreenshotAsync(clerk, "problems-replayed");

        // Released, the worker flows on: the roster has them and Fineract opens their account.
        await SandboxPortal.GotoAsync(clerk, $"{suite.PortalUrl}/workers?search={workerId}");
        var worker = clerk.Locator($"tr[data-worker='{workerId}']");
        await Assertions.Expect(worker).ToContainTextAsync("linked");
        await clerk.Context.CloseAsync();
    }

    [Fact]
    public async Task The_demo_runs_to_the_end_and_shows_where_the_worker_is_paid()
    {
        var clerk = await suite.SignInAsync("clerk");
        await SandboxPortal.GotoAsync(clerk, suite.PortalUrl + "/demo");
        var stopwatch = Stopwatch.StartNew();
        await clerk.Locator("#run-demo").ClickAsync();
        await Assertions.Expect(clerk.GetByTestId("demo-steps").Locator("li").First).ToBeVisibleAsync();
        await SandboxPortal.ScreenshotAsync(clerk, "demo-running");
        var result = clerk.GetByTestId("demo-result");
        await result.WaitForAsync(new() { Timeout = 180_000 });
        var seconds = stopwatch.Elapsed.TotalSeconds;
        TestContext.Current.SendDiagnosticMessage($"demo: {seconds:F1} s in the browser");
        Console.WriteLine($"demo: {seconds:F1} s in the browser");
        await SandboxPortal.ScreenshotAsync(clerk, "demo-done");
        Assert.True(await result.GetAttributeAsync("class") is { } css && css.Contains("notice-ok"),
            $"the demo failed: {await result.InnerTextAsync()}\n{suite.Recent("portal")}");
        Assert.DoesNotContain("failed", await clerk.GetByTestId("demo-steps").InnerTextAsync());
        Assert.True(seconds < 60, $"the demo took {seconds:F1} s (goal: under a minute)");
        await Assertions.Expect(clerk.Locator("#run-demo")).ToContainTextAsync("Run the demo"); // ready for another run

        // The Payouts page lists the demo's worker as paid into their wallet, with who asked and who approved, and the batch.
        var worker = Regex.Match(await result.InnerTextAsync(), "demo-chw-[0-9a-f]+").Value;
        await clerk.GetByTestId("demo-payouts-link").ClickAsync();
        await Assertions.Expect(clerk).ToHaveURLAsync(new Regex("/payouts$"));
        await SandboxPortal.InteractiveAsync(clerk);
        var row = clerk.GetByTestId("destinations").Locator("tr", new() { HasText = worker });
        await Assertions.Expect(row).ToContainTextAsync("mobile-money");
        await Assertions.Expect(row).ToContainTextAsync("demo:approver");
        await Assertions.Expect(clerk.GetByTestId("mobile-money-batches")).ToContainTextAsync("settled");
        await SandboxPortal.ScreenshotAsync(clerk, "demo-payouts");
        await clerk.Context.CloseAsync();
    }

    [Fact]
    public async Task Every_page_renders_for_a_viewer_on_a_laptop_and_a_tablet()
    {
        foreach (var (device, width, height) in new[] { ("laptop", 1366, 900), ("tablet", 820, 1180) })
        {
            var viewer = await suite.SignInAsync("viewer", width, height);
            foreach (var (path, name, heading) in new[]
                     {
                         ("/", "overview", "Overview"), ("/workers", "workers", "Workers"), ("/activity", "activity", "Activity"),
                         ("/payruns", "payruns", "Pay runs"), ("/disputes", "disputes", "Disputes"), ("/problems", "problems", "Problems"),
                         ("/demo", "demo", "Run the demo"),
                         ("/audit", "audit", "Audit trail"),
                     })
            {
                await SandboxPortal.GotoAsync(viewer, suite.PortalUrl + path);
                await Assertions.Expect(viewer.Locator("h1")).ToHaveTextAsync(heading);
                await SandboxPortal.ScreenshotAsync(viewer, $"{name}-{device}");
            }
            // The viewer sees no button that changes anything.
            await SandboxPortal.GotoAsync(viewer, suite.PortalUrl + "/payruns");
            await Assertions.Expect(viewer.Locator("#create-run")).ToHaveCountAsync(0);
            await SandboxPortal.GotoAsync(viewer, suite.PortalUrl + "/workers?search=demo-nurse-1");
            await Assertions.Expect(viewer.Locator("tr[data-worker='demo-nurse-1']")).ToContainTextAsync("linked");
            await viewer.Context.CloseAsync();
        }

        var anonymous = await suite.Browser.NewPageAsync();
        await anonymous.GotoAsync(suite.PortalUrl + "/workers");
        await anonymous.WaitForURLAsync(url => url.Contains("/signin"));
        Assert.DoesNotContain("Nakato", await anonymous.ContentAsync());
        await SandboxPortal.ScreenshotAsync(anonymous, "signin");
        await anonymous.Context.CloseAsync();
    }

    /// <summary>iHRIS's FHIR server in the sandbox: the emulator's "fhir" endpoint.</summary>
    private Task<IhrisClient> IhrisAsync()
    {
        var url = suite.App.GetEndpoint("ihris", "fhir").ToString().TrimEnd('/') + "/fhir";
        return Task.FromResult(new IhrisClient(new HttpClient { BaseAddress = new Uri(url + "/") }, Options.Create(new IhrisOptions { FhirUrl = url })));
    }

    /// <summary>A community health worker at one of the demo facilities, written to iHRIS as FHIR resources.</summary>
    private static async Task PutWorkerAsync(IhrisClient ihris, string workerId, string phone)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        Resource[] resources =
        [
            new Practitioner
            {
                Id = workerId,
                Active = true,
                Name = [new HumanName { Family = "Quarantine", Given = ["Portal"] }],
                Identifier = [new Identifier("urn:oneclicksuite:employee-number", "EMP-" + workerId)],
                Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Mobile, phone)],
            },
            new PractitionerRole
            {
                Id = workerId + "-role",
                Active = true,
                Period = new Period { Start = "2023-01-01" },
                Practitioner = new ResourceReference($"Practitioner/{workerId}"),
                Code = [new CodeableConcept("http://ihris.org/fhir/CodeSystem/ihris-job", "3229-3A", "Environmental Health Worker")],
                Location = [new ResourceReference("Location/demo-facility-1")],
            },
        ];
        foreach (var resource in resources)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" },
            });
        }
        await ihris.TransactionAsync(bundle);
    }

    /// <summary>
    /// Types into a Fluent text field and waits until the page, rendered by the server, shows what it received: the
    /// circuit takes the value on the field's change event, and a click sent before that event arrives would act on
    /// the old value. Typed again if the server never saw it.
    /// </summary>
    private static async Task FillUntilTheServerHasItAsync(IPage page, string field, string value, ILocator echo, string expected)
    {
        for (var attempt = 1; ; attempt++)
        {
            await page.Locator($"{field} input").FillAsync(value);
            await page.Locator($"{field} input").PressAsync("Tab");
            try
            {
                await Assertions.Expect(echo).ToContainTextAsync(expected, new() { Timeout = 5_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
                Console.WriteLine($"{field}: the server did not receive '{value}' yet; typing it again");
            }
        }
    }
}
