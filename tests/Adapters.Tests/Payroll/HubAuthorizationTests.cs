using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.PaymentHub;
using OneClickSuite.Contracts;
using OneClickSuite.PaymentHubAdapter.Payouts;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// Payment Hub's batch authorization with the adapter as the payer's system: Payment Hub asks about every batch before
/// a transfer starts, and only the batches the adapter sent are authorized. A batch someone else puts into the
/// programme's tenant (with the programme's own signing key, naming the programme's wallet as payer) pays nobody.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class HubAuthorizationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Only_the_batches_the_adapter_sent_are_authorized_and_paid()
    {
        var pg = await PostgresServer.StartSharedAsync();
        var rabbit = await RabbitMqServer.StartSharedAsync();
        var suiteDb = await pg.CreateDatabaseAsync("hub_authorization_suite");
        var port = ServerProcess.FreePort();
        await using var world = await HubWorld.StartAsync("hub_authorization", Ct, payer: $"http://127.0.0.1:{port}");
        var settings = new Dictionary<string, string>(world.AdapterSettings())
        {
            ["ConnectionStrings:suite-db"] = suiteDb,
            ["ConnectionStrings:rabbitmq"] = rabbit.ConnectionString,
            ["Payouts:BatchWindow"] = "00:00:00.200",
            ["Payouts:PollEvery"] = "00:00:00.500",
            ["Payouts:AuthorizationWait"] = "00:00:03",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Wolverine"] = "Error",
        };
        await using var adapter = EmulatorHost<PaymentHubAdapterApp>.Start(_ => new Dictionary<string, string>(settings)
        {
            [SuiteIdentity.SigningKeySetting] = TestIdentity.SigningKey,
        }, port);
        var walletBefore = await world.Wallets.BalanceAsync(WalletProvider.ProgrammeWallet, Ct);

        // The programme's three payments, through the adapter.
        var intake = adapter.Services.GetRequiredService<PayoutIntake>();
        for (var i = 0; i < 3; i++)
        {
            var phone = $"+25677{i:D7}";
            await world.Wallets.OpenWalletAsync(phone, "Sarah", $"a{i}", Ct);
            await intake.AcceptAsync(new HubPaymentRequestedV1(Guid.CreateVersion7(), Guid.NewGuid(), Guid.NewGuid(), $"a{i}", null, "Sarah", 20m + i, "USD",
                new DateOnly(2025, 1, 1), new DateOnly(2025, 1, 31), HubPaymentModes.Gsma, "msisdn", phone, DateTimeOffset.UtcNow), Ct);
        }
        // A batch put straight into the tenant, signed with the programme's key and naming the programme's wallet.
        const string stranger = "+256779999999";
        await world.Wallets.OpenWalletAsync(stranger, "Mallory", "x", Ct);
        var forger = new PaymentHubClient(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, Options.Create(new PaymentHubOptions
        {
            BulkUrl = world.Hub.Origin, OperationsUrl = world.Hub.Origin, Tenant = HubWorld.Tenant, SigningKey = world.AdapterSettings()["PaymentHub:SigningKey"],
        }));
        var forged = await forger.SubmitRawBatchAsync(
            [new PaymentHubPayment("forged-1", HubPaymentModes.Gsma, 21m, "USD", new("msisdn", stranger), new("msisdn", WalletProvider.ProgrammeWallet))],
            Guid.NewGuid().ToString(), "Payroll", ct: Ct);

        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var transfers = await world.TransfersByRequestAsync(Ct);
            var statuses = await PayoutStatusesAsync(suiteDb);
            if (statuses.Count == 3 && statuses.All(s => s == "completed") && transfers.TryGetValue("forged-1", out var f) && f.Failed == 1) break;
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60),
                $"not settled: payouts {string.Join(", ", statuses)}; forged batch {(transfers.TryGetValue("forged-1", out var t) ? t : default)}");
            await Task.Delay(200, Ct);
        }

        var forgedTransfer = (await world.TransfersByRequestAsync(Ct))["forged-1"];
        Assert.Equal(0, forgedTransfer.Completed);
        Assert.Equal($"Authorization failed: Payment Hub batch {forged.BatchId} was not sent by this programme", forgedTransfer.Error);
        Assert.Equal(0m, await world.Wallets.BalanceAsync(stranger, Ct));
        Assert.Equal(20m + 21m + 22m, walletBefore - await world.Wallets.BalanceAsync(WalletProvider.ProgrammeWallet, Ct));

        // Each request decided once from the adapter's books, answered, and kept.
        var decisions = await DecisionsAsync(suiteDb);
        Assert.Equal(2, decisions.Count);
        var ours = Assert.Single(decisions, d => d.BatchId != forged.BatchId);
        Assert.True(ours.Authorized);
        Assert.NotNull(ours.BatchKey);
        Assert.Equal(63m, ours.Amount);
        var theirs = Assert.Single(decisions, d => d.BatchId == forged.BatchId);
        Assert.False(theirs.Authorized);
        Assert.Null(theirs.BatchKey);
        Assert.All(decisions, d => Assert.True(d.Answered));
    }

    [Fact]
    public async Task A_request_not_in_Payment_Hubs_form_is_refused_naming_what_is_wrong()
    {
        var pg = await PostgresServer.StartSharedAsync();
        var rabbit = await RabbitMqServer.StartSharedAsync();
        await using var adapter = ServiceHost.Start<PaymentHubAdapterApp>(new Dictionary<string, string>
        {
            ["ConnectionStrings:suite-db"] = await pg.CreateDatabaseAsync("hub_authorization_form"),
            ["ConnectionStrings:rabbitmq"] = rabbit.ConnectionString,
            ["PaymentHub:BulkUrl"] = "http://127.0.0.1:9",
            ["PaymentHub:OperationsUrl"] = "http://127.0.0.1:9",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        using var http = adapter.CreateClient();

        async Task<(HttpStatusCode Status, string Body)> AskAsync(string query, string? correlation, string? callback, string body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/batches/b-1" + query) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (correlation is not null) request.Headers.Add(AuthorizationEndpoints.CorrelationHeader, correlation);
            if (callback is not null) request.Headers.Add(AuthorizationEndpoints.CallbackHeader, callback);
            using var response = await http.SendAsync(request, Ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        const string good = """{"batchId":"b-1","payerIdentifier":null,"currency":"USD","amount":"63.00"}""";
        var noCommand = await AskAsync("", "1", "http://hub/authorization/callback", good);
        Assert.Equal(HttpStatusCode.BadRequest, noCommand.Status);
        Assert.Contains("command", noCommand.Body);
        Assert.Equal(HttpStatusCode.BadRequest, (await AskAsync("?command=approve", "1", "http://hub/authorization/callback", good)).Status);
        Assert.Contains(AuthorizationEndpoints.CorrelationHeader, (await AskAsync("?command=authorize", null, "http://hub/authorization/callback", good)).Body);
        Assert.Contains(AuthorizationEndpoints.CallbackHeader, (await AskAsync("?command=authorize", "1", null, good)).Body);
        var comma = await AskAsync("?command=authorize", "1", "http://hub/authorization/callback", """{"batchId":"b-1","currency":"USD","amount":"1,063.00"}""");
        Assert.Equal(HttpStatusCode.BadRequest, comma.Status);
        Assert.Contains("amount", comma.Body);
        Assert.Contains("b-1", comma.Body);
        var otherBatch = await AskAsync("?command=authorize", "1", "http://hub/authorization/callback", """{"batchId":"b-2","amount":"1"}""");
        Assert.Contains("b-2", otherBatch.Body);
        Assert.Equal(HttpStatusCode.Accepted, (await AskAsync("?command=authorize", "1", "http://hub/authorization/callback", good)).Status);
    }

    public static TheoryData<string, string?, string?, string, string, string?> Requests() => new()
    {
        // request: currency, payer, amount; the batch as sent: state, currency+total; the reason of a refusal or null for Y
        { "sent, whole", "USD", "+256700000001", "63.00", BatchState.Submitted, null },
        { "less than sent (PH-EE asks for what passed its party lookup)", "USD", null, "40", BatchState.Submitted, null },
        { "no amount (upstream sends \"0\" when its variable is unset)", null, null, "0", BatchState.Submitted, null },
        { "more than sent", "USD", null, "63.01", BatchState.Submitted, "63.01 asked, the programme sent 63" },
        { "another currency", "UGX", null, "63", BatchState.Submitted, "currency UGX asked, the programme sent USD" },
        { "another payer", "USD", "+256700000002", "63", BatchState.Submitted, "payer +256700000002 is not one of the programme's payers" },
        { "given up: its payments were queued again", "USD", null, "63", BatchState.Abandoned, "is abandoned in the programme's books" },
        { "settled already", "USD", null, "63", BatchState.Settled, "is settled in the programme's books" },
        { "some payments sent again elsewhere", "USD", null, "40", "submitted+2", "2 of its payments were sent again in another batch" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void A_batch_is_authorized_for_no_more_than_the_programme_sent(string why, string? currency, string? payer, string amount, string state, string? refusal)
    {
        var ask = new AuthorizationAsk("1", "b-1", payer, currency, decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), "http://hub");
        var (batchState, resent) = state.Split('+') is [var st, var n] ? (st, int.Parse(n, System.Globalization.CultureInfo.InvariantCulture)) : (state, 0);
        var decision = BatchAuthorizations.Decide(ask, new SentBatch(Guid.NewGuid(), batchState, "USD", 63m, resent), ["+256700000001"], waitOver: false);
        Assert.NotNull(decision);
        Assert.True(refusal is null == decision.Value.Authorized, why);
        if (refusal is not null) Assert.Contains(refusal, decision.Value.Reason);
    }

    [Fact]
    public void A_batch_the_adapter_does_not_hold_waits_for_its_answer_then_is_refused()
    {
        var ask = new AuthorizationAsk("1", "b-9", null, "USD", 5m, "http://hub");
        Assert.Null(BatchAuthorizations.Decide(ask, null, [], waitOver: false));
        var refused = BatchAuthorizations.Decide(ask, null, [], waitOver: true);
        Assert.Equal((false, "Payment Hub batch b-9 was not sent by this programme"), refused);
    }

    [Fact]
    public void Amounts_are_read_in_one_form()
    {
        Assert.Equal(63.5m, BatchAuthorizations.ParseAmount(JsonValue.Create("63.50")));
        Assert.Equal(63m, BatchAuthorizations.ParseAmount(JsonValue.Create(63)));
        Assert.Equal(0m, BatchAuthorizations.ParseAmount(JsonValue.Create("")));
        Assert.Equal(0m, BatchAuthorizations.ParseAmount(null));
        foreach (var bad in new[] { "1,063.00", "-5", "1e3", " 63", "63.", "sixty" })
            Assert.Null(BatchAuthorizations.ParseAmount(JsonValue.Create(bad)));
    }

    private static async Task<List<string>> PayoutStatusesAsync(string suiteDb)
    {
        await using var connection = new NpgsqlConnection(suiteDb);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT status FROM payment_hub_adapter.payouts", connection);
        var statuses = new List<string>();
        await using var r = await command.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct)) statuses.Add(r.GetString(0));
        return statuses;
    }

    private static async Task<List<(string BatchId, bool? Authorized, Guid? BatchKey, decimal Amount, bool Answered)>> DecisionsAsync(string suiteDb)
    {
        await using var connection = new NpgsqlConnection(suiteDb);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            "SELECT batch_id, authorized, batch_key, amount, answered_at IS NOT NULL FROM payment_hub_adapter.authorizations", connection);
        var rows = new List<(string, bool?, Guid?, decimal, bool)>();
        await using var r = await command.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct))
            rows.Add((r.GetString(0), r.IsDBNull(1) ? null : r.GetBoolean(1), r.IsDBNull(2) ? null : r.GetGuid(2), r.GetDecimal(3), r.GetBoolean(4)));
        return rows;
    }
}
