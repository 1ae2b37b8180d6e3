using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using OneClickSuite.Clients.PaymentHub;

namespace OneClickSuite.Emulators.PaymentHub.Tests;

public sealed class BulkTests(Hub hub) : IClassFixture<Hub>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PaymentHubPayment ClosedLoop(string requestId, long account, decimal amount) =>
        new(requestId, "CLOSEDLOOP", amount, "USD", new PaymentHubParty("accountnumber", account.ToString()),
            new PaymentHubParty("accountnumber", "funding"), "July salary");

    [Fact]
    public async Task Raw_batch_pays_fineract_accounts_and_reports_per_transaction()
    {
        var client = hub.NewClient();
        var a = await hub.NewAccountAsync("ana");
        var b = await hub.NewAccountAsync("ben");
        var before = (await hub.FineractClient.GetSavingsAccountAsync(hub.FundingAccountId, ct: Ct)).Summary!.AccountBalance;

        var submission = await client.SubmitRawBatchAsync(
            [ClosedLoop("pay-a", a, 120.50m), ClosedLoop("pay-b", b, 80m)], "corr-raw-1", "salary", ct: Ct);
        Assert.StartsWith("/batch/Summary/", submission.PollingPath);
        Assert.Equal("120", submission.SuggestedCallbackSeconds);
        Assert.True(Guid.TryParse(submission.BatchId, out _));

        var summary = await hub.WaitDoneAsync(client, submission.BatchId);
        Assert.Equal(2, summary.Total);
        Assert.Equal(2, summary.Successful);
        Assert.Equal(0, summary.Failed);
        Assert.Equal("COMPLETED", summary.Status);
        Assert.Equal(200m, summary.TotalAmount); // a Long column upstream: 200.50 → 200
        Assert.Equal("corr-raw-1", summary.RequestId);
        Assert.Equal("100", summary.SuccessPercentage);

        var transfers = await client.GetAllTransfersAsync(submission.BatchId, ct: Ct);
        Assert.Equal(["pay-a", "pay-b"], transfers.Select(t => t.ClientCorrelationId).Order());
        Assert.All(transfers, t => Assert.Equal(PaymentHubTransferStatus.Completed, t.Status));
        Assert.Equal("120.5", transfers.Single(t => t.ClientCorrelationId == "pay-a").Amount);
        Assert.Equal(a.ToString(), transfers.Single(t => t.ClientCorrelationId == "pay-a").PayeePartyId);

        Assert.Equal(120.50m, (await hub.FineractClient.GetSavingsAccountAsync(a, ct: Ct)).Summary!.AccountBalance);
        Assert.Equal(80m, (await hub.FineractClient.GetSavingsAccountAsync(b, ct: Ct)).Summary!.AccountBalance);
        var after = (await hub.FineractClient.GetSavingsAccountAsync(hub.FundingAccountId, ct: Ct)).Summary!.AccountBalance;
        Assert.Equal(before - 200.50m, after);
    }

    [Fact]
    public async Task Csv_batch_is_accepted_and_unknown_modes_fail()
    {
        var client = hub.NewClient();
        var a = await hub.NewAccountAsync("csv");
        var csv = new StringBuilder(PaymentHubClient.CsvHeader).Append('\n')
            .Append(PaymentHubClient.CsvRow(0, ClosedLoop("csv-1", a, 10m))).Append('\n')
            .Append(PaymentHubClient.CsvRow(1, new PaymentHubPayment("csv-2", "MOJALOOP", 5m, "USD", new PaymentHubParty("msisdn", "2557")))).Append('\n')
            .ToString();
        var submission = await client.SubmitCsvBatchAsync(csv, "july.csv", "corr-csv-1", "salary", ct: Ct);
        await hub.WaitDoneAsync(client, submission.BatchId);

        var failed = await client.GetBatchDetailAsync(submission.BatchId, "FAILED", ct: Ct);
        var single = Assert.Single(failed.Content);
        Assert.Equal("csv-2", single.ClientCorrelationId);
        Assert.Equal("Payment mode not configured", single.ErrorInformation);
        var completed = await client.GetBatchDetailAsync(submission.BatchId, "completed", ct: Ct);
        Assert.Equal("csv-1", Assert.Single(completed.Content).ClientCorrelationId);

        var summary = await client.GetBatchSummaryAsync(submission.BatchId, Ct);
        Assert.Equal("UNKNOWN", summary!.Status); // generateBatchSummaryResponse: neither all completed nor pending
        Assert.Equal("50", summary.FailPercentage);
        var batch = await client.GetBatchAsync(submission.BatchId, "corr-csv-1", Ct);
        Assert.Equal(2, batch!.TotalInstructionCount);
        Assert.Equal("CLOSEDLOOP,MOJALOOP", batch.Modes);
    }

    [Fact]
    public async Task Detail_pages_count_from_zero()
    {
        var client = hub.NewClient();
        var payments = Enumerable.Range(0, 5).Select(i =>
            new PaymentHubPayment($"page-{i}", "NOPE", 1m + i, "USD", new PaymentHubParty("msisdn", $"25570000{i}"))).ToList();
        var submission = await client.SubmitRawBatchAsync(payments, "corr-page", "salary", ct: Ct);
        await hub.WaitDoneAsync(client, submission.BatchId);

        var first = await client.GetBatchDetailAsync(submission.BatchId, null, 0, 2, Ct);
        Assert.Equal(5, first.TotalElements);
        Assert.Equal(3, first.TotalPages);
        Assert.True(first.First);
        Assert.False(first.Last);
        Assert.Equal(["page-0", "page-1"], first.Content.Select(t => t.ClientCorrelationId));
        var last = await client.GetBatchDetailAsync(submission.BatchId, "ALL", 2, 2, Ct);
        Assert.True(last.Last);
        Assert.Equal("page-4", Assert.Single(last.Content).ClientCorrelationId);
        Assert.Equal(5, (await client.GetAllTransfersAsync(submission.BatchId, 2, Ct)).Count);
    }

    [Fact]
    public async Task Duplicate_payee_and_amount_fail_as_duplicates_and_correlation_id_is_not_deduplicated()
    {
        var client = hub.NewClient();
        var payments = new[]
        {
            new PaymentHubPayment("dup-1", "NOPE", 7m, "USD", new PaymentHubParty("msisdn", "255711")),
            new PaymentHubPayment("dup-2", "NOPE", 7m, "USD", new PaymentHubParty("msisdn", "255711")),
        };
        var first = await client.SubmitRawBatchAsync(payments, "corr-dup", "salary", ct: Ct);
        var second = await client.SubmitRawBatchAsync(payments, "corr-dup", "salary", ct: Ct);
        Assert.NotEqual(first.BatchId, second.BatchId);
        var summary = await hub.WaitDoneAsync(client, first.BatchId);
        Assert.Equal(2, summary.Total);
        Assert.Equal(2, summary.Failed);
        var transfers = await client.GetAllTransfersAsync(first.BatchId, ct: Ct);
        Assert.Equal("Payment mode not configured", transfers.Single(t => t.ClientCorrelationId == "dup-1").ErrorInformation);
        var duplicate = transfers.Single(t => t.ClientCorrelationId == "dup-2");
        Assert.Equal(PaymentHubTransferStatus.Failed, duplicate.Status);
        Assert.Equal("Duplicate transaction.", duplicate.ErrorInformation);
    }

    [Fact]
    public async Task Gsma_mode_calls_the_provider_once_per_payment_and_follows_its_callback()
    {
        var client = hub.NewClient();
        var submission = await client.SubmitRawBatchAsync(
        [
            new PaymentHubPayment("gsma-ok", "GSMA", 15m, "USD", new PaymentHubParty("msisdn", "255700001"), new PaymentHubParty("msisdn", "255799999")),
            new PaymentHubPayment("gsma-no", "GSMA", 16m, "USD", new PaymentHubParty("msisdn", "fail-255700002"), new PaymentHubParty("msisdn", "255799999")),
        ], "corr-gsma", "salary", ct: Ct);
        await hub.WaitDoneAsync(client, submission.BatchId);

        var transfers = await client.GetAllTransfersAsync(submission.BatchId, ct: Ct);
        Assert.Equal(PaymentHubTransferStatus.Completed, transfers.Single(t => t.ClientCorrelationId == "gsma-ok").Status);
        var failed = transfers.Single(t => t.ClientCorrelationId == "gsma-no");
        Assert.Equal(PaymentHubTransferStatus.Failed, failed.Status);
        Assert.Contains("failed", failed.ErrorInformation);

        var calls = hub.Listener.GsmaRequests.Where(r => transfers.Any(t => t.TransactionId == r.Headers["X-CorrelationID"].ToString())).ToList();
        Assert.Equal(2, calls.Count);
        var call = calls.Single(c => c.Body["creditParty"]![0]!["value"]!.ToString() == "255700001");
        Assert.Equal("/gsma/transactions/type/disbursement", call.Path);
        Assert.Equal("15", call.Body["amount"]!.ToString());
        Assert.Equal("USD", call.Body["currency"]!.ToString());
        Assert.EndsWith("/transfer/callback", call.Headers["X-Callback-URL"].ToString());
        Assert.False(string.IsNullOrEmpty(call.Headers["X-Date"].ToString()));
    }

    [Fact]
    public async Task A_gsma_provider_emulator_pays_wallets_and_refuses_unknown_ones()
    {
        using var admin = new HttpClient { BaseAddress = hub.MobileMoney.BaseAddress };
        (await admin.PutAsJsonAsync("/_emulator/wallets", new { msisdn = "+254711000001", name = "Amina", currency = "KES", balance = 0 }, Ct))
            .EnsureSuccessStatusCode();
        var client = hub.NewClient();
        var submission = await client.SubmitRawBatchAsync(
        [
            new PaymentHubPayment("mm-ok", "MPESA", 250m, "KES", new PaymentHubParty("msisdn", "+254711000001")),
            new PaymentHubPayment("mm-unknown", "MPESA", 10m, "KES", new PaymentHubParty("msisdn", "+254799999999")),
        ], "corr-mm", "salary", ct: Ct);
        await hub.WaitDoneAsync(client, submission.BatchId);

        var transfers = await client.GetAllTransfersAsync(submission.BatchId, ct: Ct);
        Assert.Equal(PaymentHubTransferStatus.Completed, transfers.Single(t => t.ClientCorrelationId == "mm-ok").Status);
        var refused = transfers.Single(t => t.ClientCorrelationId == "mm-unknown");
        Assert.Equal(PaymentHubTransferStatus.Failed, refused.Status);
        Assert.StartsWith("Provider reported failed", refused.ErrorInformation);
        var wallet = await admin.GetFromJsonAsync<JsonObject>("/_emulator/wallets/254711000001", Ct);
        Assert.Equal(250m, (decimal)wallet!["balance"]!);
    }

    [Fact]
    public async Task Progress_callbacks_report_each_phase_once_and_retry_three_times()
    {
        var client = hub.NewClient();
        var accounts = new List<long>();
        for (var i = 0; i < 5; i++) accounts.Add(await hub.NewAccountAsync($"cb{i}"));
        var url = hub.Listener.Origin + "/callbacks/ok";
        var submission = await client.SubmitRawBatchAsync(
            accounts.Select((a, i) => ClosedLoop($"cb-{i}", a, 1m + i)).ToList(), "corr-cb", "salary", url, Ct);
        await hub.WaitDoneAsync(client, submission.BatchId);
        await Task.Delay(300, Ct);
        var mine = hub.Listener.Callbacks.Where(c => c.Body["batchId"]!.ToString() == submission.BatchId).Select(c => c.Body).ToList();
        Assert.Equal(5, mine.Count); // 20, 40, 60, 80, 100 %
        Assert.All(mine, c => Assert.Equal("corr-cb", c["clientCorrelationId"]!.ToString()));
        Assert.Equal("The Batch Aggregation API was complete with : 100", mine[^1]["message"]!.ToString());

        hub.Listener.CallbackStatus["down"] = 503;
        var down = await client.SubmitRawBatchAsync([ClosedLoop("cb-down", accounts[0], 1m)], "corr-down", "salary",
            hub.Listener.Origin + "/callbacks/down", Ct);
        await hub.WaitDoneAsync(client, down.BatchId);
        await Task.Delay(300, Ct);
        Assert.Equal(3, hub.Listener.Callbacks.Count(c => c.Body["batchId"]!.ToString() == down.BatchId));
    }

    [Fact]
    public async Task Hub_faults_lose_callbacks_and_fail_transactions_at_the_provider()
    {
        using var raw = hub.Raw();
        var client = hub.NewClient();
        var account = await hub.NewAccountAsync("fault");
        (await raw.PutAsJsonAsync("/_emulator/hub-faults", new { lostCallbackRate = 1.0, providerErrorRate = 1.0 }, Ct)).EnsureSuccessStatusCode();
        try
        {
            var submission = await client.SubmitRawBatchAsync([ClosedLoop("fault-1", account, 3m)], "corr-fault", "salary",
                hub.Listener.Origin + "/callbacks/fault", Ct);
            var summary = await hub.WaitDoneAsync(client, submission.BatchId);
            Assert.Equal(1, summary.Failed);
            var transfer = Assert.Single(await client.GetAllTransfersAsync(submission.BatchId, ct: Ct));
            Assert.Equal("Provider error (emulator fault)", transfer.ErrorInformation);
            Assert.Equal(0m, (await hub.FineractClient.GetSavingsAccountAsync(account, ct: Ct)).Summary!.AccountBalance);
            Assert.DoesNotContain(hub.Listener.Callbacks, c => c.Body["batchId"]!.ToString() == submission.BatchId);
        }
        finally
        {
            (await raw.DeleteAsync("/_emulator/hub-faults", Ct)).EnsureSuccessStatusCode();
        }

        (await raw.PutAsJsonAsync("/_emulator/hub-faults", new { lostCallbackRate = 1.0 }, Ct)).EnsureSuccessStatusCode();
        try
        {
            var submission = await client.SubmitRawBatchAsync([ClosedLoop("fault-2", account, 3m)], "corr-lost", "salary",
                hub.Listener.Origin + "/callbacks/lost", Ct);
            var summary = await hub.WaitDoneAsync(client, submission.BatchId);
            Assert.Equal(1, summary.Successful);
            await Task.Delay(300, Ct);
            Assert.DoesNotContain(hub.Listener.Callbacks, c => c.Body["batchId"]!.ToString() == submission.BatchId);
        }
        finally
        {
            (await raw.DeleteAsync("/_emulator/hub-faults", Ct)).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task Lost_response_still_creates_the_batch_which_the_requestIds_find()
    {
        using var raw = hub.Raw();
        var client = hub.NewClient();
        (await raw.PutAsJsonAsync("/_emulator/faults", new { failureRate = 1.0, mode = "lost-response" }, Ct)).EnsureSuccessStatusCode();
        PaymentHubException error;
        try
        {
            error = await Assert.ThrowsAsync<PaymentHubException>(() => client.SubmitRawBatchAsync(
                [new PaymentHubPayment("lost-1", "NOPE", 2m, "USD", new PaymentHubParty("msisdn", "2557"))], "corr-lost-202", "salary", ct: Ct));
        }
        finally
        {
            (await raw.DeleteAsync("/_emulator/faults", Ct)).EnsureSuccessStatusCode();
        }
        Assert.Equal(502, error.StatusCode);
        Assert.True(error.IsTransient);
        // The work was done although the answer was lost: our requestId leads back to the batch, once.
        var found = await client.FindTransfersAsync("lost-1", ct: Ct);
        var transfer = Assert.Single(found.Content);
        Assert.Equal("lost-1", transfer.ClientCorrelationId);
        var summary = await client.GetBatchSummaryAsync(transfer.BatchId!, Ct);
        Assert.Equal("corr-lost-202", summary!.RequestId);
        Assert.Empty((await client.FindTransfersAsync("never-sent", ct: Ct)).Content);
    }
}
