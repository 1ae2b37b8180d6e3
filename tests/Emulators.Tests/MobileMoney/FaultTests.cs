using System.Diagnostics;
using OneClickSuite.Clients.MobileMoney;

namespace OneClickSuite.Emulators.MobileMoney.Tests;

/// <summary>Fault settings are per emulator process: these tests have their own and run one after another.</summary>
public sealed class FaultTests : IAsyncLifetime
{
    private MobileMoneyHost _host = null!;
    private CallbackListener _callbacks = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _host = await MobileMoneyHost.StartAsync(openingBalance: 100m);
        _callbacks = await CallbackListener.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _callbacks.DisposeAsync();
        await _host.DisposeAsync();
    }

    private async Task<string> CreateAsync(MmBatchRequest batch, Uri? callback = null)
    {
        var state = await _host.Client.CreateBatchAsync(batch, Guid.NewGuid(), callback, Ct);
        var done = await _host.WaitForRequestAsync(state.ServerCorrelationId);
        Assert.Equal("completed", done.Status);
        return done.ObjectReference!;
    }

    [Fact]
    public async Task A_lost_callback_is_never_sent_but_the_request_state_still_completes()
    {
        await _host.SetProviderFaultsAsync(new { lostCallbackRate = 1.0 });
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Kamau");
        await CreateAsync(Batches.Of(Batches.Pay(msisdn, 1m)), _callbacks.Url("lost"));
        Assert.Empty(await _callbacks.WaitAsync("lost", timeoutMs: 1_500));
        Assert.Equal(1, await _host.ScalarAsync("SELECT count(*) FROM mm_request WHERE callback_status LIKE 'lost%'"));
    }

    [Fact]
    public async Task A_duplicated_callback_arrives_twice_with_the_same_body()
    {
        await _host.SetProviderFaultsAsync(new { duplicateCallbackRate = 1.0, callbackDelayMs = 200 });
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Lulu");
        var started = Stopwatch.StartNew();
        await _host.Client.CreateBatchAsync(Batches.Of(Batches.Pay(msisdn, 1m)), Guid.NewGuid(), _callbacks.Url("twice"), Ct);
        var received = await _callbacks.WaitAsync("twice", count: 2);
        Assert.True(started.ElapsedMilliseconds >= 200);
        Assert.Equal(2, received.Count);
        Assert.Equal(received[0].Body, received[1].Body);
    }

    [Fact]
    public async Task Partial_rejections_come_from_the_rejection_rate_and_from_funds_running_out()
    {
        var (a, b, c) = (Batches.NewMsisdn(), Batches.NewMsisdn(), Batches.NewMsisdn());
        foreach (var m in new[] { a, b, c }) await _host.OpenWalletAsync(m, "Worker");
        // Opening balance 100: 60 + 30 fit, 20 does not, and nor does anything after it from that account.
        var batchId = await CreateAsync(Batches.Of(Batches.Pay(a, 60m, "a"), Batches.Pay(b, 30m, "b"), Batches.Pay(c, 20m, "c"), Batches.Pay(a, 5m, "a2")));
        await _host.WaitForRequestAsync((await _host.Client.ApproveBatchAsync(batchId, Guid.NewGuid(), null, Ct))!.ServerCorrelationId);
        var rejections = (await _host.Client.GetRejectionsAsync(batchId, 0, 10, Ct)).Items;
        Assert.Equal(["c", "a2"], rejections.Select(r => r.RequestingOrganisationTransactionReference));
        Assert.All(rejections, r => Assert.Equal("insufficientFunds", r.ReasonCode));
        Assert.Equal(10m, await _host.BalanceAsync(MobileMoneyHost.DisbursementAccount));

        await _host.SetProviderFaultsAsync(new { rejectionRate = 1.0 });
        var declined = await CreateAsync(Batches.Of(Batches.Pay(a, 1m), Batches.Pay(b, 1m)));
        await _host.WaitForRequestAsync((await _host.Client.ApproveBatchAsync(declined, Guid.NewGuid(), null, Ct))!.ServerCorrelationId);
        var batch = await _host.Client.GetBatchAsync(declined, Ct);
        Assert.Equal((0, 2), (batch.CompletedCount, batch.RejectionCount));
        Assert.All((await _host.Client.GetRejectionsAsync(declined, 0, 10, Ct)).Items, r => Assert.Equal("genericError", r.ReasonCode));
        Assert.Equal(10m, await _host.BalanceAsync(MobileMoneyHost.DisbursementAccount));
    }

    [Fact]
    public async Task A_closed_wallet_is_rejected_with_incorrect_state()
    {
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Moraa", status: "closed");
        var batchId = await CreateAsync(Batches.Of(Batches.Pay(msisdn, 1m)));
        await _host.WaitForRequestAsync((await _host.Client.ApproveBatchAsync(batchId, Guid.NewGuid(), null, Ct))!.ServerCorrelationId);
        Assert.Equal("incorrectState", Assert.Single((await _host.Client.GetRejectionsAsync(batchId, 0, 10, Ct)).Items).ReasonCode);
    }

    [Fact]
    public async Task After_a_lost_response_the_client_finds_its_batch_through_responses()
    {
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Nafula");
        await _host.SetFaultsAsync(new { failureRate = 1.0, mode = "lost-response" });
        var correlation = Guid.NewGuid();
        var lost = await Assert.ThrowsAsync<MobileMoneyException>(() =>
            _host.Client.CreateBatchAsync(Batches.Of(Batches.Pay(msisdn, 1m)), correlation, null, Ct));
        Assert.Equal(502, lost.StatusCode);
        Assert.True(lost.IsTransient);
        await _host.SetFaultsAsync(null);
        string? link = null;
        for (var i = 0; i < 200 && link?.Contains("/batchtransactions/", StringComparison.Ordinal) != true; i++)
        {
            link = await _host.Client.FindResponseLinkAsync(correlation, Ct);
            await Task.Delay(50, Ct);
        }
        Assert.NotNull(link);
        var batchId = link![(link.LastIndexOf('/') + 1)..];
        Assert.Equal("created", (await _host.Client.GetBatchAsync(batchId, Ct)).BatchStatus);
        var again = await Assert.ThrowsAsync<MobileMoneyException>(() =>
            _host.Client.CreateBatchAsync(Batches.Of(Batches.Pay(msisdn, 1m)), correlation, null, Ct));
        Assert.True(again.IsDuplicateRequest);
    }
}

public sealed class OneShotTests : IAsyncLifetime
{
    private MobileMoneyHost _host = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _host = await MobileMoneyHost.StartAsync(requiresApproval: false);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Without_approval_a_batch_is_posted_as_soon_as_it_is_parsed()
    {
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Otieno");
        var state = await _host.Client.CreateBatchAsync(Batches.Of(Batches.Pay(msisdn, 42m)), Guid.NewGuid(), null, Ct);
        var done = await _host.WaitForRequestAsync(state.ServerCorrelationId);
        var batch = await _host.Client.GetBatchAsync(done.ObjectReference!, Ct);
        Assert.Equal("completed", batch.BatchStatus);
        Assert.Equal(1, batch.CompletedCount);
        Assert.NotNull(batch.ApprovalDate);
        Assert.Equal(42m, await _host.BalanceAsync(msisdn.TrimStart('+')));
        var approve = await Assert.ThrowsAsync<MobileMoneyException>(() => _host.Client.ApproveBatchAsync(batch.BatchId, Guid.NewGuid(), null, Ct));
        Assert.True(approve.IsIncorrectState);
    }
}
