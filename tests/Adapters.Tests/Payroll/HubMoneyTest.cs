using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.PaymentHubAdapter.Payouts;
using HubPayoutStatus = OneClickSuite.PaymentHubAdapter.Payouts.PayoutStatus;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// The money test of the Payment Hub rail: a run of N lines (ONECLICK_HUB_TEST_LINES, default 300), half to wallets
/// (GSMA, through the mobile money emulator) and half to Fineract accounts (CLOSEDLOOP), paid through the Payment Hub
/// adapter and the Payment Hub emulator while the hub's API answers errors and loses responses (a lost 202 leaves a
/// batch the adapter must find again, never resend), progress callbacks are lost, the hub's providers fail some
/// payments, the adapter is replaced and RabbitMQ restarts. Afterwards every line is paid or failed; each paid line
/// was completed by the hub exactly once and its money reached its wallet or account once; no failed line moved money;
/// the programme's wallet and funding account fell by exactly what was paid on each rail.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class HubMoneyTest(ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static int Lines => int.TryParse(Environment.GetEnvironmentVariable("ONECLICK_HUB_TEST_LINES"), out var n) && n > 0 ? n : 300;
    private const string InjectedProviderError = "Provider error (emulator fault)";

    [Fact]
    public async Task Every_hub_line_is_paid_exactly_once_whatever_fails()
    {
        var n = Lines;
        var pg = await PostgresServer.StartSharedAsync();
        var rabbit = await RabbitMqServer.StartSharedAsync();
        var suiteDb = await pg.CreateDatabaseAsync("hub_money_suite");
        await using var world = await HubWorld.StartAsync("hub_money", Ct);

        var settings = new Dictionary<string, string>(world.AdapterSettings())
        {
            ["ConnectionStrings:suite-db"] = suiteDb,
            ["ConnectionStrings:rabbitmq"] = rabbit.ConnectionString,
            ["Fineract:BaseUrl"] = "http://127.0.0.1:9",
            ["Payroll:ResendAfter"] = "00:01:00",
            ["Payouts:MaxBatchSize"] = "20",
            ["Payouts:BatchWindow"] = "00:00:00.500",
            ["Payouts:PollEvery"] = "00:00:01",
            // The emulator lists a batch's transfers in the transaction that accepts it: a short grace is enough here.
            ["Payouts:LookupGrace"] = "00:00:08",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Wolverine"] = "Error",
        };
        await using var payroll = ServiceHost.Start<PayrollApp>(settings);
        var adapter = StartAdapter(settings);

        // Even workers are paid to a wallet, odd ones to a Fineract account; a clerk sets it, another person approves.
        var workforce = payroll.Services.GetRequiredService<Workforce.Workforce>();
        var maker = TestIdentity.ClientAs(payroll, "alice", SuiteIdentity.Clerk);
        var checker = TestIdentity.ClientAs(payroll, "bob", SuiteIdentity.Approver);
        var workers = Enumerable.Range(0, n)
            .Select(i => (Id: $"h{i:D5}", Gsma: i % 2 == 0, Phone: $"+2567{i:D8}", Salary: 150m + i % 83 + (i % 7) * 0.25m)).ToList();
        var payees = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        await Parallel.ForEachAsync(workers, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (w, ct) =>
        {
            await workforce.ApplyWorkerAsync(PayrollWorld.Nurse(w.Id, w.Salary) with { Phone = w.Phone }, 1, null, null, ct);
            string payee;
            if (w.Gsma)
            {
                await world.Wallets.OpenWalletAsync(w.Phone, "Sarah", w.Id, ct);
                payee = w.Phone;
            }
            else
            {
                payee = (await world.OpenAccountAsync(w.Id, ct)).ToString(CultureInfo.InvariantCulture);
            }
            payees[w.Id] = payee;
            var change = await (await maker.PostAsJsonAsync($"/workers/{w.Id}/payout-destination",
                    new PayoutChangeRequest("payment-hub", null, null, w.Gsma ? "GSMA" : "CLOSEDLOOP", payee), ct))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<PayoutChangeView>(ct);
            (await checker.PostAsJsonAsync($"/payout-destination-changes/{change!.Id}/approve", new PayoutDecision(null), ct)).EnsureSuccessStatusCode();
        });
        var walletBefore = await world.Wallets.BalanceAsync(WalletProvider.ProgrammeWallet, Ct);
        var fundingBefore = await world.AccountBalanceAsync(world.FundingAccountId, Ct);

        var period = DateTime.UtcNow.AddMonths(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var run = await (await maker.PostAsJsonAsync("/payruns", new { period, population = "everyone" }, Ct)).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<PayRunView>(Ct);
        Assert.Equal(n, run!.LineCount);
        (await maker.PostAsync($"/payruns/{run.Id}/submit", null, Ct)).EnsureSuccessStatusCode();
        var stopwatch = Stopwatch.StartNew();
        // Lost responses on the hub's API from the start (a lost 202 leaves a batch the adapter must find again); lost
        // progress callbacks and some failing providers throughout.
        await world.SetApiFaultsAsync(new { failureRate = 0.2, mode = "lost-response" }, Ct);
        await world.SetHubFaultsAsync(new { lostCallbackRate = 0.3, providerErrorRate = 0.05 }, Ct);
        (await checker.PostAsync($"/payruns/{run.Id}/approve", null, Ct)).EnsureSuccessStatusCode();

        var stage = 0;
        PayRunView current;
        while (true)
        {
            current = (await maker.GetFromJsonAsync<PayRunView>($"/payruns/{run.Id}", Ct))!;
            var done = current.LinesByStatus.GetValueOrDefault(LineStatus.Paid) + current.LinesByStatus.GetValueOrDefault(LineStatus.Failed);
            if (current.Status is RunStatus.Completed or RunStatus.CompletedWithFailures) break;
            Assert.True(stopwatch.Elapsed < TimeSpan.FromMinutes(10), $"stuck: {Describe(current)}\n{await AdapterStateAsync(suiteDb)}");
            if (stage == 0 && (done >= n * 0.2 || stopwatch.Elapsed > TimeSpan.FromSeconds(20)))
            {
                stage++;
                output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:F1} s, {done} done: replacing the adapter; 20% errors on the hub's API");
                await adapter.DisposeAsync();
                await world.SetApiFaultsAsync(new { failureRate = 0.2, mode = "error" }, Ct);
                adapter = StartAdapter(settings);
            }
            else if (stage == 1 && (done >= n * 0.5 || stopwatch.Elapsed > TimeSpan.FromSeconds(60)))
            {
                stage++;
                output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:F1} s, {done} done: restarting RabbitMQ");
                await rabbit.RestartAsync();
            }
            await Task.Delay(250, Ct);
        }
        output.WriteLine($"{Describe(current)} after {stopwatch.Elapsed.TotalSeconds:F1} s");
        await world.SetApiFaultsAsync(null, Ct);
        await world.SetHubFaultsAsync(null, Ct);
        output.WriteLine(await AdapterStateAsync(suiteDb));

        var lines = (await maker.GetFromJsonAsync<List<PayLineView>>($"/payruns/{run.Id}/lines?limit=100000", Ct))!;
        var transfers = await world.TransfersByRequestAsync(Ct);
        var walletTransactions = await world.WalletTransactionsAsync(Ct);
        var gsma = workers.Where(w => w.Gsma).Select(w => w.Id).ToHashSet();
        var paid = lines.Where(l => l.Status == LineStatus.Paid).ToList();
        var failed = lines.Where(l => l.Status == LineStatus.Failed).ToList();
        Assert.Equal(n, paid.Count + failed.Count);
        Assert.NotEmpty(paid);

        // Every paid line: one COMPLETED transfer at the hub, and its money in its worker's wallet or account, once.
        foreach (var line in paid)
        {
            Assert.True(transfers.TryGetValue(line.PaymentReference!, out var t), $"the hub has no transfer for paid line {line.PaymentReference}");
            Assert.Equal(1, t.Completed);
            if (gsma.Contains(line.WorkerId))
            {
                var tx = Assert.Single(t.TransactionIds);
                Assert.True(walletTransactions.TryGetValue(tx, out var w), $"the wallet provider never completed {line.PaymentReference}");
                Assert.Equal((1, line.Amount, payees[line.WorkerId]), w);
                Assert.Equal(line.Amount, await world.Wallets.BalanceAsync(payees[line.WorkerId], Ct));
            }
            else
            {
                Assert.Equal(line.Amount, await world.AccountBalanceAsync(long.Parse(payees[line.WorkerId], CultureInfo.InvariantCulture), Ct));
            }
        }
        // Every failed line: failed by an injected provider error, no transfer completed, no money moved.
        foreach (var line in failed)
        {
            Assert.Contains(InjectedProviderError, line.FailureReason);
            Assert.True(transfers.TryGetValue(line.PaymentReference!, out var t), $"{line.PaymentReference} failed without a transfer at the hub");
            Assert.Equal(0, t.Completed);
            if (gsma.Contains(line.WorkerId)) Assert.Equal(0m, await world.Wallets.BalanceAsync(payees[line.WorkerId], Ct));
            else Assert.Equal(0m, await world.AccountBalanceAsync(long.Parse(payees[line.WorkerId], CultureInfo.InvariantCulture), Ct));
        }
        // No completed transfer the suite does not know as paid, and the rails' totals match what left each payer.
        Assert.Equal(paid.Count, transfers.Values.Sum(t => t.Completed));
        Assert.Equal(paid.Count(l => gsma.Contains(l.WorkerId)), walletTransactions.Values.Sum(w => w.Count));
        Assert.Equal(paid.Where(l => gsma.Contains(l.WorkerId)).Sum(l => l.Amount), walletBefore - await world.Wallets.BalanceAsync(WalletProvider.ProgrammeWallet, Ct));
        Assert.Equal(paid.Where(l => !gsma.Contains(l.WorkerId)).Sum(l => l.Amount), fundingBefore - await world.AccountBalanceAsync(world.FundingAccountId, Ct));
        var (batches, inProgress) = await world.HubCountsAsync(Ct);
        Assert.Equal(0, inProgress);
        output.WriteLine($"{paid.Count} paid ({paid.Count(l => gsma.Contains(l.WorkerId))} GSMA, {paid.Count(l => !gsma.Contains(l.WorkerId))} CLOSEDLOOP), " +
                         $"{failed.Count} failed by injected provider errors; {batches} batches at the hub");
        await adapter.DisposeAsync();
    }

    /// <summary>
    /// Callbacks anyone could send: with a wrong token (401) or for no batch (404) nothing is believed; and even the
    /// hub's own callback, with the right token, is only a hint: a payment whose transfer is still in progress stays
    /// unpaid whatever the body claims.
    /// </summary>
    [Fact]
    public async Task Forged_callbacks_are_refused_and_change_nothing()
    {
        var pg = await PostgresServer.StartSharedAsync();
        var rabbit = await RabbitMqServer.StartSharedAsync();
        var suiteDb = await pg.CreateDatabaseAsync("hub_forged_suite");
        await using var world = await HubWorld.StartAsync("hub_forged", Ct);
        // The wallet provider never calls the hub back: the hub's transfers stay IN_PROGRESS.
        await world.Wallets.SetProviderFaultsAsync(new { lostCallbackRate = 1.0 }, Ct);
        var settings = new Dictionary<string, string>(world.AdapterSettings())
        {
            ["ConnectionStrings:suite-db"] = suiteDb,
            ["ConnectionStrings:rabbitmq"] = rabbit.ConnectionString,
            ["Payouts:BatchWindow"] = "00:00:00.200",
            ["Payouts:PollEvery"] = "00:00:00.500",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Wolverine"] = "Error",
        };
        await using var adapter = StartAdapter(settings);
        var intake = adapter.Services.GetRequiredService<PayoutIntake>();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var phone = $"+25678{i:D7}";
            await world.Wallets.OpenWalletAsync(phone, "Sarah", $"f{i}", Ct);
            var id = Guid.CreateVersion7();
            ids.Add(id);
            await intake.AcceptAsync(new HubPaymentRequestedV1(id, Guid.NewGuid(), Guid.NewGuid(), $"f{i}", null, "Sarah", 10m + i, "USD",
                new DateOnly(2025, 1, 1), new DateOnly(2025, 1, 31), HubPaymentModes.Gsma, "msisdn", phone, DateTimeOffset.UtcNow), Ct);
        }

        // Wait until the batch is at the hub and its transfers have reached the provider.
        var stopwatch = Stopwatch.StartNew();
        (Guid Key, string Token, string? BatchId, string State) batch;
        while (true)
        {
            batch = await BatchAsync(suiteDb);
            if (batch.State == BatchState.Submitted && (await world.WalletTransactionsAsync(Ct)).Count == 3) break;
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"the batch never reached the provider: {batch.State}");
            await Task.Delay(200, Ct);
        }

        using var http = adapter.NewClient(4);
        var lying = new { clientCorrelationId = batch.Key.ToString(), batchId = batch.BatchId, message = "The Batch Aggregation API was complete with : 100" };
        var wrongToken = await http.PostAsJsonAsync($"/callbacks/batches/{batch.Key}/{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())}", lying, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongToken.StatusCode);
        var noToken = await http.PostAsJsonAsync($"/callbacks/batches/{batch.Key}/x", lying, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        var unknown = await http.PostAsJsonAsync($"/callbacks/batches/{Guid.NewGuid()}/{batch.Token}", lying, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        // The right token with a body that lies: accepted (it is the hub's URL), believed not at all.
        var rightToken = await http.PostAsJsonAsync($"/callbacks/batches/{batch.Key}/{batch.Token}", lying, Ct);
        Assert.Equal(HttpStatusCode.OK, rightToken.StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(3), Ct); // several polls of the batch
        Assert.Equal(BatchState.Submitted, (await BatchAsync(suiteDb)).State);
        Assert.Equal([HubPayoutStatus.Batched], await StatusesAsync(suiteDb, ids));
        Assert.Equal(0, await OutcomesSentAsync(suiteDb));
    }

    /// <summary>
    /// The adapter's HTTP pipeline never resends a submission: when every answer of the bulk processor is lost (each
    /// POST creates a batch, then answers 502), one submission is one batch at the hub.
    /// </summary>
    [Fact]
    public async Task A_submission_whose_answer_is_lost_is_not_resent()
    {
        var pg = await PostgresServer.StartSharedAsync();
        var rabbit = await RabbitMqServer.StartSharedAsync();
        var suiteDb = await pg.CreateDatabaseAsync("hub_once_suite");
        await using var world = await HubWorld.StartAsync("hub_once", Ct);
        await using var adapter = StartAdapter(new Dictionary<string, string>(world.AdapterSettings())
        {
            ["ConnectionStrings:suite-db"] = suiteDb,
            ["ConnectionStrings:rabbitmq"] = rabbit.ConnectionString,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await world.SetApiFaultsAsync(new { failureRate = 1.0, mode = "lost-response" }, Ct);
        using var scope = adapter.Services.CreateScope();
        var client = scope.ServiceProvider.GetRequiredService<OneClickSuite.Clients.PaymentHub.PaymentHubClient>();
        var error = await Assert.ThrowsAsync<OneClickSuite.Clients.PaymentHub.PaymentHubException>(() => client.SubmitRawBatchAsync(
            [new("pay-once", HubPaymentModes.Gsma, 5m, "USD", new("msisdn", "+256781234567"))], Guid.NewGuid().ToString(), "Payroll", ct: Ct));
        Assert.Equal(502, error.StatusCode);
        await world.SetApiFaultsAsync(null, Ct);
        Assert.Equal(1, (await world.HubCountsAsync(Ct)).Batches);
    }

    private static async Task<(Guid Key, string Token, string? BatchId, string State)> BatchAsync(string suiteDb)
    {
        await using var connection = new NpgsqlConnection(suiteDb);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT batch_key, callback_token, batch_id, state FROM payment_hub_adapter.batches ORDER BY created_at DESC LIMIT 1",
            connection);
        await using var r = await command.ExecuteReaderAsync(Ct);
        return await r.ReadAsync(Ct) ? (r.GetGuid(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3)) : (Guid.Empty, "", null, "");
    }

    private static async Task<List<string>> StatusesAsync(string suiteDb, List<Guid> ids)
    {
        await using var connection = new NpgsqlConnection(suiteDb);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT DISTINCT status FROM payment_hub_adapter.payouts WHERE payment_id = ANY($1)", connection)
        {
            Parameters = { new() { Value = ids.ToArray() } },
        };
        var statuses = new List<string>();
        await using var r = await command.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct)) statuses.Add(r.GetString(0));
        return statuses;
    }

    /// <summary>Outcomes the adapter ever published (settled or failed) that are still in, or passed through, its outbox: none expected.</summary>
    private static async Task<long> OutcomesSentAsync(string suiteDb)
    {
        await using var connection = new NpgsqlConnection(suiteDb);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM payment_hub_adapter.payouts WHERE status IN ('completed', 'failed') OR settled_at IS NOT NULL", connection);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static EmulatorHost<PaymentHubAdapterApp> StartAdapter(Dictionary<string, string> settings) =>
        EmulatorHost<PaymentHubAdapterApp>.Start(origin => new Dictionary<string, string>(settings)
        {
            ["Payouts:CallbackBaseUrl"] = origin.ToString().TrimEnd('/'),
            [SuiteIdentity.SigningKeySetting] = TestIdentity.SigningKey,
        });

    private static async Task<string> AdapterStateAsync(string suiteDb)
    {
        await using var connection = new NpgsqlConnection(suiteDb);
        await connection.OpenAsync(Ct);
        var text = new System.Text.StringBuilder();
        try
        {
            await using (var command = new NpgsqlCommand(
                             """
                             SELECT state, count(*), sum(payouts), count(recovered_at), max(last_error) FROM payment_hub_adapter.batches
                             GROUP BY state ORDER BY state
                             """, connection))
            await using (var r = await command.ExecuteReaderAsync(Ct))
            {
                while (await r.ReadAsync(Ct))
                {
                    text.AppendLine($"batches {r.GetString(0)}: {r.GetInt64(1)} ({r.GetInt64(2)} payments), {r.GetInt64(3)} found again after a lost answer" +
                                    (r.IsDBNull(4) ? "" : "; e.g. " + r.GetString(4)));
                }
            }
            await using (var command = new NpgsqlCommand(
                             "SELECT status, count(*), count(*) FILTER (WHERE sends > 1), max(sends) FROM payment_hub_adapter.payouts GROUP BY status ORDER BY status", connection))
            await using (var r = await command.ExecuteReaderAsync(Ct))
            {
                while (await r.ReadAsync(Ct))
                    text.AppendLine($"payouts {r.GetString(0)}: {r.GetInt64(1)}, {r.GetInt64(2)} sent in more than one batch (at most {r.GetInt32(3)} times)");
            }
        }
        catch (PostgresException ex)
        {
            text.AppendLine(ex.Message);
        }
        return text.ToString();
    }

    private static string Describe(PayRunView run) => $"run {run.Status}: " + string.Join(", ", run.LinesByStatus.Select(s => $"{s.Value} {s.Key}"));
}
