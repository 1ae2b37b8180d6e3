using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Contracts;
using OneClickSuite.Emulators.Fineract;
using OneClickSuite.Payroll.Reconciliation;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// Reconciliation against the Fineract emulator: a funding account and a worker account, transfers booked by hand the
/// way the Fineract adapter books them (reference first in the description, dated on the payment's pay date).
/// </summary>
public sealed class ReconciliationTests : IAsyncLifetime
{
    private const string Password = "reconciliation-password";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    private EmulatorHost<CommandPipeline> _emulator = null!;
    private FineractClient _fineract = null!;
    private long _productId;
    private CreatedFineractClient _funder = null!;
    private CreatedFineractClient _worker = null!;
    private int _keys;

    public async ValueTask InitializeAsync()
    {
        var pg = await PostgresServer.StartSharedAsync();
        var fineractDb = await pg.CreateDatabaseAsync("reconciliation_fineract");
        _emulator = EmulatorHost<CommandPipeline>.Start(_ => new Dictionary<string, string>
        {
            ["ConnectionStrings:fineract-default"] = fineractDb,
            ["Fineract:SeedPassword"] = Password,
        });
        _emulator.Services.GetRequiredService<CommandPipeline>().InFlightRetryDelays = [];
        _fineract = new FineractClient(new HttpClient { BaseAddress = new Uri(_emulator.Origin + "/fineract-provider/api/v1/") },
            Options.Create(new FineractOptions { BaseUrl = _emulator.Origin, Password = Password }));

        var opened = Today.AddDays(-90);
        _productId = await _fineract.CreateSavingsProductAsync("Staff salary account", "STAF", "USD", ct: Ct);
        _funder = await _fineract.CreateClientAsync(new NewFineractClient
        {
            LegalForm = FineractLegalForm.Entity, Fullname = "Health Workforce Programme", ExternalId = "funding-programme",
            ActivationDate = opened, SavingsProductId = _productId,
        }, ct: Ct);
        _worker = await _fineract.CreateClientAsync(new NewFineractClient
        {
            Firstname = "Sarah", Lastname = "Otieno", ExternalId = "worker-1", ActivationDate = opened, SavingsProductId = _productId,
        }, ct: Ct);
        await _fineract.DepositAsync(new FineractDeposit(_funder.SavingsId!.Value, 1_000_000m, opened, 1, "float", null, "float"), Ct);
    }

    public async ValueTask DisposeAsync() => await _emulator.DisposeAsync();

    private RunReconciliation Reconciliation(PayrollWorld world) =>
        new(world.Db, _fineract, new ProviderBooks(world.Db, new Microsoft.Extensions.DependencyInjection.ServiceCollection().BuildServiceProvider()),
            Options.Create(new PayrollOptions()));

    /// <summary>A transfer out of the funding account, described as the Fineract adapter describes it.</summary>
    private Task TransferAsync(PaymentRequestedV1 payment, decimal amount, DateOnly date) =>
        _fineract.TransferAsync(new FineractTransfer(1, _funder.ClientId, _funder.SavingsId!.Value, 1, _worker.ClientId, _worker.SavingsId!.Value,
            amount, date, $"{payment.Reference} payroll {payment.Period:yyyy-MM} {payment.EmployeeNumber}", $"test-{Interlocked.Increment(ref _keys)}"), Ct);

    private static async Task<Dictionary<string, PaymentRequestedV1>> ApproveAsync(PayrollWorld world, params (string Id, decimal Salary)[] nurses)
    {
        foreach (var (id, salary) in nurses) await world.AddAsync(PayrollWorld.Nurse(id, salary));
        var run = await world.ApprovedRunAsync("2026-09");
        return world.Outbox.Sent.Where(r => r.PayRunId == run.Id).ToDictionary(r => r.WorkerId);
    }

    /// <summary>Moves the run's payments into the past, as if it had been paid <paramref name="days"/> days ago.</summary>
    private static async Task BackdateAsync(PayrollWorld world, Guid runId, int days)
    {
        await using var connection = await world.Db.OpenConnectionAsync(Ct);
        await using var command = new Npgsql.NpgsqlCommand("""
            UPDATE payroll.payments SET pay_date = pay_date - $2, requested_at = requested_at - make_interval(days => $2),
                settled_at = settled_at - make_interval(days => $2)
            WHERE run_id = $1
            """, connection)
        {
            Parameters = { new() { Value = runId }, new() { Value = days } },
        };
        await command.ExecuteNonQueryAsync(Ct);
    }

