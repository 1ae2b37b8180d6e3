using Microsoft.Extensions.Hosting;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Contracts;
using OneClickSuite.OdkAdapter.Roster;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// ODK Central (emulator) → ODK adapter's activity intake → RabbitMQ → Payroll: an approved report is counted and paid;
/// rejecting it after payment becomes a negative adjustment in the next run; an impossible report is quarantined.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class ActivityFlowTest(ITestOutputHelper output)
{
    private const string Email = "admin@suite.test";
    private const string Password = "activity-test-password";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Approved_reports_reach_payroll_and_a_rejection_after_payment_becomes_an_adjustment()
    {
        var pg = await PostgresServer.StartSharedAsync();
        var rabbit = await RabbitMqServer.StartSharedAsync();
        var suiteDb = await pg.CreateDatabaseAsync("activity_suite");
        await using var emulator = await OdkFlow.StartOdkAsync(pg, "activity_odk", Email, Password);
        var odkUrl = emulator.Origin;

        // What Bootstrap does in ODK: the project, the entity list and the published activity form.
        var odk = OdkFlow.Client(odkUrl, Email, Password);
        var project = await odk.CreateProjectAsync("OneClickSuite", Ct);
        await odk.CreateDatasetAsync(project.Id, "health_workers", ct: Ct);
        var xform = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "adapters", "Services", "Bootstrap", "Odk", "chw_activity.xml"), Ct);
        await odk.CreateFormAsync(project.Id, xform, publish: false, Ct);
        await odk.LinkDraftAttachmentToDatasetAsync(project.Id, "chw_activity", "health_workers.csv", Ct);
        await odk.PublishDraftAsync(project.Id, "chw_activity", ct: Ct);

        var settings = OdkFlow.Settings(suiteDb, rabbit, odkUrl, Email, Password, ("Activity:PollInterval", "00:00:01"));
        await using var payroll = ServiceHost.Start<PayrollApp>(settings);
        await using var adapter = ServiceHost.Start<OdkAdapterApp>(settings);
        _ = payroll.Services;
        _ = adapter.Services;

        // The roster as the ODK adapter knows it: worker c1 behind its deterministic entity uuid.
        var entity = await OdkFlow.KnownWorkerAsync(suiteDb, project.Id, "c1", Ct);
        var workforce = payroll.Services.GetRequiredService<Workforce.Workforce>();
        await workforce.ApplyWorkerAsync(PayrollWorld.Chw("c1"), 1, null, null, Ct);

        using var http = new HttpClient { BaseAddress = new Uri(odkUrl + "/v1/") };
        var session = await (await http.PostAsJsonAsync("sessions", new { email = Email, password = Password }, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)session!["token"]!);
        await SubmitAsync(http, project.Id, "uuid:report-ok", entity, households: 40, referrals: 5);
        await SubmitAsync(http, project.Id, "uuid:report-negative", entity, households: -3, referrals: 1);
        await SubmitAsync(http, project.Id, "uuid:report-stranger", Guid.NewGuid(), households: 10, referrals: 1);

        var clock = Stopwatch.StartNew();
        await odk.SetReviewStateAsync(project.Id, "chw_activity", "uuid:report-ok", OdkReviewState.Approved, Ct);
        TimeSpan? read = null;
        await UntilAsync(async () =>
        {
            read ??= await ReadByAdapterAsync(suiteDb, "uuid:report-ok") ? clock.Elapsed : null;
            return await CountedAsync(suiteDb, "uuid:report-ok", expected: true);
        });
        output.WriteLine($"approved in ODK → counted in Payroll: {clock.Elapsed.TotalSeconds:F1} s (poll interval 1 s); " +
                         $"read by the ODK adapter after {read?.TotalSeconds:F1} s");

        // Payroll's read API shows the worker and the counted report for October, and nothing for another month.
        using var payrollApi = TestIdentity.ClientAs(payroll, "payroll-test", SuiteIdentity.Viewer);
        var known = await payrollApi.GetFromJsonAsync<PayrollWorkerView>("/workers/c1?period=2026-10", Ct);
        var counted = Assert.Single(known!.Activity);
        Assert.Equal(("uuid:report-ok", true, new DateOnly(2026, 10, 1)), (counted.SubmissionId, counted.Counted, counted.Period));
        Assert.Contains("\"households_visited\": 40", counted.Counts);
        Assert.Equal("2026-10", known.Period);
        Assert.Empty((await payrollApi.GetFromJsonAsync<PayrollWorkerView>("/workers/c1?period=2026-09", Ct))!.Activity);
        Assert.Equal(HttpStatusCode.NotFound, (await payrollApi.GetAsync("/workers/nobody?period=2026-10", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await payrollApi.GetAsync("/workers/c1?period=October", Ct)).StatusCode);

        var quarantine = await TestIdentity.ClientAs(adapter, "payroll-test", SuiteIdentity.Viewer).GetFromJsonAsync<List<JsonObject>>("/activity/quarantine", Ct);
        Assert.Contains(quarantine!, q => (string?)q["instance_id"] == "uuid:report-negative" && (string?)q["field"] == "households_visited");
        Assert.Contains(quarantine!, q => (string?)q["instance_id"] == "uuid:report-stranger" && ((string?)q["reason"])!.Contains("not on the roster"));

        // October is paid from the approved report: 40 × 0.50 + 5 × 2.00 + stipend 20.00 = 50.00.
        var drafting = payroll.Services.GetRequiredService<PayRunDrafting>();
        var lifecycle = payroll.Services.GetRequiredService<PayRunLifecycle>();
        var payRuns = payroll.Services.GetRequiredService<PayRunQueries>();
        var outcomes = payroll.Services.GetRequiredService<PaymentOutcomes>();
        // October may be two months back by now: a run for it states why.
        var october = await drafting.CreateAsync(new NewPayRun("2026-10", null, null, "the month the reports are for"), PayrollWorld.Maker, Ct);
        var line = Assert.Single(await payRuns.GetLinesAsync(october.Id, null, 0, 10, Ct));
        Assert.Equal(50.00m, line.Amount);
        Assert.Equal(["uuid:report-ok"], line.Submissions);
        await lifecycle.SubmitAsync(october.Id, PayrollWorld.Maker, Ct);
        await lifecycle.ApproveAsync(october.Id, PayrollWorld.Checker, Ct);
        line = Assert.Single(await payRuns.GetLinesAsync(october.Id, null, 0, 10, Ct));
        await outcomes.RecordSettledAsync(new PaymentSettledV1(line.PaymentId!.Value, line.PaymentReference!, 1, DateTimeOffset.UtcNow), Ct);

        // After payment the supervisor rejects the report: the paid line stays, the next run takes the activity pay back.
        await odk.SetReviewStateAsync(project.Id, "chw_activity", "uuid:report-ok", OdkReviewState.Rejected, Ct);
        await UntilAsync(() => CountedAsync(suiteDb, "uuid:report-ok", expected: false));
        Assert.False(Assert.Single((await payrollApi.GetFromJsonAsync<PayrollWorkerView>("/workers/c1?period=2026-10", Ct))!.Activity).Counted);
        var november = await drafting.CreateAsync(new NewPayRun("2026-11", null, null, "the month after the reports"), PayrollWorld.Maker, Ct);
        var lines = await payRuns.GetLinesAsync(november.Id, null, 0, 10, Ct);
        var adjustment = Assert.Single(lines, l => l.Kind == LineKind.Adjustment);
        Assert.Equal("2026-10", adjustment.Period);
        Assert.Equal(-30.00m, adjustment.Amount);
        Assert.Equal(50.00m, (await payRuns.GetLineAsync(october.Id, line.Id, Ct)).Amount);

        // A report deleted in Central (only __system/deletedAt changes) stops counting; restored from the trash (no
        // timestamp changes at all), it counts again.
        await SubmitAsync(http, project.Id, "uuid:report-deleted", entity, households: 12, referrals: 2);
        await odk.SetReviewStateAsync(project.Id, "chw_activity", "uuid:report-deleted", OdkReviewState.Approved, Ct);
        await UntilAsync(() => CountedAsync(suiteDb, "uuid:report-deleted", expected: true));
        (await http.DeleteAsync($"projects/{project.Id}/forms/chw_activity/submissions/uuid:report-deleted", Ct)).EnsureSuccessStatusCode();
        await UntilAsync(() => CountedAsync(suiteDb, "uuid:report-deleted", expected: false));
        Assert.Contains("deleted", Assert.Single((await payrollApi.GetFromJsonAsync<PayrollWorkerView>("/workers/c1?period=2026-10", Ct))!.Activity,
            a => a.SubmissionId == "uuid:report-deleted").ReviewState ?? "");
        (await http.PostAsync($"projects/{project.Id}/forms/chw_activity/submissions/uuid:report-deleted/restore", null, Ct)).EnsureSuccessStatusCode();
        await UntilAsync(() => CountedAsync(suiteDb, "uuid:report-deleted", expected: true));
    }

    private static async Task SubmitAsync(HttpClient http, long projectId, string instanceId, Guid worker, int households, int referrals)
    {
        var xml = $"<data id=\"chw_activity\" version=\"1\"><worker>{worker}</worker><period>2026-10-01</period>" +
                  $"<households_visited>{households}</households_visited><referrals>{referrals}</referrals>" +
                  $"<meta><instanceID>{instanceId}</instanceID></meta></data>";
        using var response = await http.PostAsync($"projects/{projectId}/forms/chw_activity/submissions",
            new StringContent(xml, Encoding.UTF8, "application/xml"), Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Whether Payroll holds the submission as counted (or withdrawn).</summary>
    private static async Task<bool> CountedAsync(string suiteDb, string submissionId, bool expected)
    {
        await using var connection = new NpgsqlConnection(suiteDb);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT counted FROM payroll.activities WHERE submission_id = $1", connection)
        {
            Parameters = { new() { Value = submissionId } },
        };
        return await command.ExecuteScalarAsync(Ct) is bool counted && counted == expected;
    }

    private static async Task<bool> ReadByAdapterAsync(string suiteDb, string submissionId)
    {
        await using var connection = new NpgsqlConnection(suiteDb);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT counted FROM odk_adapter.activity_submissions WHERE instance_id = $1", connection)
        {
            Parameters = { new() { Value = submissionId } },
        };
        return await command.ExecuteScalarAsync(Ct) is true;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the activity to reach Payroll");
            await Task.Delay(100, Ct);
        }
    }
}
