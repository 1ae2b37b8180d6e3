using OneClickSuite.Clients.MobileMoney;

namespace OneClickSuite.Emulators.MobileMoney.Tests;

public sealed class HostFixture : IAsyncLifetime
{
    public MobileMoneyHost Host { get; private set; } = null!;
    public CallbackListener Callbacks { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Host = await MobileMoneyHost.StartAsync();
        Callbacks = await CallbackListener.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Callbacks.DisposeAsync();
        await Host.DisposeAsync();
    }
}

public static class Batches
{
    private static int _msisdn = 1_000_000;

    /// <summary>A fresh E.164 number nobody else in the test process uses.</summary>
    public static string NewMsisdn() => "+2547" + Interlocked.Increment(ref _msisdn).ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    public static MmTransactionRequest Pay(string msisdn, decimal amount, string? reference = null, string currency = "KES") =>
        new(amount, currency, "disbursement", [MmParty.AccountId(MobileMoneyHost.DisbursementAccount)], [MmParty.Msisdn(msisdn)],
            reference ?? Guid.NewGuid().ToString("N"), "Salary");

    public static MmBatchRequest Of(params MmTransactionRequest[] transactions) => new(transactions, "Payroll", "Monthly salaries");
}