    [Fact]
    public async Task Transfers_outside_the_runs_payment_days_are_not_read()
    {
        await using var world = await PayrollWorld.CreateAsync();
        var payments = await ApproveAsync(world, ("n1", 850m), ("n2", 900m));
        var runId = payments["n1"].PayRunId;
        await world.SettleAllAsync(runId);
        await BackdateAsync(world, runId, 30);
        // The world's clock, not the machine's: the run was requested and settled on the world's today.
        var payDay = DateOnly.FromDateTime(world.Clock.GetUtcNow().UtcDateTime).AddDays(-30);
        foreach (var payment in payments.Values) await TransferAsync(payment, payment.Amount, payDay);
        // Transfers carrying this run's references but dated before and after its payment days: a reading of the whole
        // history would count them (a duplicate for n1, a mismatch for n2); the window never sees them.
        await TransferAsync(payments["n1"], payments["n1"].Amount, payDay.AddDays(-1));
        await TransferAsync(payments["n2"], 1m, payDay.AddDays(1));
        await TransferAsync(payments["n2"], 2m, Today);

        var report = await Reconciliation(world).ReconcileAsync(runId, Ct);

        Assert.True(report.Clean, string.Join("; ", report.Issues.Select(i => $"{i.Kind} {i.WorkerId}: {i.Detail}")));
        Assert.Equal(2, report.LinesPaid);
        Assert.Equal(1750m, report.ExpectedTotal);
        Assert.Equal(1750m, report.FoundTotal);
        Assert.Equal(_funder.SavingsId, report.FundingSavingsAccountId);
    }

    [Fact]
    public async Task Missing_duplicate_mismatched_and_unexpected_transfers_are_reported()
    {
        await using var world = await PayrollWorld.CreateAsync();
        var payments = await ApproveAsync(world, ("n1", 850m), ("n2", 900m), ("n3", 1000m), ("n4", 700m), ("n5", 650m));
        var runId = payments["n1"].PayRunId;
        foreach (var worker in new[] { "n1", "n2", "n3", "n5" })
        {
            var p = payments[worker];
            await world.PayRuns.RecordSettledAsync(new PaymentSettledV1(p.PaymentId, p.Reference, 1, DateTimeOffset.UtcNow), Ct);
        }
        // n1 paid, nothing booked: missing. n2 booked twice: duplicate. n3 booked with another amount: mismatched.
        // n4 still requested but booked: unexpected. n5 booked right.
        await TransferAsync(payments["n2"], 900m, Today);
        await TransferAsync(payments["n2"], 900m, Today);
        await TransferAsync(payments["n3"], 999.99m, Today);
        await TransferAsync(payments["n4"], 700m, Today);
        await TransferAsync(payments["n5"], 650m, Today);
        // A deposit into the funding account carrying a reference is not a payment out.
        await _fineract.DepositAsync(new FineractDeposit(_funder.SavingsId!.Value, 650m, Today, 1, null, payments["n5"].Reference, "refund"), Ct);

        var report = await Reconciliation(world).ReconcileAsync(runId, Ct);

        Assert.False(report.Clean);
        var issues = report.Issues.ToDictionary(i => i.WorkerId!);
        Assert.Equal(["n1", "n2", "n3", "n4"], issues.Keys.Order());
        Assert.Equal(RunReconciliation.Missing, issues["n1"].Kind);
        Assert.Equal(RunReconciliation.Duplicate, issues["n2"].Kind);
        Assert.Equal(2, issues["n2"].Transactions);
        Assert.Equal(1800m, issues["n2"].Found);
        Assert.Equal(RunReconciliation.Mismatched, issues["n3"].Kind);
        Assert.Equal(999.99m, issues["n3"].Found);
        Assert.Equal(RunReconciliation.Unexpected, issues["n4"].Kind);
        Assert.Equal(4, report.LinesPaid);
        Assert.Equal(850m + 900m + 1000m + 650m, report.ExpectedTotal);
        Assert.Equal(1800m + 999.99m + 700m + 650m, report.FoundTotal);
    }

    [Fact]
    public async Task The_client_reads_every_page_in_id_order()
    {
        var account = _funder.SavingsId!.Value;
        var days = Enumerable.Range(0, 7).Select(d => Today.AddDays(-20 + d)).ToList();
        foreach (var day in days)
        {
            await _fineract.TransferAsync(new FineractTransfer(1, _funder.ClientId, account, 1, _worker.ClientId, _worker.SavingsId!.Value,
                10m, day, $"paging {day:yyyy-MM-dd}", $"paging-{day:yyyyMMdd}"), Ct);
        }

        var all = await _fineract.SearchSavingsTransactionsAsync(account,
            new FineractTransactionSearch { FromDate = days[1], ToDate = days[5], Debit = true, PageSize = 2 }, Ct);

        Assert.Equal(5, all.Count);
        Assert.Equal(all.Select(t => t.Id).Order(), all.Select(t => t.Id));
        Assert.Equal(days.Skip(1).Take(5).Select(d => $"paging {d:yyyy-MM-dd}"), all.Select(t => t.Transfer!.TransferDescription));
        Assert.All(all, t => Assert.True(t.TransactionType!.Withdrawal));

        var third = await _fineract.SearchSavingsTransactionsPageAsync(account,
            new FineractTransactionSearch { FromDate = days[1], ToDate = days[5], Debit = true, PageSize = 2 }, page: 2, Ct);
        Assert.Equal(5, third.Total);
        Assert.Equal([all[4].Id], third.Content!.Select(t => t.Id));
    }
}
