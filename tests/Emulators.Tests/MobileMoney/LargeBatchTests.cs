using System.Diagnostics;
using OneClickSuite.Clients.MobileMoney;

namespace OneClickSuite.Emulators.MobileMoney.Tests;

public sealed class LargeBatchTests(ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>100,000 payments: create → parsed → approve → posted → every completion read in pages of 1,000.</summary>
    [Fact]
    [Trait("Category", "Performance")]
    public async Task A_batch_of_100000_is_parsed_posted_and_paged_quickly()
    {
        const int Count = 100_000;
        await using var host = await MobileMoneyHost.StartAsync(openingBalance: 10_000_000m);
        var wallets = Enumerable.Range(0, 1_000).Select(_ => Batches.NewMsisdn()).ToList();
        foreach (var msisdn in wallets) await host.OpenWalletAsync(msisdn, "Worker");
        var payments = Enumerable.Range(0, Count).Select(i => Batches.Pay(wallets[i % wallets.Count], 12.34m, $"pay-{i:D6}")).ToArray();

        var total = Stopwatch.StartNew();
        var state = await host.Client.CreateBatchAsync(new MmBatchRequest(payments, "Large", null), Guid.NewGuid(), null, Ct);
        var accepted = total.Elapsed;
        var parsed = await host.WaitForRequestAsync(state.ServerCorrelationId, TimeSpan.FromMinutes(5));
        var parsedAt = total.Elapsed;
        var approval = await host.Client.ApproveBatchAsync(parsed.ObjectReference!, Guid.NewGuid(), null, Ct);
        await host.WaitForRequestAsync(approval!.ServerCorrelationId, TimeSpan.FromMinutes(5));
        var postedAt = total.Elapsed;
        var seen = new HashSet<string>();
        for (var offset = 0; ; offset += 1_000)
        {
            var page = await host.Client.GetCompletionsAsync(parsed.ObjectReference!, offset, 1_000, Ct);
            foreach (var completion in page.Items) seen.Add(completion.RequestingOrganisationTransactionReference!);
            if (page.Items.Count < 1_000) break;
        }
        var pagedAt = total.Elapsed;

        output.WriteLine($"100k batch: 202 after {accepted.TotalSeconds:0.00} s, parsed {parsedAt.TotalSeconds:0.00} s, "
            + $"posted {postedAt.TotalSeconds:0.00} s, all completions paged {pagedAt.TotalSeconds:0.00} s "
            + $"(parse {(parsedAt - accepted).TotalSeconds:0.00} s, post {(postedAt - parsedAt).TotalSeconds:0.00} s, paging {(pagedAt - postedAt).TotalSeconds:0.00} s)");
        Assert.Equal(Count, seen.Count);
        Assert.Equal(10_000_000m - Count * 12.34m, await host.BalanceAsync(MobileMoneyHost.DisbursementAccount));
        Assert.True(pagedAt < TimeSpan.FromSeconds(120), $"took {pagedAt}");
    }
}
