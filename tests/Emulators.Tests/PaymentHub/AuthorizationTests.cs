using OneClickSuite.Clients.PaymentHub;

namespace OneClickSuite.Emulators.PaymentHub.Tests;

/// <summary>The hub with batch authorization on: it asks the payer's system (played by the listener) first.</summary>
public sealed class AuthorizingHub : Hub
{
    protected override IDictionary<string, string> ExtraSettings() =>
        new Dictionary<string, string> { ["PaymentHub:Authorization:Url"] = Listener.Origin + "/payer" };
}

public sealed class AuthorizationTests(AuthorizingHub hub) : IClassFixture<AuthorizingHub>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_hub_asks_the_payer_to_authorize_and_pays_after_Y()
    {
        var client = hub.NewClient();
        var account = await hub.NewAccountAsync("auth");
        var submission = await client.SubmitRawBatchAsync(
        [
            new PaymentHubPayment("auth-1", "CLOSEDLOOP", 12.5m, "USD", new PaymentHubParty("accountnumber", account.ToString()),
                new PaymentHubParty("accountnumber", "programme-7")),
        ], "corr-auth", "salary", ct: Ct);
        var summary = await hub.WaitDoneAsync(client, submission.BatchId);
        Assert.Equal(1, summary.Successful);

        var asked = Assert.Single(hub.Listener.AuthorizationRequests, r => r.BatchId == submission.BatchId);
        Assert.Equal("authorize", asked.Command);
        Assert.Equal(submission.BatchId, asked.Body["batchId"]!.ToString());
        Assert.Equal("programme-7", asked.Body["payerIdentifier"]!.ToString());
        Assert.Equal("USD", asked.Body["currency"]!.ToString());
        Assert.Equal("12.5", asked.Body["amount"]!.ToString());
        Assert.EndsWith("/authorization/callback", asked.Headers["X-CallbackURL"].ToString());
        Assert.True(long.TryParse(asked.Headers["X-Client-Correlation-ID"].ToString(), out _));
    }

    [Fact]
    public async Task A_refusal_fails_every_transfer_and_moves_no_money()
    {
        var client = hub.NewClient();
        var account = await hub.NewAccountAsync("refused");
        var submission = await client.SubmitRawBatchAsync(
        [
            new PaymentHubPayment("refused-1", "CLOSEDLOOP", 9m, "USD", new PaymentHubParty("accountnumber", account.ToString()),
                new PaymentHubParty("accountnumber", "refuse-me")),
        ], "corr-refused", "salary", ct: Ct);
        var summary = await hub.WaitDoneAsync(client, submission.BatchId);
        Assert.Equal(1, summary.Failed);
        var transfer = Assert.Single(await client.GetAllTransfersAsync(submission.BatchId, ct: Ct));
        Assert.Equal(PaymentHubTransferStatus.Failed, transfer.Status);
        Assert.Equal("Authorization failed: Budget exceeded", transfer.ErrorInformation);
        Assert.Equal(0m, (await hub.FineractClient.GetSavingsAccountAsync(account, ct: Ct)).Summary!.AccountBalance);
    }

    [Fact]
    public async Task A_payer_that_does_not_answer_leaves_the_batch_waiting_for_an_operator_after_three_attempts()
    {
        var client = hub.NewClient();
        var account = await hub.NewAccountAsync("unanswered");
        var submission = await client.SubmitRawBatchAsync(
        [
            new PaymentHubPayment("unanswered-1", "CLOSEDLOOP", 7m, "USD", new PaymentHubParty("accountnumber", account.ToString()),
                new PaymentHubParty("accountnumber", "down-payer")),
        ], "corr-unanswered", "salary", ct: Ct);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        while (hub.Listener.AuthorizationRequests.Count(r => r.BatchId == submission.BatchId) < 3 && stopwatch.Elapsed < TimeSpan.FromSeconds(20))
            await Task.Delay(100, Ct);
        await Task.Delay(1000, Ct);

        // The same job (one correlation id) tried three times, then no more; nothing paid, nothing failed.
        var asked = hub.Listener.AuthorizationRequests.Where(r => r.BatchId == submission.BatchId).ToList();
        Assert.Equal(3, asked.Count);
        Assert.Single(asked.Select(r => r.Headers["X-Client-Correlation-ID"].ToString()).Distinct());
        var transfer = Assert.Single(await client.GetAllTransfersAsync(submission.BatchId, ct: Ct));
        Assert.Equal(PaymentHubTransferStatus.InProgress, transfer.Status);
        Assert.Equal(0m, (await hub.FineractClient.GetSavingsAccountAsync(account, ct: Ct)).Summary!.AccountBalance);
    }
}
