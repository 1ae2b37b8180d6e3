using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.MobileMoney;
using OneClickSuite.Emulators.MobileMoney;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// The mobile money provider emulator on a real socket with its own PostgreSQL database: the programme's disbursement
/// wallet funded in USD, worker wallets opened through its sandbox admin API, its books readable for assertions.
/// </summary>
public sealed class WalletProvider : IAsyncDisposable
{
    public const string ApiKey = "wallet-test-api-key";
    public const string ProgrammeWallet = "+256700000001";
    public const string BasePath = "/gsma/v1.2/mm";
    private readonly EmulatorHost<ProviderOptions> _host;

    private WalletProvider(EmulatorHost<ProviderOptions> host, string connectionString)
    {
        (_host, ConnectionString) = (host, connectionString);
        Admin = host.NewClient(8);
    }

    public string ConnectionString { get; }
    public HttpClient Admin { get; }
    public string Origin => _host.Origin;
    public string BaseUrl => _host.Origin + BasePath;

    public static async Task<WalletProvider> StartAsync(string database, decimal float_ = 100_000_000m)
    {
        var pg = await PostgresServer.StartSharedAsync();
        var connectionString = await pg.CreateDatabaseAsync(database);
        var host = EmulatorHost<ProviderOptions>.Start(_ => new Dictionary<string, string>
        {
            ["ConnectionStrings:mobilemoney-default"] = connectionString,
            ["MobileMoney:ApiKey"] = ApiKey,
            ["MobileMoney:DisbursementAccount:Msisdn"] = ProgrammeWallet,
            ["MobileMoney:DisbursementAccount:Currency"] = "USD",
            ["MobileMoney:DisbursementAccount:OpeningBalance"] = float_.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        return new WalletProvider(host, connectionString);
    }

    /// <summary>Settings a suite service needs to reach this provider (section MobileMoney) and pay from the programme's wallet.</summary>
    public Dictionary<string, string> Settings() => new()
    {
        ["MobileMoney:BaseUrl"] = BaseUrl,
        ["MobileMoney:ApiKey"] = ApiKey,
        ["Payouts:DebitIdentifierType"] = "msisdn",
        ["Payouts:DebitIdentifier"] = ProgrammeWallet,
    };

    public MobileMoneyClient Client() => new(new HttpClient { BaseAddress = new Uri(BaseUrl + "/") },
        Options.Create(new MobileMoneyOptions { BaseUrl = BaseUrl, ApiKey = ApiKey }));

    public async Task OpenWalletAsync(string msisdn, string firstName, string lastName, CancellationToken ct)
    {
        using var response = await Admin.PutAsJsonAsync("/_emulator/wallets",
            new { msisdn, name = $"{firstName} {lastName}", firstName, lastName, currency = "USD" }, ct);
        response.EnsureSuccessStatusCode();
    }

    public async Task SetFaultsAsync(object? faults, CancellationToken ct)
    {
        using var response = faults is null ? await Admin.DeleteAsync("/_emulator/faults", ct) : await Admin.PutAsJsonAsync("/_emulator/faults", faults, ct);
        response.EnsureSuccessStatusCode();
    }

    public async Task SetProviderFaultsAsync(object? faults, CancellationToken ct)
    {
        using var response = faults is null
            ? await Admin.DeleteAsync("/_emulator/callback-faults", ct)
            : await Admin.PutAsJsonAsync("/_emulator/callback-faults", faults, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>What the provider completed per payment reference: how many times, and the amounts it moved.</summary>
    public async Task<Dictionary<string, (int Count, decimal Total, string Msisdn)>> CompletedByReferenceAsync(CancellationToken ct)
    {
        var result = new Dictionary<string, (int, decimal, string)>();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT requesting_reference, count(*), sum(amount), min(credit_value) FROM mm_batch_txn
            WHERE status = 'completed' AND requesting_reference IS NOT NULL GROUP BY requesting_reference
            """, connection);
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) result[r.GetString(0)] = ((int)r.GetInt64(1), r.GetDecimal(2), r.GetString(3));
        return result;
    }

    public async Task<decimal> BalanceAsync(string msisdn, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT w.balance FROM mm_wallet w JOIN mm_wallet_identifier i ON i.wallet_id = w.id WHERE i.key = 'msisdn' AND i.value = $1
            """, connection) { Parameters = { new() { Value = msisdn } } };
        return (decimal)(await command.ExecuteScalarAsync(ct))!;
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();
}
