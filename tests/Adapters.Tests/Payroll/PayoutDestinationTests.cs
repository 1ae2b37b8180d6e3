using OneClickSuite.Contracts;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Payroll.Payouts;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// Payout destinations: a change is asked for by a clerk and decided by another person, after the provider said whose
/// the wallet is; it applies to runs drafted after it; run checks block a wallet held by someone else or shared.
/// The provider is the mobile money emulator on a real socket.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class PayoutDestinationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly Actor Viewer = new("victor", new HashSet<string>());
    private static readonly Actor BothRoles = new("alice", new HashSet<string> { Actor.MakerRole, Actor.CheckerRole });

    [Fact]
    public async Task A_wallet_is_decided_by_another_person_and_pays_from_the_next_run()
    {
        await using var provider = await WalletProvider.StartAsync("payout_provider");
        await using var world = await PayrollWorld.CreateAsync(wallets: new ProviderWalletDirectory(provider.Client()));
        await world.AddAsync(PayrollWorld.Nurse("w1", 1000m) with { Phone = "+256700100001" });
        await world.AddAsync(PayrollWorld.Nurse("w3", 1200m));
        await world.LinkAccountAsync("w1", 11);
        await world.LinkAccountAsync("w3", 13);
        await provider.OpenWalletAsync("+256700100001", "Sarah", "w1", Ct);

        // Refused, each with the field and the worker named: no role, a number not in international form, a wallet the
        // provider does not know, no number at all.
        await Refused(403, () => world.Payouts.RequestChangeAsync("w1", new PayoutChangeRequest("mobile-money", null, null), Viewer, Ct));
        var malformed = await Refused(400, () => world.Payouts.RequestChangeAsync("w1", new PayoutChangeRequest("mobile-money", "0700 100 001", null), PayrollWorld.Maker, Ct));
        Assert.Contains("w1", malformed.Message);
        Assert.Contains("msisdn", malformed.Message);
        var unknown = await Refused(400, () => world.Payouts.RequestChangeAsync("w1", new PayoutChangeRequest("mobile-money", "+256799999999", null), PayrollWorld.Maker, Ct));
        Assert.Contains("knows no wallet +256799999999", unknown.Message);
        await Refused(400, () => world.Payouts.RequestChangeAsync("w3", new PayoutChangeRequest("mobile-money", null, null), PayrollWorld.Maker, Ct));
        await Refused(400, () => world.Payouts.RequestChangeAsync("w1", new PayoutChangeRequest("cash", null, null), PayrollWorld.Maker, Ct));

        // The worker's phone from iHRIS, and the provider's name for the wallet, kept with the change.
        var change = await world.Payouts.RequestChangeAsync("w1", new PayoutChangeRequest("mobile-money", null, "moved to a wallet"), BothRoles, Ct);
        Assert.Equal(("+256700100001", "Sarah w1", true, "pending"), (change.Msisdn, change.HolderName, change.HolderNameMatches, change.Status));
        await Refused(409, () => world.Payouts.RequestChangeAsync("w1", new PayoutChangeRequest("fineract", null, null), PayrollWorld.Maker, Ct));

        // The person who asked cannot decide, even holding both roles; a clerk cannot decide at all.
        var same = await Refused(403, () => world.Payouts.ApproveAsync(change.Id, BothRoles, null, Ct));
        Assert.Contains("maker–checker", same.Message);
        await Refused(403, () => world.Payouts.ApproveAsync(change.Id, PayrollWorld.Maker, null, Ct));

        // A run drafted before the approval pays where its approver saw: the savings account.
        var before = await world.PayRuns.CreateAsync(new NewPayRun("2026-09", "everyone", null), PayrollWorld.Maker, Ct);
        world.Clock.Now = world.Clock.Now.AddMinutes(1);
        var decided = await world.Payouts.ApproveAsync(change.Id, PayrollWorld.Checker, "checked with the worker", Ct);
        Assert.Equal(("approved", "bob"), (decided.Status, decided.DecidedBy));
        await Refused(409, () => world.Payouts.ApproveAsync(change.Id, PayrollWorld.Checker, null, Ct));
        await world.PayRuns.SubmitAsync(before.Id, PayrollWorld.Maker, Ct);
        await world.PayRuns.ApproveAsync(before.Id, PayrollWorld.Checker, Ct);
        Assert.Contains(world.Outbox.Sent, r => r.WorkerId == "w1" && r.PayRunId == before.Id);
        Assert.DoesNotContain(world.Outbox.SentToWallets, r => r.WorkerId == "w1");

        // The next run pays the wallet; the other worker stays on Fineract.
        world.Clock.Now = world.Clock.Now.AddMinutes(1);
        var after = await world.PayRuns.CreateAsync(new NewPayRun("2026-10", "everyone", null), PayrollWorld.Maker, Ct);
        await world.PayRuns.SubmitAsync(after.Id, PayrollWorld.Maker, Ct);
        await world.PayRuns.ApproveAsync(after.Id, PayrollWorld.Checker, Ct);
        var wallet = Assert.Single(world.Outbox.SentToWallets);
        Assert.Equal(("w1", "+256700100001", 1000m, "USD", after.Id), (wallet.WorkerId, wallet.Msisdn, wallet.Amount, wallet.Currency, wallet.PayRunId));
        Assert.Contains(world.Outbox.Sent, r => r.WorkerId == "w3" && r.PayRunId == after.Id);
        Assert.DoesNotContain(world.Outbox.Sent, r => r.WorkerId == "w1" && r.PayRunId == after.Id);

        var destination = await world.Payouts.GetAsync("w1", Ct);
        Assert.Equal(("mobile-money", "mobile wallet +256700100001", "Sarah w1"), (destination.Rail, destination.Destination, destination.HolderName));
        Assert.Null(destination.Pending);
    }

    [Fact]
    public async Task Run_checks_block_a_wallet_held_by_someone_else_or_shared_and_show_a_recent_change()
    {
        await using var provider = await WalletProvider.StartAsync("payout_checks_provider");
        await using var world = await PayrollWorld.CreateAsync(wallets: new ProviderWalletDirectory(provider.Client()));
        foreach (var (id, phone) in new[] { ("w1", "+256700200001"), ("w2", "+256700200002"), ("w4", "+256700200004"), ("w5", "+256700200004") })
        {
            await world.AddAsync(PayrollWorld.Nurse(id, 900m) with { Phone = phone });
            await world.LinkAccountAsync(id, 100 + int.Parse(id[1..]));
        }
        await provider.OpenWalletAsync("+256700200001", "Sarah", "w1", Ct);
        await provider.OpenWalletAsync("+256700200002", "Peter", "Okello", Ct);
        await provider.OpenWalletAsync("+256700200004", "Sarah", "w4", Ct);

        // w1 was paid into their account in September, then moves to their wallet.
        var september = await world.ApprovedRunAsync("2026-09", "worker", "w1");
        await world.SettleAllAsync(september.Id);
        world.Clock.Now = world.Clock.Now.AddMinutes(1);
        foreach (var id in new[] { "w1", "w2", "w4", "w5" })
        {
            var change = await world.Payouts.RequestChangeAsync(id, new PayoutChangeRequest("mobile-money", null, null), PayrollWorld.Maker, Ct);
            Assert.Equal(id != "w2" && id != "w5", change.HolderNameMatches);
            await world.Payouts.ApproveAsync(change.Id, PayrollWorld.Checker, null, Ct);
        }
        world.Clock.Now = world.Clock.Now.AddMinutes(1);

        var run = await world.PayRuns.CreateAsync(new NewPayRun("2026-10", "everyone", null), PayrollWorld.Maker, Ct);
        await world.PayRuns.SubmitAsync(run.Id, PayrollWorld.Maker, Ct);
        var checks = await world.Queries.GetChecksAsync(run.Id, false, 0, 100, Ct);
        string[] Kinds(string worker) => checks.Where(c => c.WorkerId == worker).Select(c => c.Kind).Order().ToArray();
        Assert.Contains("wallet-name-mismatch", Kinds("w2"));
        Assert.Contains(checks, c => c.WorkerId == "w2" && c.Kind == "wallet-name-mismatch" && c.Blocking && c.Detail.Contains("Peter Okello"));
        Assert.DoesNotContain("wallet-name-mismatch", Kinds("w1"));
        Assert.Contains(checks, c => c.WorkerId == "w4" && c.Kind == "shared-destination-wallet" && c.Blocking && c.Detail.Contains("w5"));
        Assert.Contains("shared-destination-wallet", Kinds("w5"));
        Assert.Contains(checks, c => c.WorkerId == "w1" && c.Kind == "payout-destination-changed" && !c.Blocking && c.Detail.Contains("+256700200001"));
        Assert.DoesNotContain("no-account-yet", checks.Select(c => c.Kind));

        // Blocking checks hold the approval.
        await Refused(409, () => world.PayRuns.ApproveAsync(run.Id, PayrollWorld.Checker, Ct));
    }

    private static async Task<PayrollRefusal> Refused(int status, Func<Task> act)
    {
        var refusal = await Assert.ThrowsAsync<PayrollRefusal>(act);
        Assert.Equal(status, refusal.Status);
        return refusal;
    }
}
