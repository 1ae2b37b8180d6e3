using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.MobileMoney;
using OneClickSuite.Testing;

namespace OneClickSuite.Emulators.MobileMoney.Tests;

/// <summary>The emulator on a real port and its own PostgreSQL database, with the suite's typed client.</summary>
public sealed class MobileMoneyHost : IAsyncDisposable
{
    public const string ApiKey = "test-api-key";
    public const string BasePath = "/gsma/v1.2/mm";
    public const string DisbursementAccount = "disbursement";

    private readonly EmulatorHost<Program> _host;

    private MobileMoneyHost(EmulatorHost<Program> host, string connectionString)
    {
        _host = host;
        ConnectionString = connectionString;
        Admin = host.NewClient(4);
        Client = NewClient(ApiKey);
    }

    public string ConnectionString { get; }

    /// <summary>The API's base URL, as another process would use it (http://127.0.0.1:port/gsma/v1.2/mm).</summary>
    public Uri BaseUrl => new(_host.Origin + BasePath + "/");

    public string Origin => _host.Origin;
    public HttpClient Admin { get; }
    public MobileMoneyClient Client { get; }

    public static async Task<MobileMoneyHost> StartAsync(bool requiresApproval = true, decimal openingBalance = 1_000_000m)
    {
        var pg = await PostgresServer.StartSharedAsync();
        var connectionString = await pg.CreateDatabaseAsync("mobilemoney");
        var host = EmulatorHost<Program>.Start(_ => new Dictionary<string, string>
        {
            ["ConnectionStrings:mobilemoney-default"] = connectionString,
            ["MobileMoney:ApiKey"] = ApiKey,
            ["MobileMoney:RequiresApproval"] = requiresApproval ? "true" : "false",
            ["MobileMoney:DisbursementAccount:AccountId"] = DisbursementAccount,
            ["MobileMoney:DisbursementAccount:Currency"] = "KES",
            ["MobileMoney:DisbursementAccount:OpeningBalance"] = openingBalance.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        return new MobileMoneyHost(host, connectionString);
    }

    public MobileMoneyClient NewClient(string apiKey) =>
        new(new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(60) },
            Options.Create(new MobileMoneyOptions { BaseUrl = BaseUrl.ToString(), ApiKey = apiKey }));

    /// <summary>A raw client of the API with the key, for what the typed client does not send.</summary>
    public HttpClient NewRawClient()
    {
        var http = new HttpClient { BaseAddress = BaseUrl };
        http.DefaultRequestHeaders.Add("X-API-Key", ApiKey);
        return http;
    }

    public async Task OpenWalletAsync(string msisdn, string name, decimal balance = 0, string currency = "KES", string? status = null,
        string? firstName = null, string? lastName = null)
    {
        var response = await Admin.PutAsJsonAsync("/_emulator/wallets",
            new { msisdn, name, currency, balance, status, firstName, lastName }, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public async Task<decimal> BalanceAsync(string accountId)
    {
        var wallet = await Admin.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/_emulator/wallets/{Uri.EscapeDataString(accountId)}",
            TestContext.Current.CancellationToken);
        return (decimal)wallet!["balance"]!;
    }

    public async Task SetProviderFaultsAsync(object? settings)
    {
        var response = settings is null
            ? await Admin.DeleteAsync("/_emulator/callback-faults", TestContext.Current.CancellationToken)
            : await Admin.PutAsJsonAsync("/_emulator/callback-faults", settings, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task SetFaultsAsync(object? settings)
    {
        var response = settings is null
            ? await Admin.DeleteAsync("/_emulator/faults", TestContext.Current.CancellationToken)
            : await Admin.PutAsJsonAsync("/_emulator/faults", settings, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task<long> ScalarAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return Convert.ToInt64(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>Polls the request state until it is no longer pending.</summary>
    public async Task<MmRequestState> WaitForRequestAsync(string serverCorrelationId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var state = await Client.GetRequestStateAsync(serverCorrelationId, TestContext.Current.CancellationToken);
            if (!state.IsPending || DateTime.UtcNow > deadline) return state;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _host.DisposeAsync();
    }
}

/// <summary>A client's callback endpoint: a real Kestrel listener that records every PUT and answers 204.</summary>
public sealed class CallbackListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<(string Path, string? CorrelationId, string? Date, string Body)> Received { get; } = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private CallbackListener(WebApplication app, int port)
    {
        _app = app;
        Root = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri Root { get; }

    public Uri Url(string name) => new(Root, "callbacks/" + name);

    public static async Task<CallbackListener> StartAsync()
    {
        var port = ServerProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        CallbackListener? listener = null;
        app.MapPut("/callbacks/{name}", async (HttpContext http, string name) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            listener!.Received.Enqueue((name, http.Request.Headers["X-CorrelationID"].FirstOrDefault(), http.Request.Headers["X-Date"].FirstOrDefault(), body));
            listener._arrived.Release();
            return Results.NoContent();
        });
        listener = new CallbackListener(app, port);
        await app.StartAsync();
        return listener;
    }

    public IReadOnlyList<(string Path, string? CorrelationId, string? Date, string Body)> For(string name) =>
        Received.Where(r => r.Path == name).ToList();

    /// <summary>Waits until <paramref name="count"/> callbacks reached <paramref name="name"/>, or the timeout.</summary>
    public async Task<IReadOnlyList<(string Path, string? CorrelationId, string? Date, string Body)>> WaitAsync(string name, int count = 1, int timeoutMs = 30_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (For(name).Count < count && DateTime.UtcNow < deadline)
            await _arrived.WaitAsync(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        return For(name);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _arrived.Dispose();
    }
}
