using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Contracts;
using OneClickSuite.OdkAdapter.Roster;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// Payroll → RabbitMQ → ODK adapter → ODK Central (emulator) and back: a paid line's statement lands in the
/// <c>pay_statements</c> entity list; a worker's query through the <c>pay_query</c> form becomes a dispute in Payroll;
/// the clerk's answer goes back onto the statement in ODK.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class StatementFlowTest
{
    private const string Email = "admin@suite.test";
    private const string Password = "statement-test-password";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_statement_reaches_ODK_a_query_comes_back_as_a_dispute_and_the_answer_goes_back_onto_the_statement()
    {
        var pg = await PostgresServer.StartSharedAsync();
        var rabbit = await RabbitMqServer.StartSharedAsync();
        var suiteDb = await pg.CreateDatabaseAsync("statement_suite");
        await using var emulator = await OdkFlow.StartOdkAsync(pg, "statement_odk", Email, Password);
        var odkUrl = emulator.Origin;

        // What Bootstrap does in ODK for statements: both entity lists and the published query form.
        var odk = OdkFlow.Client(odkUrl, Email, Password);
        var project = await odk.CreateProjectAsync("OneClickSuite", Ct);
        await odk.CreateDatasetAsync(project.Id, "health_workers", ct: Ct);
        await odk.CreateDatasetAsync(project.Id, "pay_statements", ct: Ct);
        foreach (var property in OdkAdapter.Statements.StatementOptions.Properties) await odk.AddDatasetPropertyAsync(project.Id, "pay_statements", property, Ct);
        var xform = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "adapters", "Services", "Bootstrap", "Odk", "pay_query.xml"), Ct);
        await odk.CreateFormAsync(project.Id, xform, publish: false, Ct);
        foreach (var list in new[] { "health_workers.csv", "pay_statements.csv" })
        {
            if ((await odk.ListDraftAttachmentsAsync(project.Id, "pay_query", Ct)).Single(a => a.Name == list).DatasetExists != true)
                await odk.LinkDraftAttachmentToDatasetAsync(project.Id, "pay_query", list, Ct);
        }
        await odk.PublishDraftAsync(project.Id, "pay_query", ct: Ct);

        // Statements and queries left in the shared broker's queues by earlier tests belong to other databases.
        await PurgeAsync(rabbit, "odk-adapter.pay-statements", "payroll.pay-queries");

        var settings = OdkFlow.Settings(suiteDb, rabbit, odkUrl, Email, Password, ("Statements:PollInterval", "00:00:01"));
        await using var payroll = ServiceHost.Start<PayrollApp>(settings);
        await using var adapter = ServiceHost.Start<OdkAdapterApp>(settings);
        _ = payroll.Services;
        _ = adapter.Services;

        // A community health worker, known to the ODK adapter behind their entity, paid for last month.
        var entity = await OdkFlow.KnownWorkerAsync(suiteDb, project.Id, "c1", Ct);
        await payroll.Services.GetRequiredService<Workforce.Workforce>().ApplyWorkerAsync(PayrollWorld.Chw("c1"), 1, null, null, Ct);
        var month = DateTime.UtcNow.AddMonths(-1).ToString("yyyy-MM");
        var run = await payroll.Services.GetRequiredService<PayRunDrafting>().CreateAsync(new NewPayRun(month, null, null), PayrollWorld.Maker, Ct);
        var lifecycle = payroll.Services.GetRequiredService<PayRunLifecycle>();
        await lifecycle.SubmitAsync(run.Id, PayrollWorld.Maker, Ct);
        await lifecycle.ApproveAsync(run.Id, PayrollWorld.Checker, Ct);
        var line = Assert.Single(await payroll.Services.GetRequiredService<PayRunQueries>().GetLinesAsync(run.Id, null, 0, 10, Ct));
        await payroll.Services.GetRequiredService<PaymentOutcomes>().RecordSettledAsync(
            new PaymentSettledV1(line.PaymentId!.Value, line.PaymentReference!, 1, DateTimeOffset.UtcNow), Ct);

        // The statement is in ODK's list, under the line's id, saying what was paid.
        var statementEntity = StatementEntityIds.For(line.Id).ToString();
        OdkEntity? shown = null;
        await UntilAsync(async () => (shown = await odk.GetEntityAsync(project.Id, "pay_statements", statementEntity, Ct)) is not null);
        Assert.Equal($"{month} incentive: 20.00 USD paid {DateTime.UtcNow:yyyy-MM-dd}", shown!.CurrentVersion!.Label);
        Assert.Equal(("c1", "20.00", ""), (shown.CurrentVersion.Data!["worker_id"], shown.CurrentVersion.Data["amount"], shown.CurrentVersion.Data["query_status"]));
        Assert.Contains("no approved activity report", shown.CurrentVersion.Data["details"]);

        // The worker queries it in the form; it arrives in Payroll as a dispute.
        using var http = new HttpClient { BaseAddress = new Uri(odkUrl + "/v1/") };
        var session = await (await http.PostAsJsonAsync("sessions", new { email = Email, password = Password }, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)session!["token"]!);
        var xml = $"<data id=\"pay_query\" version=\"1\"><worker>{entity}</worker><worker_id>c1</worker_id><statement>{statementEntity}</statement>" +
                  "<question>I sent two reports last month</question><meta><instanceID>uuid:query-1</instanceID></meta></data>";
        var submitted = await http.PostAsync($"projects/{project.Id}/forms/pay_query/submissions", new StringContent(xml, Encoding.UTF8, "application/xml"), Ct);
        Assert.True(submitted.IsSuccessStatusCode, await submitted.Content.ReadAsStringAsync(Ct));

        var disputes = payroll.Services.GetRequiredService<Statements.Disputes>();
        DisputeView? dispute = null;
        await UntilAsync(async () => (dispute = (await disputes.ListAsync(DisputeStatus.Open, Ct)).SingleOrDefault()) is not null);
        Assert.Equal(("uuid:query-1", line.Id, "c1", "I sent two reports last month"),
            (dispute!.SubmissionId, dispute.StatementId, dispute.WorkerId, dispute.Question));

        // The clerk's answer goes back onto the statement the worker sees.
        await disputes.AnswerAsync(dispute.Id, new AnswerDispute("Neither report was approved by your supervisor.", DisputeOutcome.Confirmed),
            PayrollWorld.Maker, Ct);
        await UntilAsync(async () => (await odk.GetEntityAsync(project.Id, "pay_statements", statementEntity, Ct))?.CurrentVersion?.Data?["query_status"]
            == DisputeOutcome.Confirmed);
        var answered = await odk.GetEntityAsync(project.Id, "pay_statements", statementEntity, Ct);
        Assert.Equal("Neither report was approved by your supervisor.", answered!.CurrentVersion!.Data!["query_answer"]);
    }

    private static async Task PurgeAsync(RabbitMqServer rabbit, params string[] queues)
    {
        await using var connection = await new RabbitMQ.Client.ConnectionFactory { Uri = rabbit.AmqpUri }.CreateConnectionAsync(Ct);
        foreach (var queue in queues)
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: Ct);
            try
            {
                await channel.QueuePurgeAsync(queue, Ct);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // Not declared yet: nothing to purge.
            }
        }
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the statement's round trip");
            await Task.Delay(200, Ct);
        }
    }
}
