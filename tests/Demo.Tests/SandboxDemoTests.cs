using System.Net.Http.Json;
using OneClickSuite.Contracts.Payroll;
using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OneClickSuite.AppHost.Fineract;
using OneClickSuite.Clients;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Clients.Payroll;

namespace OneClickSuite.Demo.Tests;

/// <summary>
/// "Run the demo" against the sandbox graph, started for real: the runner lives in the test process and reaches every
/// system through the endpoints the graph publishes, as the portal does through service discovery.
/// </summary>
public sealed class SandboxDemoTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);
    private static readonly string[] Services =
        ["fineract", "odk-central", "ihris", "mobile-money", "ihris-adapter", "fineract-adapter", "odk-adapter", "mobile-money-adapter", "payroll"];

    /// <summary>Sandbox pay rules (adapters/Services/Payroll/appsettings.json): (40+45+50) × 0.50 + (2+3+1) × 2.00 + stipend 20.00.</summary>
    private const decimal ExpectedPay = 99.50m;

    [Fact]
    public async Task Demo_pays_a_new_community_health_worker_in_the_sandbox_and_says_where_it_stops()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var dataPath = Path.Combine(Path.GetTempPath(), $"oneclick-demo-{Guid.NewGuid():N}");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--Suite:Mode=sandbox", $"--Suite:SandboxDataPath={dataPath}", "--DcpPublisher:WaitForResourceCleanup=false"],
            (options, _) => options.DisableDashboard = true,
            cancellationToken);
        await using var app = await builder.BuildAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var started = Stopwatch.StartNew();
        try
        {
            await app.StartAsync(timeout.Token);
            await WaitUntilReadyAsync(app, timeout.Token);
            TestContext.Current.SendDiagnosticMessage($"sandbox ready in {started.Elapsed.TotalSeconds:F1} s");

            var demoLog = new RecordingLoggerProvider();
            using var host = await DemoHostAsync(app, demoLog, timeout.Token);
            var runner = host.Services.GetRequiredService<DemoRunner>();
            var steps = new RecordedSteps();
            var demo = Stopwatch.StartNew();
            var result = await runner.RunAsync(DemoActors.Default, steps, timeout.Token);
            demo.Stop();

            TestContext.Current.SendDiagnosticMessage($"demo took {demo.Elapsed.TotalSeconds:F1} s (goal: under 60 s)\n{steps}\n{demoLog}");
            Assert.True(result.Succeeded, $"{result.Error}\n{steps}\n{demoLog}");

            // Every step was announced, then done, in order.
            Assert.Equal(Enumerable.Range(1, DemoRunner.StepTitles.Count), steps.Done.Select(s => s.Number));
            Assert.Equal(Enumerable.Range(1, DemoRunner.StepTitles.Count), steps.Running.Select(s => s.Number));
            Assert.DoesNotContain(steps.All, s => s.Status == DemoStep.Failed);
            Assert.All(steps.Done, s => Assert.False(string.IsNullOrWhiteSpace(s.Detail)));
            // It ends on the worker's statement, as Payroll issued it and as ODK Collect shows it.
            var statement = steps.Done.Last();
            Assert.Equal(DemoRunner.StepTitles.Count, statement.Number);
            Assert.Contains("99.50 USD paid", statement.Detail);
            Assert.Contains("What counted:", statement.Detail);
            Assert.Contains("In ODK Collect (pay_statements)", statement.Detail);

            // The worker's wallet holds exactly what the run paid them (all three reports counted), as the provider says;
            // their Fineract account, enrolled as for every worker, was not paid.
            Assert.StartsWith("demo-chw-", result.WorkerId);
            Assert.NotNull(result.PayRunId);
            Assert.Equal(ExpectedPay, result.Amount);
            var wallet = steps.Done.Single(s => s.Number == 8);
            Assert.Contains("99.50 USD completed by the mobile money provider into", wallet.Detail);
            Assert.Contains("mobile wallet", statement.Detail);
            using (var admin = new HttpClient { BaseAddress = new Uri(Url(app, "mobile-money") + "/") })
            {
                var wallets = await admin.GetFromJsonAsync<List<System.Text.Json.Nodes.JsonObject>>("_emulator/wallets", timeout.Token);
                var held = wallets!.Where(w => w["name"]?.ToString() is { } name && steps.Done.First(s => s.Number == 3).Detail!.Contains(name)).ToList();
                Assert.Contains(held, w => (decimal)w["balance"]! == ExpectedPay);
            }
            var fineract = host.Services.GetRequiredService<FineractClient>();
            var account = await fineract.GetSavingsAccountAsync(result.SavingsAccountId!.Value, withTransactions: true, timeout.Token);
            Assert.Equal(0m, account.Summary!.AccountBalance);

            Assert.True(demo.Elapsed < TimeSpan.FromSeconds(120), $"the demo took {demo.Elapsed.TotalSeconds:F1} s");

            // One person as clerk and approver: Payroll refuses them the wallet change they asked for (maker–checker);
            // the demo says so at step 3, before any pay run exists.
            var alone = new RecordedSteps();
            var refused = await runner.RunAsync(new DemoActors(DemoIdentities.Clerk, DemoIdentities.Clerk), alone, timeout.Token);
            TestContext.Current.SendDiagnosticMessage($"second run, one person as clerk and approver:\n{alone}");
            Assert.False(refused.Succeeded);
            var failed = Assert.Single(alone.All, s => s.Status == DemoStep.Failed);
            Assert.Equal(3, failed.Number);
            Assert.Contains("maker", failed.Detail, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(refused.Error, failed.Detail);
            Assert.Null(refused.PayRunId);

            // A facility iHRIS does not have: the demo stops at step 1 and names it.
            using var nowhere = await DemoHostAsync(app, demoLog, timeout.Token, facilityId: "no-such-facility");
            var lost = new RecordedSteps();
            var stopped = await nowhere.Services.GetRequiredService<DemoRunner>().RunAsync(
                DemoActors.Default, lost, timeout.Token);
            Assert.False(stopped.Succeeded);
            Assert.Equal([(1, DemoStep.Running), (1, DemoStep.Failed)], lost.All.Select(s => (s.Number, s.Status)));
            Assert.Contains("no-such-facility", stopped.Error);
            Assert.Null(stopped.PayRunId);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            try { Directory.Delete(dataPath, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task WaitUntilReadyAsync(DistributedApplication app, CancellationToken ct)
    {
        var bootstrap = await app.ResourceNotifications.WaitForResourceAsync("bootstrap",
            e => e.Snapshot.State?.Text is "Finished" or "Exited" or "FailedToStart", ct);
        Assert.True(bootstrap.Snapshot.ExitCode == 0, $"bootstrap exited with {bootstrap.Snapshot.ExitCode}");
        foreach (var name in Services)
        {
            try
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(name, ct);
            }
            catch (Exception ex) when (ex is DistributedApplicationException or OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"{name} did not become healthy: {ex.Message}");
            }
        }
    }

    /// <summary>A host like the portal's, with every address and credential taken from the running graph.</summary>
    private static async Task<IHost> DemoHostAsync(DistributedApplication app, ILoggerProvider log, CancellationToken ct, string? facilityId = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Fineract:BaseUrl"] = Url(app, "fineract"),
            ["Fineract:Username"] = FineractResource.AdminUser,
            ["Fineract:Password"] = await ParameterValueAsync(app, "fineract-password", ct),
            ["Fineract:Tenant"] = FineractResource.Tenant,
            ["Odk:BaseUrl"] = Url(app, "odk-central"),
            ["Odk:Email"] = await ParameterValueAsync(app, "odk-admin-email", ct),
            ["Odk:Password"] = await ParameterValueAsync(app, "odk-admin-password", ct),
            ["Ihris:FhirUrl"] = Url(app, "ihris", "fhir") + "/fhir",
            // The demo's calls carry identities signed with the graph's own key, as the portal's do.
            ["Suite:Identity:SigningKey"] = await ParameterValueAsync(app, "suite-signing-key", ct),
            ["Demo:IhrisAdapterUrl"] = Url(app, "ihris-adapter"),
            ["Demo:OdkAdapterUrl"] = Url(app, "odk-adapter"),
            ["Demo:ProviderEmulatorUrl"] = Url(app, "mobile-money"),
            ["MobileMoney:BaseUrl"] = Url(app, "mobile-money") + OneClickSuite.AppHost.MobileMoney.MobileMoneySystemExtensions.MobileMoneyEmulatorApiRoot,
            ["MobileMoney:ApiKey"] = await ParameterValueAsync(app, "mobile-money-api-key", ct),
            // The demo signs who acts with the suite's key, as the portal does; the services verify it.
            [SuiteIdentity.SigningKeySetting] = await ParameterValueAsync(app, "suite-signing-key", ct),
        };
        if (facilityId is not null)
        {
            settings["Demo:FacilityId"] = facilityId;
        }
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(log).AddFilter("System.Net.Http", LogLevel.Warning);
        builder.AddDemo();
        var payroll = Url(app, "payroll");
        builder.AddPayrollClient(_ => payroll);
        return builder.Build();
    }

    private static string Url(DistributedApplication app, string resource, string endpoint = "http") =>
        app.GetEndpoint(resource, endpoint).ToString().TrimEnd('/');

    private static async Task<string> ParameterValueAsync(DistributedApplication app, string name, CancellationToken ct)
    {
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var parameter = model.Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return (await parameter.GetValueAsync(ct))!;
    }

    /// <summary>Steps as reported, synchronously and in order (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class RecordedSteps : IProgress<DemoStep>
    {
        private readonly List<DemoStep> _steps = [];

        public IReadOnlyList<DemoStep> All { get { lock (_steps) return _steps.ToList(); } }
        public IEnumerable<DemoStep> Done => All.Where(s => s.Status == DemoStep.Done);
        public IEnumerable<DemoStep> Running => All.Where(s => s.Status == DemoStep.Running);

        public void Report(DemoStep value)
        {
            lock (_steps) _steps.Add(value);
        }

        public override string ToString() =>
            string.Join('\n', All.Select(s => $"{s.Elapsed.TotalSeconds,6:F1} s  {s.Number}. {s.Title}: {s.Status}{(s.Detail is null ? "" : " — " + s.Detail)}"));
    }
}
