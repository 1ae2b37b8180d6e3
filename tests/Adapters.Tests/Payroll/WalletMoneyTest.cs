using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.MobileMoneyAdapter.Payouts;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// The money test of the wallet rail: a run of N wallet lines (ONECLICK_WALLET_TEST_LINES, default 400) paid through
/// the mobile money adapter and the provider emulator while the provider answers errors, loses responses, loses and
/// repeats callbacks and rejects some payments, the adapter is replaced and RabbitMQ restarts, and a flood of forged
/// callbacks arrives. Afterwards every paid line was completed by the provider exactly once, to the worker's wallet,
/// for the line's amount; every rejected line moved nothing; the programme's wallet fell by exactly what was paid; and
/// a rejected payment retried to a corrected wallet is paid there.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class WalletMoneyTest(ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static int Lines => int.TryParse(Environment.GetEnvironmentVariable("ONECLICK_WALLET_TEST_LINES"), out var n) && n > 0 ? n : 400;

    [Fact]
    public async Task Every_wallet_line_is_paid_exactly_once_whatever_fails()
    {
        var n = Lines;
        var pg = await PostgresServer.StartSharedAsync();
        var rabbit = await RabbitMqServer.StartSharedAsync();
        var suiteDb = await pg.CreateDatabaseAsync("wallet_money_suite");
        await using var provider = await WalletProvider.StartAsync("wallet_money_provider");

        var settings = new Dictionary<string, string>(provider.Settings())
        {
            ["ConnectionStrings:suite-db"] = suiteDb,
            ["ConnectionStrings:rabbitmq"] = rabbit.ConnectionString,
            ["Fineract:BaseUrl"] = "http://127.0.0.1:9",
            ["Fineract:Password"] = "not-used-no-fineract-payment-here",
            ["Payroll:ResendAfter"] = "00:01:00",
            ["Payouts:MaxBatchSize"] = "100",
            ["Payouts:BatchWindow"] = "00:00:00.500",
            ["Payouts:PollEvery"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Wolverine"] = "Error",
        };
        await using var payroll = ServiceHost.Start<PayrollApp>(settings);
        var adapter = StartAdapter(settings);

        // Workers with phones, each with a wallet in their own name, moved to it by a clerk and approved by another.
        var workforce = payroll.Services.GetRequiredService<Workforce.Workforce>();
        var maker = TestIdentity.ClientAs(payroll, "alice", SuiteIdentity.Clerk);
        var checker = TestIdentity.ClientAs(payroll, "bob", SuiteIdentity.Approver);
        var workers = Enumerable.Range(0, n).Select(i => (Id: $"m{i:D5}", Phone: $"+2568{i:D8}", Salary: 200m + i % 89 + (i % 7) * 0.25m)).ToList();
        await Parallel.ForEachAsync(workers, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (w, ct) =>
        {
            await workforce.ApplyWorkerAsync(PayrollWorld.Nurse(w.Id, w.Salary) with { Phone = w.Phone }, 1, null, null, ct);
            await provider.OpenWalletAsync(w.Phone, "Sarah", w.Id, ct);
            var change = await (await maker.PostAsJsonAsync($"/workers/{w.Id}/payout-destination", new PayoutChangeRequest("mobile-money", null, null), ct))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<PayoutChangeView>(ct);
            (await checker.PostAsJsonAsync($"/payout-destination-changes/{change!.Id}/approve", new PayoutDecision(null), ct)).EnsureSuccessStatusCode();
        });
        var programmeBefore = await provider.BalanceAsync(WalletProvider.ProgrammeWallet, Ct);

        var period = DateTime.UtcNow.AddMonths(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var run = await (await maker.PostAsJsonAsync("/payruns", new { period, population = "everyone" }, Ct)).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<PayRunView>(Ct);
        Assert.Equal(n, run!.LineCount);
        (await maker.PostAsync($"/payruns/{run.Id}/submit", null, Ct)).EnsureSuccessStatusCode();
        var stopwatch = Stopwatch.StartNew();
        // Provider errors from the start, lost and repeated callbacks and some rejected payments throughout.
        await provider.SetFaultsAsync(new { failureRate = 0.2, mode = "error" }, Ct);
        await provider.SetProviderFaultsAsync(new { lostCallbackRate = 0.3, duplicateCallbackRate = 0.3, rejectionRate = 0.05 }, Ct);
        (await checker.PostAsync($"/payruns/{run.Id}/approve", null, Ct)).EnsureSuccessStatusCode();

        var forged = Task.Run(() => ForgeCallbacksAsync(adapter, suiteDb));
        var stage = 0;
        PayRunView current;
        while (true)
        {
            current = (await maker.GetFromJsonAsync<PayRunView>($"/payruns/{run.Id}", Ct))!;
            var done = current.LinesByStatus.GetValueOrDefault(LineStatus.Paid) + current.LinesByStatus.GetValueOrDefault(LineStatus.Failed);
            if (current.Status is RunStatus.Completed or RunStatus.CompletedWithFailures) break;
            Assert.True(stopwatch.Elapsed < TimeSpan.FromMinutes(10), $"stuck: {Describe(current)}");
            if (stage == 0 && (done >= n * 0.2 || stopwatch.Elapsed > TimeSpan.FromSeconds(20)))
            {
                stage++;
                output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:F1} s, {done} done: replacing the adapter; 20% lost responses");
                await adapter.DisposeAsync();
                await provider.SetFaultsAsync(new { failureRate = 0.2, mode = "lost-response" }, Ct);
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
        var (forgedUnauthorised, forgedUnknown) = await forged;
        await provider.SetFaultsAsync(null, Ct);
        await provider.SetProviderFaultsAsync(null, Ct);

        // Every line has an outcome; every paid one completed exactly once, to its worker's wallet, for its amount.
        var lines = (await maker.GetFromJsonAsync<List<PayLineView>>($"/payruns/{run.Id}/lines?limit=100000", Ct))!;
        var completed = await provider.CompletedByReferenceAsync(Ct);
        var phones = workers.ToDictionary(w => w.Id, w => w.Phone);
        var paid = lines.Where(l => l.Status == LineStatus.Paid).ToList();
        var failed = lines.Where(l => l.Status == LineStatus.Failed).ToList();
        Assert.Equal(n, paid.Count + failed.Count);
        Assert.NotEmpty(paid);
        foreach (var line in paid)
        {
            Assert.True(completed.TryGetValue(line.PaymentReference!, out var c), $"no completion for {line.PaymentReference}");
            Assert.Equal((1, line.Amount, phones[line.WorkerId]), c);
        }
        foreach (var line in failed)
        {
            Assert.False(completed.ContainsKey(line.PaymentReference!), $"{line.PaymentReference} failed but the provider completed it");
            Assert.Contains("rejected", line.FailureReason);
        }
        Assert.Equal(paid.Count, completed.Count);
        var programmeAfter = await provider.BalanceAsync(WalletProvider.ProgrammeWallet, Ct);
        Assert.Equal(paid.Sum(l => l.Amount), programmeBefore - programmeAfter);
        output.WriteLine($"{paid.Count} paid, {failed.Count} rejected by the provider; forged callbacks: {forgedUnauthorised} refused 401, {forgedUnknown} 404");

        // Reconciled against the provider's own books: every paid line is its completed transaction, the totals agree.
        var report = await ReconcileAsync(maker, run.Id);
        Assert.True(report.Clean, string.Join("; ", report.Issues.Take(5).Select(i => $"{i.Kind} {i.PaymentId}: {i.Detail}")));
        var wallets = Assert.Single(report.Rails!);
        Assert.Equal((PayoutRails.MobileMoney, paid.Count, paid.Sum(l => l.Amount), paid.Sum(l => l.Amount)),
            (wallets.Rail, wallets.LinesPaid, wallets.ExpectedTotal, wallets.FoundTotal));
        // A transaction the provider books differently from the line is found.
        await using (var books = new NpgsqlConnection(provider.ConnectionString))
        {
            await books.OpenAsync(Ct);
            await using var tamper = new NpgsqlCommand("UPDATE mm_batch_txn SET amount = amount + 1 WHERE requesting_reference = $1", books)
            {
                Parameters = { new() { Value = paid[0].PaymentReference! } },
            };
            Assert.Equal(1, await tamper.ExecuteNonQueryAsync(Ct));
        }
        var tampered = await ReconcileAsync(maker, run.Id);
        var mismatch = Assert.Single(tampered.Issues);
        Assert.Equal((Reconciliation.RunReconciliation.Mismatched, paid[0].PaymentId), (mismatch.Kind, mismatch.PaymentId));

        // A rejected payment, retried after its destination is corrected (asked for and approved by two people), is paid there.
        if (failed.FirstOrDefault() is { } rejected)
        {
            const string corrected = "+256799000001";
            await provider.OpenWalletAsync(corrected, "Sarah", rejected.WorkerId, Ct);
            var change = await (await maker.PostAsJsonAsync($"/workers/{rejected.WorkerId}/payout-destination",
                new PayoutChangeRequest("mobile-money", corrected, "wallet closed"), Ct)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<PayoutChangeView>(Ct);
            (await checker.PostAsJsonAsync($"/payout-destination-changes/{change!.Id}/approve", new PayoutDecision(null), Ct)).EnsureSuccessStatusCode();
            (await maker.PostAsync($"/payruns/{run.Id}/lines/{rejected.Id}/retry", null, Ct)).EnsureSuccessStatusCode();
            PayLineView retried;
            do
            {
                await Task.Delay(250, Ct);
                retried = (await maker.GetFromJsonAsync<List<PayLineView>>($"/payruns/{run.Id}/lines?limit=100000", Ct))!.Single(l => l.Id == rejected.Id);
                Assert.True(stopwatch.Elapsed < TimeSpan.FromMinutes(12), "the retry was never paid");
            } while (retried.Status != LineStatus.Paid);
            Assert.Equal(rejected.Amount, await provider.BalanceAsync(corrected, Ct));
        }
        await adapter.DisposeAsync();
    }

    private static async Task<ReconciliationReport> ReconcileAsync(HttpClient payroll, Guid runId)
    {
        using var response = await payroll.GetAsync($"/payruns/{runId}/reconciliation", Ct);
        Assert.True(response.IsSuccessStatusCode, $"reconciliation answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        return (await response.Content.ReadFromJsonAsync<ReconciliationReport>(Ct))!;
    }

    private static EmulatorHost<MobileMoneyAdapterApp> StartAdapter(Dictionary<string, string> settings) =>
        EmulatorHost<MobileMoneyAdapterApp>.Start(origin => new Dictionary<string, string>(settings)
        {
            ["Payouts:CallbackBaseUrl"] = origin.ToString().TrimEnd('/'),
            [Microsoft.Extensions.Hosting.SuiteIdentity.SigningKeySetting] = TestIdentity.SigningKey,
        });

    /// <summary>
    /// Callbacks anyone could send: for real batches with a wrong token, and for batches that do not exist. None may be
    /// accepted; (the accepted one would only make the adapter ask the provider sooner).
    /// </summary>
    private static async Task<(int Unauthorised, int Unknown)> ForgeCallbacksAsync(EmulatorHost<MobileMoneyAdapterApp> adapter, string suiteDb)
    {
        using var http = new HttpClient { BaseAddress = new Uri(adapter.Origin) };
        var (unauthorised, unknown) = (0, 0);
        for (var round = 0; round < 40; round++)
        {
            var keys = new List<Guid>();
            await using (var connection = new NpgsqlConnection(suiteDb))
            {
                await connection.OpenAsync(Ct);
                await using var command = new NpgsqlCommand("SELECT batch_key FROM mobile_money_adapter.batches", connection);
                try
                {
                    await using var r = await command.ExecuteReaderAsync(Ct);
                    while (await r.ReadAsync(Ct)) keys.Add(r.GetGuid(0));
                }
                catch (PostgresException)
                {
                }
            }
            foreach (var key in keys.Take(10).Append(Guid.NewGuid()))
            {
                try
                {
                    using var response = await http.PutAsJsonAsync($"/callbacks/batches/{key}/{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())}",
                        new { batchId = "forged", batchStatus = "completed" }, Ct);
                    Assert.NotEqual(HttpStatusCode.NoContent, response.StatusCode);
                    if (response.StatusCode == HttpStatusCode.Unauthorized) unauthorised++;
                    else if (response.StatusCode == HttpStatusCode.NotFound) unknown++;
                }
                catch (HttpRequestException)
                {
                    // The adapter being replaced.
                }
            }
            await Task.Delay(100, Ct);
        }
        return (unauthorised, unknown);
    }

    private static string Describe(PayRunView run) => $"run {run.Status}: " + string.Join(", ", run.LinesByStatus.Select(s => $"{s.Value} {s.Key}"));
}
