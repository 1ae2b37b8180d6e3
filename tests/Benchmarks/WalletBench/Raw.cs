using System.Diagnostics;
using OneClickSuite.Clients.MobileMoney;

namespace OneClickSuite.Benchmarks.Wallets;

/// <summary>
/// The emulator alone: one batch of N through the typed client, create → request state completed → approve → batch
/// completed → every completion read (limit 1000), polling every 100 ms. Times are seconds from the start.
/// </summary>
public static class Raw
{
    public sealed record Result(double Seconds, double Post, double Parsed, double Approved, double Completed, double Paged, int Completions, int Rejections);

    public static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(100);

    /// <summary>Wallet i's MSISDN (the benchmark opens +2568 followed by eight digits).</summary>
    public static string Msisdn(int i) => "+2568" + i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An amount with cents, different per payout.</summary>
    public static decimal Amount(int i) => 100 + i % 900 + i % 100 / 100m;

    public static async Task<Result> RunAsync(MobileMoneyClient client, int n, string programmeWallet, CancellationToken ct)
    {
        var debit = new[] { new MmParty("msisdn", programmeWallet) };
        var transactions = Enumerable.Range(1, n)
            .Select(i => new MmTransactionRequest(Amount(i), "USD", "disbursement", debit, [new MmParty("msisdn", Msisdn(i))], $"raw-{i}", $"raw {i}"))
            .ToList();
        var watch = Stopwatch.StartNew();
        var state = await client.CreateBatchAsync(new MmBatchRequest(transactions, "raw", $"{n} raw payouts"), Guid.CreateVersion7(), null, ct);
        var post = watch.Elapsed.TotalSeconds;
        while (state.Status != "completed")
        {
            if (state.Status == "failed") throw new InvalidOperationException($"the raw batch failed: {state.Error?.ErrorCode}");
            await Task.Delay(PollEvery, ct);
            state = await client.GetRequestStateAsync(state.ServerCorrelationId, ct);
        }
        var batchId = state.ObjectReference!;
        var parsed = watch.Elapsed.TotalSeconds;
        await client.ApproveBatchAsync(batchId, Guid.CreateVersion7(), null, ct);
        var approved = watch.Elapsed.TotalSeconds;
        while ((await client.GetBatchAsync(batchId, ct)).BatchStatus != "completed") await Task.Delay(PollEvery, ct);
        var completed = watch.Elapsed.TotalSeconds;
        var completions = 0;
        for (var offset = 0; ; offset += 1000)
        {
            var page = await client.GetCompletionsAsync(batchId, offset, 1000, ct);
            completions += page.Items.Count;
            if (page.Items.Count < 1000) break;
        }
        var rejections = (await client.GetRejectionsAsync(batchId, 0, 1000, ct)).Items.Count;
        var seconds = watch.Elapsed.TotalSeconds;
        if (completions != n) throw new InvalidOperationException($"the raw batch completed {completions} of {n}");
        return new Result(seconds, post, parsed, approved, completed, seconds, completions, rejections);
    }
}
