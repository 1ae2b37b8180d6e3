using Microsoft.Extensions.Hosting;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Contracts;
using OneClickSuite.Emulators.Fineract;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Payroll.Reconciliation;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// The money test, across rails: approve a run of N lines (ONECLICK_MONEY_TEST_LINES, default 10,000, the issue's number) split in three:
/// workers paid into Fineract savings accounts, into mobile wallets at a mobile money provider, and through Payment
/// Hub EE (half to wallets at a second provider, half to accounts at a second Fineract), destinations changed by a
/// clerk and approved by another person. During disbursement the Fineract emulator, the mobile money provider and
/// Payment Hub fail, lose responses and time out, callbacks are lost and repeated, all three adapters are replaced and
/// RabbitMQ restarts. Afterwards every line is paid exactly once on its rail, each paying account fell by exactly its
/// rail's total, and reconciliation against every provider's books finds nothing wrong.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class MoneyTest(ITestOutputHelper output)
{
    private const string Password = "money-test-password";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A guard against a hang, not a performance goal: on a loaded 2-core machine the RabbitMQ restart alone has taken
    /// 70 s, the 2,000-line run 340–400 s; the 10,000-line run took 187 s alone on the machine.
    /// </summary>
    private static int MaxSeconds => int.TryParse(Environment.GetEnvironmentVariable("ONECLICK_MONEY_TEST_SECONDS"), out var s) ? s : 1_800;

    private static int Lines => int.TryParse(Environment.GetEnvironmentVariable("ONECLICK_MONEY_TEST_LINES"), out var n) && n > 0 ? n : 10_000;

    /// <summary>ONECLICK_MONEY_TEST_FAULTS=off runs the same disbursement without faults: the throughput benchmark.</summary>
    private static bool Faults => !string.Equals(Environment.GetEnvironmentVariable("ONECLICK_MONEY_TEST_FAULTS"), "off", StringComparison.OrdinalIgnoreCase);

    [Fact]
    public async Task Every_approved_line_is_paid_exactly_once_whatever_fails()
    {
        var n = Lines;
        var pg = await PostgresServer.StartSharedAsync();
        var rabbit = await RabbitMqServer.StartSharedAsync();
        var fineractDb = await pg.CreateDatabaseAsync("money_fineract");
        var suiteDb = await pg.CreateDatabaseAsync("money_suite");

        // Fineract emulator on a real socket.
        await using var emulator = EmulatorHost<CommandPipeline>.Start(_ => new Dictionary<string, string>
        {
            ["ConnectionStrings:fineract-default"] = fineractDb,
            ["Fineract:SeedPassword"] = Password,
        });
        var fineractUrl = emulator.Origin;
        emulator.Services.GetRequiredService<CommandPipeline>().InFlightRetryDelays = [];
        var fineract = new FineractClient(new HttpClient { BaseAddress = new Uri(fineractUrl + "/fineract-provider/api/v1/"), Timeout = TimeSpan.FromSeconds(60) },
            Options.Create(new FineractOptions { BaseUrl = fineractUrl, Password = Password }));

        var stopwatch = Stopwatch.StartNew();
        var (fundingAccountId, workers) = await SeedFineractAsync(fineract, n);
        output.WriteLine($"seeded Fineract with {n} worker accounts in {stopwatch.Elapsed.TotalSeconds:F1} s");
        var (rawRate, rawDeposits) = await RawRatesAsync(fineract, TimeSpan.FromSeconds(10));
        output.WriteLine($"raw throughput of the emulator, 16 clients, 10 s each: transfers out of one account {rawRate:F0}/s, deposits {rawDeposits:F0}/s");

        // The mobile money provider, with a wallet in each wallet worker's own name; every second worker is paid there.
        await using var provider = await WalletProvider.StartAsync("money_provider");
        var walletWorkers = workers.Where((_, i) => i % 3 == 1).Select(w => w.WorkerId).ToHashSet();
        // Payment Hub, with its own two providers behind it; every third worker is paid through it.
        await using var hub = await HubWorld.StartAsync("money", Ct);
        var hubWorkers = workers.Where((_, i) => i % 3 == 2).Select((w, i) => (w.WorkerId, Gsma: i % 2 == 0)).ToList();
        var hubPayees = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        await Parallel.ForEachAsync(hubWorkers, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (w, ct) =>
        {
            if (w.Gsma) await hub.Wallets.OpenWalletAsync(Phone(w.WorkerId), "Sarah", w.WorkerId, ct);
            hubPayees[w.WorkerId] = w.Gsma ? Phone(w.WorkerId) : (await hub.OpenAccountAsync(w.WorkerId, ct)).ToString(CultureInfo.InvariantCulture);
        });
        string Phone(string workerId) => "+2568" + workerId[1..].PadLeft(8, '0');
        await Parallel.ForEachAsync(walletWorkers, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (w, ct) =>
            await provider.OpenWalletAsync(Phone(w), "Sarah", w, ct));

        var settings = new Dictionary<string, string>(provider.Settings().Concat(hub.AdapterSettings()))
        {
            // The hub emulator lists a batch's transfers as it accepts it: a short wait before sending again is enough here.
            ["Payouts:LookupGrace"] = "00:00:08",
            ["ConnectionStrings:suite-db"] = suiteDb,
            ["ConnectionStrings:rabbitmq"] = rabbit.ConnectionString,
            ["Fineract:BaseUrl"] = fineractUrl,
            ["Fineract:Password"] = Password,
            ["Disbursement:MaxConcurrentPayments"] = "8",
            // Long enough that queued payments are not re-requested while they wait their turn (about 8 payments/s here).
            ["Payroll:ResendAfter"] = "00:04:00",
            ["Payouts:MaxBatchSize"] = "250",
            ["Payouts:BatchWindow"] = "00:00:00.500",
            ["Payouts:PollEvery"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Wolverine"] = "Error",
        };
        await using var payroll = ServiceHost.Start<PayrollApp>(settings);
        var adapter = ServiceHost.Start<FineractAdapter.Disbursement.PaymentDisbursement>(settings);
        _ = adapter.Services;
        var walletAdapter = StartWalletAdapter(settings);
        var hubAdapter = StartHubAdapter(settings);

        // Payroll learns the workers and their accounts (as the roster and enrolment events would tell it).
        var workforce = payroll.Services.GetRequiredService<Workforce.Workforce>();
        await Parallel.ForEachAsync(workers, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (w, ct) =>
        {
            await workforce.ApplyWorkerAsync(PayrollWorld.Nurse(w.WorkerId, w.Salary) with { Phone = Phone(w.WorkerId) }, 1, null, null, ct);
            await workforce.ApplyAccountLinkAsync(new WorkerAccountLinkedV1(w.WorkerId, "EMP-" + w.WorkerId, w.ClientId, w.SavingsId, false, 1,
                DateTimeOffset.UtcNow), ct);
        });
        // The Fineract adapter's own record of the accounts it enrolled, as enrolment writes it: it pays into them
        // without asking Fineract whose they are (it asks only for an account it did not enrol).
        await using (var suite = new Npgsql.NpgsqlConnection(suiteDb))
        {
            await suite.OpenAsync(Ct);
            await using var enrolled = new Npgsql.NpgsqlCommand("""
                INSERT INTO fineract_adapter.worker_accounts (worker_id, employee_number, client_id, savings_account_id, applied_revision)
                SELECT w, 'EMP-' || w, c, s, 1 FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS a(w, c, s)
                """, suite);
            enrolled.Parameters.Add(new() { Value = workers.Select(w => w.WorkerId).ToArray() });
            enrolled.Parameters.Add(new() { Value = workers.Select(w => w.ClientId).ToArray() });
            enrolled.Parameters.Add(new() { Value = workers.Select(w => w.SavingsId).ToArray() });
            await enrolled.ExecuteNonQueryAsync(Ct);
        }

        var maker = TestIdentity.ClientAs(payroll, "alice", SuiteIdentity.Clerk);
        var checker = TestIdentity.ClientAs(payroll, "bob", SuiteIdentity.Approver);
        await Parallel.ForEachAsync(walletWorkers, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (w, ct) =>
        {
            var change = await (await maker.PostAsJsonAsync($"/workers/{w}/payout-destination", new PayoutChangeRequest(PayoutRails.MobileMoney, null, null), ct))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<PayoutChangeView>(ct);
            (await checker.PostAsJsonAsync($"/payout-destination-changes/{change!.Id}/approve", new PayoutDecision(null), ct)).EnsureSuccessStatusCode();
        });
        await Parallel.ForEachAsync(hubWorkers, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (w, ct) =>
        {
            var change = await (await maker.PostAsJsonAsync($"/workers/{w.WorkerId}/payout-destination", new PayoutChangeRequest(PayoutRails.PaymentHub, null,
                    null, w.Gsma ? HubPaymentModes.Gsma : HubPaymentModes.ClosedLoop, hubPayees[w.WorkerId]), ct))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<PayoutChangeView>(ct);
            (await checker.PostAsJsonAsync($"/payout-destination-changes/{change!.Id}/approve", new PayoutDecision(null), ct)).EnsureSuccessStatusCode();
        });
        var period = DateTime.UtcNow.AddMonths(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var created = await (await maker.PostAsJsonAsync("/payruns", new { period, population = "everyone" }, Ct)).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<PayRunView>(Ct);
        Assert.Equal(n, created!.LineCount);
        (await maker.PostAsync($"/payruns/{created.Id}/submit", null, Ct)).EnsureSuccessStatusCode();
        var balanceBefore = (await fineract.GetSavingsAccountAsync(fundingAccountId, ct: Ct)).Summary!.AccountBalance;
        var walletBefore = await provider.BalanceAsync(WalletProvider.ProgrammeWallet, Ct);
        var (hubWalletBefore, hubFundingBefore) = (await hub.Wallets.BalanceAsync(WalletProvider.ProgrammeWallet, Ct), await hub.AccountBalanceAsync(hub.FundingAccountId, Ct));

        stopwatch.Restart();
        (await checker.PostAsync($"/payruns/{created.Id}/approve", null, Ct)).EnsureSuccessStatusCode();
        if (Faults)
        {
            await SetFaultsAsync(fineractUrl, new { failureRate = 0.2, mode = "error" });
            await provider.SetFaultsAsync(new { failureRate = 0.2, mode = "error" }, Ct);
            await provider.SetProviderFaultsAsync(new { lostCallbackRate = 0.3, duplicateCallbackRate = 0.3 }, Ct);
            await hub.SetApiFaultsAsync(new { failureRate = 0.2, mode = "lost-response" }, Ct);
            await hub.SetHubFaultsAsync(new { lostCallbackRate = 0.3 }, Ct);
        }
        output.WriteLine($"approved at {stopwatch.Elapsed.TotalSeconds:F1} s; {(Faults ? "20% errors" : "no faults")}");

        var stage = Faults ? 0 : int.MaxValue;
        PayRunView run;
        while (true)
        {
            run = (await maker.GetFromJsonAsync<PayRunView>($"/payruns/{created.Id}", Ct))!;
            var paid = run.LinesByStatus.GetValueOrDefault(LineStatus.Paid);
            if (run.Status is RunStatus.Completed or RunStatus.CompletedWithFailures) break;
            if (stopwatch.Elapsed > TimeSpan.FromSeconds(MaxSeconds))
                Assert.Fail($"disbursement stuck: {Describe(run)}; {(await TransfersByReferenceAsync(fineractDb)).Count} transfers booked\n{await MessagingStateAsync(suiteDb)}");
            if (stage == 0 && paid >= n * 0.15)
            {
                stage++;
                output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:F1} s, {paid} paid: replacing the three adapters; 20% lost responses, the hub's 20% errors");
                await adapter.DisposeAsync();
                await walletAdapter.DisposeAsync();
                await hubAdapter.DisposeAsync();
                await hub.SetApiFaultsAsync(new { failureRate = 0.2, mode = "error" }, Ct);
                await SetFaultsAsync(fineractUrl, new { failureRate = 0.2, mode = "lost-response" });
                await provider.SetFaultsAsync(new { failureRate = 0.2, mode = "lost-response" }, Ct);
                adapter = ServiceHost.Start<FineractAdapter.Disbursement.PaymentDisbursement>(settings);
                _ = adapter.Services;
                walletAdapter = StartWalletAdapter(settings);
                hubAdapter = StartHubAdapter(settings);
                output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:F1} s: a new Fineract adapter is running");
            }
            else if (stage == 1 && paid >= n * 0.4)
            {
                stage++;
                output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:F1} s, {paid} paid: restarting RabbitMQ");
                await rabbit.RestartAsync();
                output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:F1} s: RabbitMQ is back");
            }
            else if (stage == 2 && paid >= n * 0.6)
            {
                stage++;
                output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:F1} s, {paid} paid: 10% timeouts");
                await SetFaultsAsync(fineractUrl, new { failureRate = 0.1, mode = "timeout", delayMs = 1500 });
                await provider.SetFaultsAsync(new { failureRate = 0.1, mode = "timeout", delayMs = 1500 }, Ct);
            }
            else if (stage == 3 && paid >= n * 0.8)
            {
                stage++;
                output.WriteLine($"{stopwatch.Elapsed.TotalSeconds:F1} s, {paid} paid: 20% errors");
                await SetFaultsAsync(fineractUrl, new { failureRate = 0.2, mode = "error" });
                await provider.SetFaultsAsync(new { failureRate = 0.2, mode = "error" }, Ct);
            }
            await Task.Delay(250, Ct);
        }
        await SetFaultsAsync(fineractUrl, null);
        await provider.SetFaultsAsync(null, Ct);
        await provider.SetProviderFaultsAsync(null, Ct);
        await hub.SetApiFaultsAsync(null, Ct);
        await hub.SetHubFaultsAsync(null, Ct);
        var rate = n / stopwatch.Elapsed.TotalSeconds;
        output.WriteLine($"{Describe(run)} after {stopwatch.Elapsed.TotalSeconds:F1} s: {rate:F1} payments/s {(Faults ? "with faults" : "without faults")}, " +
                         $"{rate / rawRate:F3} of the emulator's raw transfer throughput (the same operation), {rate / rawDeposits:F3} of its deposits");
        await adapter.DisposeAsync();
        await walletAdapter.DisposeAsync();
        await hubAdapter.DisposeAsync();

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(n, run.LinesByStatus[LineStatus.Paid]);

        // Every line paid exactly once on its own rail: one transfer per reference in the Fineract emulator's books, or
        // one completion per reference at the provider to the worker's wallet, with the line's amount; nothing on the other.
        var lines = (await maker.GetFromJsonAsync<List<PayLineView>>($"/payruns/{created.Id}/lines?limit=10000", Ct))!;
        var transfers = await TransfersByReferenceAsync(fineractDb);
        var completions = await provider.CompletedByReferenceAsync(Ct);
        var hubPaid = hubWorkers.ToDictionary(w => w.WorkerId, w => w.Gsma);
        var bankLines = lines.Where(l => !walletWorkers.Contains(l.WorkerId) && !hubPaid.ContainsKey(l.WorkerId)).ToList();
        var walletLines = lines.Where(l => walletWorkers.Contains(l.WorkerId)).ToList();
        var hubLines = lines.Where(l => hubPaid.ContainsKey(l.WorkerId)).ToList();
        var hubTransfers = await hub.TransfersByRequestAsync(Ct);
        foreach (var line in hubLines)
        {
            Assert.Equal(PayoutRails.PaymentHub, line.Rail);
            Assert.True(hubTransfers.TryGetValue(line.PaymentReference!, out var transfers_), $"Payment Hub has no transfer for {line.PaymentReference}");
            Assert.Equal(1, transfers_.Completed);
            // The money reached the payee at the provider behind the hub, once.
            var payee = hubPayees[line.WorkerId];
            Assert.Equal(line.Amount, hubPaid[line.WorkerId]
                ? await hub.Wallets.BalanceAsync(payee, Ct)
                : await hub.AccountBalanceAsync(long.Parse(payee, CultureInfo.InvariantCulture), Ct));
        }
        var (hubGsma, hubClosed) = (hubLines.Where(l => hubPaid[l.WorkerId]).Sum(l => l.Amount), hubLines.Where(l => !hubPaid[l.WorkerId]).Sum(l => l.Amount));
        Assert.Equal(hubGsma, hubWalletBefore - await hub.Wallets.BalanceAsync(WalletProvider.ProgrammeWallet, Ct));
        Assert.Equal(hubClosed, hubFundingBefore - await hub.AccountBalanceAsync(hub.FundingAccountId, Ct));
        Assert.Equal(bankLines.Count, transfers.Count);
        Assert.Equal(walletLines.Count, completions.Count);
        foreach (var line in bankLines)
        {
            Assert.Equal(PayoutRails.Fineract, line.Rail);
            Assert.True(transfers.TryGetValue(line.PaymentId!.Value, out var booked), $"no transfer for {line.PaymentReference}");
            Assert.Equal((1, line.Amount), booked);
        }
        foreach (var line in walletLines)
        {
            Assert.Equal(PayoutRails.MobileMoney, line.Rail);
            Assert.True(completions.TryGetValue(line.PaymentReference!, out var completed), $"no completion for {line.PaymentReference}");
            Assert.Equal((1, line.Amount, Phone(line.WorkerId)), completed);
        }

        // The funding account and the programme's wallet each fell by exactly their rail's total.
        var balanceAfter = (await fineract.GetSavingsAccountAsync(fundingAccountId, ct: Ct)).Summary!.AccountBalance;
        Assert.Equal(bankLines.Sum(l => l.Amount), balanceBefore - balanceAfter);
        Assert.Equal(walletLines.Sum(l => l.Amount), walletBefore - await provider.BalanceAsync(WalletProvider.ProgrammeWallet, Ct));
        output.WriteLine($"paid {bankLines.Count} lines into Fineract ({bankLines.Sum(l => l.Amount)}), {walletLines.Count} into wallets " +
                         $"({walletLines.Sum(l => l.Amount)}), {hubLines.Count} through Payment Hub ({hubGsma} to wallets, {hubClosed} to accounts)");

        var report = (await maker.GetFromJsonAsync<ReconciliationReport>($"/payruns/{created.Id}/reconciliation", Ct))!;
        Assert.True(report.Clean, string.Join("; ", report.Issues.Take(5).Select(i => $"{i.Kind} {i.PaymentId}: {i.Detail}")));
        Assert.Equal(n, report.LinesPaid);
        Assert.Equal(run.Total, report.FoundTotal);
        Assert.Equal([(PayoutRails.Fineract, bankLines.Count, bankLines.Sum(l => l.Amount)), (PayoutRails.MobileMoney, walletLines.Count, walletLines.Sum(l => l.Amount)),
                (PayoutRails.PaymentHub, hubLines.Count, hubLines.Sum(l => l.Amount))],
            report.Rails!.Select(r => (r.Rail, r.LinesPaid, r.FoundTotal)));
    }

    private static Testing.EmulatorHost<MobileMoneyAdapterApp> StartWalletAdapter(Dictionary<string, string> settings) =>
        Testing.EmulatorHost<MobileMoneyAdapterApp>.Start(origin => new Dictionary<string, string>(settings)
        {
            ["Payouts:CallbackBaseUrl"] = origin.ToString().TrimEnd('/'),
            [SuiteIdentity.SigningKeySetting] = TestIdentity.SigningKey,
        });

    private static Testing.EmulatorHost<PaymentHubAdapterApp> StartHubAdapter(Dictionary<string, string> settings) =>
        Testing.EmulatorHost<PaymentHubAdapterApp>.Start(origin => new Dictionary<string, string>(settings)
        {
            ["Payouts:CallbackBaseUrl"] = origin.ToString().TrimEnd('/'),
            [SuiteIdentity.SigningKeySetting] = TestIdentity.SigningKey,
        });

    private sealed record SeededWorker(string WorkerId, long ClientId, long SavingsId, decimal Salary);

    /// <summary>What Bootstrap and enrolment give: a salary product, a funded programme account, and N worker accounts.</summary>
    private static async Task<(long FundingAccountId, List<SeededWorker> Workers)> SeedFineractAsync(FineractClient fineract, int n)
    {
        var product = await fineract.CreateSavingsProductAsync("Staff salary account", "STAF", "USD", ct: Ct);
        var paymentType = await fineract.CreatePaymentTypeAsync("Payroll", ct: Ct);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var funder = await fineract.CreateClientAsync(new NewFineractClient
        {
            LegalForm = FineractLegalForm.Entity, Fullname = "Health Workforce Programme", ExternalId = "funding-programme",
            ActivationDate = today, SavingsProductId = product,
        }, ct: Ct);
        await fineract.DepositAsync(new FineractDeposit(funder.SavingsId!.Value, 100_000_000m, today, paymentType, "funding-float", null,
            "money-test-float"), Ct);

        var workers = new SeededWorker[n];
        await Parallel.ForAsync(0, n, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, ct) =>
        {
            var id = $"w{i:D6}";
            var created = await fineract.CreateClientAsync(new NewFineractClient
            {
                Firstname = "Worker", Lastname = id, ExternalId = id, ActivationDate = today, SavingsProductId = product,
            }, ct: ct);
            // Salaries with cents, so that a rounding slip would show in the totals.
            workers[i] = new SeededWorker(id, created.ClientId, created.SavingsId!.Value, 300m + i % 97 + (i % 7) * 0.13m);
        });
        return (funder.SavingsId.Value, workers.ToList());
    }

    /// <summary>
    /// Fineract's own transfer throughput in this run: 16 clients in a closed loop moving money out of one funding
    /// account (as disbursement does), between accounts of their own so the books under test are untouched.
    /// </summary>
    private static async Task<(double Transfers, double Deposits)> RawRatesAsync(FineractClient fineract, TimeSpan window)
    {
        var product = (await fineract.FindSavingsProductByNameAsync("Staff salary account", Ct))!.Id;
        var paymentType = (await fineract.ListPaymentTypesAsync(Ct)).First().Id;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var from = await fineract.CreateClientAsync(new NewFineractClient
        {
            LegalForm = FineractLegalForm.Entity, Fullname = "Raw benchmark funder", ExternalId = "raw-funder", ActivationDate = today, SavingsProductId = product,
        }, ct: Ct);
        var to = await fineract.CreateClientAsync(new NewFineractClient
        {
            Firstname = "Raw", Lastname = "Receiver", ExternalId = "raw-receiver", ActivationDate = today, SavingsProductId = product,
        }, ct: Ct);
        await fineract.DepositAsync(new FineractDeposit(from.SavingsId!.Value, 10_000_000m, today, paymentType, "raw-float", null, "raw-float"), Ct);

        var clock = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, 16).Select(client => Task.Run(async () =>
        {
            var done = 0;
            while (clock.Elapsed < window)
            {
                await fineract.TransferAsync(new FineractTransfer(1, from.ClientId, from.SavingsId.Value, 1, to.ClientId, to.SavingsId!.Value,
                    1m, today, RawDescription, $"raw-{client}-{done}"), Ct);
                done++;
            }
            return done;
        })));
        var transfers = counts.Sum() / clock.Elapsed.TotalSeconds;

        clock.Restart();
        var deposits = await Task.WhenAll(Enumerable.Range(0, 16).Select(client => Task.Run(async () =>
        {
            var done = 0;
            while (clock.Elapsed < window)
            {
                await fineract.DepositAsync(new FineractDeposit(to.SavingsId!.Value, 1m, today, paymentType, null, null, $"raw-deposit-{client}-{done}"), Ct);
                done++;
            }
            return done;
        })));
        return (transfers, deposits.Sum() / clock.Elapsed.TotalSeconds);
    }

    private const string RawDescription = "raw benchmark transfer";

    private static async Task<Dictionary<Guid, (int Count, decimal Total)>> TransfersByReferenceAsync(string fineractDb)
    {
        var result = new Dictionary<Guid, (int, decimal)>();
        await using var connection = new NpgsqlConnection(fineractDb);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT description, amount FROM m_account_transfer_details WHERE description <> $1", connection)
        {
            Parameters = { new() { Value = RawDescription } },
        };
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            var reference = PaymentReference.Find(reader.GetString(0));
            Assert.NotNull(reference);
            var (count, total) = result.GetValueOrDefault(reference.Value);
            result[reference.Value] = (count + 1, total + reader.GetDecimal(1));
        }
        return result;
    }

    private static async Task SetFaultsAsync(string url, object? faults)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        using var response = faults is null ? await http.DeleteAsync("/_emulator/faults", Ct) : await http.PutAsJsonAsync("/_emulator/faults", faults, Ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>What Wolverine holds in each service's schema: envelopes in flight and dead letters with their errors.</summary>
    private static async Task<string> MessagingStateAsync(string suiteDb)
    {
        var text = new System.Text.StringBuilder();
        await using var connection = new NpgsqlConnection(suiteDb);
        await connection.OpenAsync(Ct);
        foreach (var schema in new[] { "payroll", "fineract_adapter" })
        {
            foreach (var table in new[] { "wolverine_incoming_envelopes", "wolverine_outgoing_envelopes", "wolverine_dead_letters" })
            {
                var byStatus = table switch
                {
                    "wolverine_dead_letters" => "'dead'",
                    "wolverine_outgoing_envelopes" => "'owner ' || owner_id",
                    _ => "status || ' owner ' || owner_id",
                };
                await using var count = new NpgsqlCommand($"SELECT string_agg(s || ': ' || n, ', ') FROM (SELECT {byStatus} AS s, count(*) AS n FROM {schema}.{table} GROUP BY 1) x", connection);
                text.AppendLine($"{schema}.{table}: {await count.ExecuteScalarAsync(Ct)}");
            }
            await using var dead = new NpgsqlCommand($"SELECT message_type, exception_type, exception_message FROM {schema}.wolverine_dead_letters LIMIT 3", connection);
            await using var reader = await dead.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct)) text.AppendLine($"  dead: {reader.GetValue(0)} {reader.GetValue(1)} {reader.GetValue(2)}");
        }
        return text.ToString();
    }

    private static string Describe(PayRunView run) =>
        $"run {run.Status}: " + string.Join(", ", run.LinesByStatus.Select(s => $"{s.Value} {s.Key}"));
}
