using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Emulators.Fineract;
using OneClickSuite.Emulators.PaymentHub;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// Payment Hub EE's emulator on a real socket over its own database, routing GSMA to the mobile money emulator
/// (<see cref="WalletProvider"/>) and CLOSEDLOOP to a Fineract emulator with a funded programme account; the hub's
/// signing key pair, and the books of all three readable for assertions.
/// </summary>
public sealed class HubWorld : IAsyncDisposable
{
    public const string Tenant = "gorilla";
    private const string FineractPassword = "hub-test-password";
    private readonly RSA _key = RSA.Create(2048);

    private HubWorld() { }

    public WalletProvider Wallets { get; private set; } = null!;
    public EmulatorHost<CommandPipeline> Fineract { get; private set; } = null!;
    public EmulatorHost<HubFaultSwitch> Hub { get; private set; } = null!;
    public FineractClient FineractClient { get; private set; } = null!;
    public string HubDb { get; private set; } = "";
    public long FundingAccountId { get; private set; }
    private long _product;

    /// <param name="payer">The payer's system Payment Hub asks to authorize each batch (the adapter's origin); null: no authorization step.</param>
    public static async Task<HubWorld> StartAsync(string name, CancellationToken ct, string? payer = null)
    {
        var world = new HubWorld();
        var pg = await PostgresServer.StartSharedAsync();
        world.HubDb = await pg.CreateDatabaseAsync(name + "_hub");
        var fineractDb = await pg.CreateDatabaseAsync(name + "_fineract");
        world.Wallets = await WalletProvider.StartAsync(name + "_wallets");
        world.Fineract = EmulatorHost<CommandPipeline>.Start(_ => new Dictionary<string, string>
        {
            ["ConnectionStrings:fineract-default"] = fineractDb,
            ["Fineract:SeedPassword"] = FineractPassword,
        });
        world.FineractClient = new FineractClient(
            new HttpClient { BaseAddress = new Uri(world.Fineract.Origin + "/fineract-provider/api/v1/"), Timeout = TimeSpan.FromSeconds(60) },
            Options.Create(new FineractOptions { BaseUrl = world.Fineract.Origin, Password = FineractPassword }));
        world._product = await world.FineractClient.CreateSavingsProductAsync("Staff salary account", "STAF", "USD", ct: ct);
        var paymentType = await world.FineractClient.CreatePaymentTypeAsync("Payroll", ct: ct);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var funder = await world.FineractClient.CreateClientAsync(new NewFineractClient
        {
            LegalForm = FineractLegalForm.Entity, Fullname = "Health Workforce Programme", ExternalId = "hub-funding",
            ActivationDate = today, SavingsProductId = world._product,
        }, ct: ct);
        world.FundingAccountId = funder.SavingsId!.Value;
        await world.FineractClient.DepositAsync(new FineractDeposit(world.FundingAccountId, 100_000_000m, today, paymentType, "float", null, "hub-float"), ct);

        world.Hub = EmulatorHost<HubFaultSwitch>.Start(origin => new Dictionary<string, string>(payer is null ? [] : [new("PaymentHub:Authorization:Url", payer)])
        {
            ["ConnectionStrings:paymenthub-default"] = world.HubDb,
            ["PaymentHub:PublicUrl"] = origin.ToString().TrimEnd('/'),
            ["PaymentHub:Worker:PollMs"] = "50",
            [$"PaymentHub:Jws:TenantKeys:{Tenant}"] = Convert.ToBase64String(world._key.ExportSubjectPublicKeyInfo()),
            ["PaymentHub:Providers:GSMA:BaseUrl"] = world.Wallets.BaseUrl,
            ["PaymentHub:Providers:GSMA:ApiKey"] = WalletProvider.ApiKey,
            ["PaymentHub:Providers:GSMA:TransactionType"] = "disbursement",
            ["PaymentHub:Providers:CLOSEDLOOP:BaseUrl"] = world.Fineract.Origin,
            ["PaymentHub:Providers:CLOSEDLOOP:Username"] = "mifos",
            ["PaymentHub:Providers:CLOSEDLOOP:Password"] = FineractPassword,
            ["PaymentHub:Providers:CLOSEDLOOP:FundingSavingsAccountId"] = world.FundingAccountId.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        return world;
    }

    /// <summary>What the adapter needs to reach this hub (section PaymentHub) and which payer it names per mode.</summary>
    public Dictionary<string, string> AdapterSettings() => new()
    {
        ["PaymentHub:BulkUrl"] = Hub.Origin,
        ["PaymentHub:OperationsUrl"] = Hub.Origin,
        ["PaymentHub:Tenant"] = Tenant,
        ["PaymentHub:SigningKey"] = Convert.ToBase64String(_key.ExportPkcs8PrivateKey()),
        ["Payouts:Payers:GSMA:Key"] = "msisdn",
        ["Payouts:Payers:GSMA:Value"] = WalletProvider.ProgrammeWallet,
    };

    /// <summary>A worker's savings account at the Fineract behind CLOSEDLOOP.</summary>
    public async Task<long> OpenAccountAsync(string workerId, CancellationToken ct)
    {
        var created = await FineractClient.CreateClientAsync(new NewFineractClient
        {
            Firstname = "Worker", Lastname = workerId, ExternalId = workerId, ActivationDate = DateOnly.FromDateTime(DateTime.UtcNow), SavingsProductId = _product,
        }, ct: ct);
        return created.SavingsId!.Value;
    }

    public async Task<decimal> AccountBalanceAsync(long savingsId, CancellationToken ct) =>
        (await FineractClient.GetSavingsAccountAsync(savingsId, ct: ct)).Summary!.AccountBalance;

    public async Task SetApiFaultsAsync(object? faults, CancellationToken ct)
    {
        using var http = Hub.NewClient(1);
        using var response = faults is null ? await http.DeleteAsync("/_emulator/faults", ct) : await http.PutAsJsonAsync("/_emulator/faults", faults, ct);
        response.EnsureSuccessStatusCode();
    }

    public async Task SetHubFaultsAsync(object? faults, CancellationToken ct)
    {
        using var http = Hub.NewClient(1);
        using var response = faults is null ? await http.DeleteAsync(HubFaultSwitch.AdminPath, ct) : await http.PutAsJsonAsync(HubFaultSwitch.AdminPath, faults, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Per requestId: the hub's transfers COMPLETED, FAILED, and the transaction ids of the completed ones.</summary>
    public async Task<Dictionary<string, (int Completed, int Failed, string? Error, List<string> TransactionIds)>> TransfersByRequestAsync(CancellationToken ct)
    {
        var result = new Dictionary<string, (int, int, string?, List<string>)>();
        await using var connection = new NpgsqlConnection(HubDb);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT client_correlation_id, status, error_information, transaction_id FROM ph_transfer", connection);
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var (completed, failed, error, ids) = result.GetValueOrDefault(r.GetString(0), (0, 0, null, []));
            if (r.GetString(1) == "COMPLETED") { completed++; ids.Add(r.GetString(3)); }
            if (r.GetString(1) == "FAILED") { failed++; error = r.IsDBNull(2) ? null : r.GetString(2); }
            result[r.GetString(0)] = (completed, failed, error, ids);
        }
        return result;
    }

    /// <summary>How many batches the hub holds and how many transfers are still in progress.</summary>
    public async Task<(long Batches, long InProgress)> HubCountsAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(HubDb);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM ph_batch), (SELECT count(*) FROM ph_transfer WHERE status = 'IN_PROGRESS')", connection);
        await using var r = await command.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return (r.GetInt64(0), r.GetInt64(1));
    }

    /// <summary>The mobile money provider's completed transactions per hub transaction id (its requestingOrganisationTransactionReference).</summary>
    public async Task<Dictionary<string, (int Count, decimal Total, string Msisdn)>> WalletTransactionsAsync(CancellationToken ct)
    {
        var result = new Dictionary<string, (int, decimal, string)>();
        await using var connection = new NpgsqlConnection(Wallets.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT requesting_reference, count(*), sum(amount), min(credit_party->0->>'value') FROM mm_transaction
            WHERE status = 'completed' AND requesting_reference IS NOT NULL GROUP BY requesting_reference
            """, connection);
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) result[r.GetString(0)] = ((int)r.GetInt64(1), r.GetDecimal(2), r.GetString(3));
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        await Fineract.DisposeAsync();
        await Wallets.DisposeAsync();
        _key.Dispose();
    }
}
