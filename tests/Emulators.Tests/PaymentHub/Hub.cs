extern alias fineract;
extern alias mobilemoney;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Clients.PaymentHub;
using OneClickSuite.Testing;
using FineractProgram = fineract::Program;
using MobileMoneyProgram = mobilemoney::Program;

namespace OneClickSuite.Emulators.PaymentHub.Tests;

/// <summary>
/// The Payment Hub emulator and the Fineract emulator, each on a real socket over a real PostgreSQL, a seeded
/// funding account, and a listener that plays the callback receiver and a GSMA provider.
/// </summary>
public class Hub : IAsyncLifetime
{
    public const string Tenant = "gorilla";
    public const string FineractPassword = "password";
    private readonly RSA _key = RSA.Create(2048);

    public EmulatorHost<Program> PaymentHub { get; private set; } = null!;
    public EmulatorHost<FineractProgram> Fineract { get; private set; } = null!;
    public EmulatorHost<MobileMoneyProgram> MobileMoney { get; private set; } = null!;
    public const string MobileMoneyKey = "mm-key";
    public Listener Listener { get; } = new();
    public FineractClient FineractClient { get; private set; } = null!;
    public long FundingAccountId { get; private set; }
    public long ProductId { get; private set; }
    public string PrivateKey => Convert.ToBase64String(_key.ExportPkcs8PrivateKey());

    public async ValueTask InitializeAsync()
    {
        var pg = await PostgresServer.StartSharedAsync();
        var fineractDb = await pg.CreateDatabaseAsync("fineract");
        var hubDb = await pg.CreateDatabaseAsync("paymenthub");
        var mmDb = await pg.CreateDatabaseAsync("mobilemoney");
        MobileMoney = EmulatorHost<MobileMoneyProgram>.Start(_ => new Dictionary<string, string>
        {
            ["ConnectionStrings:mobilemoney-default"] = mmDb,
            ["MobileMoney:ApiKey"] = MobileMoneyKey,
            ["MobileMoney:DisbursementAccount:AccountId"] = "disbursement",
            ["MobileMoney:DisbursementAccount:Currency"] = "KES",
            ["MobileMoney:DisbursementAccount:OpeningBalance"] = "100000",
        });
        await Listener.StartAsync();

        Fineract = EmulatorHost<FineractProgram>.Start(_ => new Dictionary<string, string>
        {
            ["ConnectionStrings:fineract-default"] = fineractDb,
            ["Fineract:SeedPassword"] = FineractPassword,
        });
        FineractClient = new FineractClient(new HttpClient { BaseAddress = new Uri(Fineract.Origin + "/fineract-provider/api/v1/") },
            Options.Create(new FineractOptions { BaseUrl = Fineract.Origin, Password = FineractPassword }));
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        ProductId = await FineractClient.CreateSavingsProductAsync("Salary", "SAL", "USD");
        var paymentType = await FineractClient.CreatePaymentTypeAsync("Payroll");
        FundingAccountId = await NewAccountAsync("funding", today);
        await FineractClient.DepositAsync(new FineractDeposit(FundingAccountId, 1_000_000m, today, paymentType, "float", null, "float"));

        PaymentHub = EmulatorHost<Program>.Start(origin => new Dictionary<string, string>(ExtraSettings())
        {
            ["ConnectionStrings:paymenthub-default"] = hubDb,
            ["PaymentHub:PublicUrl"] = origin.ToString(),
            ["PaymentHub:Worker:PollMs"] = "50",
            [$"PaymentHub:Jws:TenantKeys:{Tenant}"] = Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo()),
            ["PaymentHub:Providers:CLOSEDLOOP:BaseUrl"] = Fineract.Origin,
            ["PaymentHub:Providers:CLOSEDLOOP:Username"] = "mifos",
            ["PaymentHub:Providers:CLOSEDLOOP:Password"] = FineractPassword,
            ["PaymentHub:Providers:CLOSEDLOOP:FundingSavingsAccountId"] = FundingAccountId.ToString(),
            ["PaymentHub:Providers:GSMA:BaseUrl"] = Listener.Origin + "/gsma",
            ["PaymentHub:Providers:GSMA:TransactionType"] = "disbursement",
            // The mobile money emulator as a second GSMA provider, under its own payment mode.
            ["PaymentHub:Providers:MPESA:Kind"] = "GSMA",
            ["PaymentHub:Providers:MPESA:BaseUrl"] = MobileMoney.Origin + "/gsma/v1.2/mm",
            ["PaymentHub:Providers:MPESA:ApiKey"] = MobileMoneyKey,
            ["PaymentHub:Providers:MPESA:TransactionType"] = "disbursement",
        });
    }

    /// <summary>Settings a derived fixture adds to the Payment Hub emulator's.</summary>
    protected virtual IDictionary<string, string> ExtraSettings() => new Dictionary<string, string>();

    /// <summary>A new active client with an active savings account; the account's id.</summary>
    public async Task<long> NewAccountAsync(string name, DateOnly? on = null)
    {
        var today = on ?? DateOnly.FromDateTime(DateTime.UtcNow);
        var created = await FineractClient.CreateClientAsync(new NewFineractClient
        {
            Firstname = name, Lastname = "Worker", ExternalId = $"{name}-{Guid.NewGuid():N}", ActivationDate = today,
        });
        var savings = await FineractClient.CreateSavingsAccountAsync(created.ClientId, ProductId, today);
        await FineractClient.ApproveSavingsAccountAsync(savings, today);
        await FineractClient.ActivateSavingsAccountAsync(savings, today);
        return savings;
    }

    public PaymentHubClient NewClient(bool sign = true, string tenant = Tenant) => new(
        new HttpClient { Timeout = TimeSpan.FromSeconds(30) },
        Options.Create(new PaymentHubOptions
        {
            BulkUrl = PaymentHub.Origin, OperationsUrl = PaymentHub.Origin, Tenant = tenant, SigningKey = sign ? PrivateKey : null,
        }));

    public HttpClient Raw() => new() { BaseAddress = PaymentHub.BaseAddress };

    /// <summary>Polls the summary until no transfer is in progress.</summary>
    public async Task<PaymentHubBatchSummary> WaitDoneAsync(PaymentHubClient client, string batchId, int seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var summary = await client.GetBatchSummaryAsync(batchId, TestContext.Current.CancellationToken);
            if (summary is { Ongoing: 0 }) return summary;
            if (DateTime.UtcNow > until) throw new TimeoutException($"batch {batchId} still running: {summary?.Ongoing} in progress");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        await PaymentHub.DisposeAsync();
        await MobileMoney.DisposeAsync();
        await Fineract.DisposeAsync();
        await Listener.DisposeAsync();
        _key.Dispose();
    }
}

/// <summary>
/// Receives progress callbacks (<c>POST /callbacks/{name}</c>, answering with the status set for that name) and plays a
/// GSMA provider: <c>POST /gsma/transactions/type/{type}</c> answers 202 with a pending request state, then PUTs the
/// completed state to the <c>X-Callback-URL</c> it was given (payee "fail..." gets "failed").
/// </summary>
public sealed class Listener : IAsyncDisposable
{
    private WebApplication? _app;
    public string Origin { get; private set; } = "";
    public ConcurrentQueue<(string Name, JsonObject Body)> Callbacks { get; } = new();
    public ConcurrentDictionary<string, int> CallbackStatus { get; } = new();
    public ConcurrentQueue<(string Path, IHeaderDictionary Headers, JsonObject Body)> GsmaRequests { get; } = new();
    public ConcurrentQueue<(string BatchId, string Command, IHeaderDictionary Headers, JsonObject Body)> AuthorizationRequests { get; } = new();

    public async Task StartAsync()
    {
        var port = ServerProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        _app = builder.Build();
        _app.MapPost("/callbacks/{name}", async (string name, HttpContext http) =>
        {
            var body = (JsonObject)(await JsonNode.ParseAsync(http.Request.Body))!;
            Callbacks.Enqueue((name, body));
            return Results.StatusCode(CallbackStatus.GetValueOrDefault(name, 200));
        });
        _app.MapPost("/gsma/transactions/type/{type}", async (string type, HttpContext http) =>
        {
            var body = (JsonObject)(await JsonNode.ParseAsync(http.Request.Body))!;
            GsmaRequests.Enqueue((http.Request.Path, new HeaderDictionary(http.Request.Headers.ToDictionary()), body));
            var reference = Guid.NewGuid().ToString();
            var callback = http.Request.Headers["X-Callback-URL"].ToString();
            var payee = body["creditParty"]?[0]?["value"]?.ToString() ?? "";
            _ = Task.Run(async () =>
            {
                await Task.Delay(100);
                using var client = new HttpClient();
                await client.PutAsync(callback, new StringContent(new JsonObject
                {
                    ["serverCorrelationId"] = reference,
                    ["status"] = payee.StartsWith("fail", StringComparison.Ordinal) ? "failed" : "completed",
                    ["objectReference"] = "TX-" + reference[..8],
                }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            });
            return Results.Json(new JsonObject
            {
                ["serverCorrelationId"] = reference, ["status"] = "pending", ["notificationMethod"] = "callback",
                ["objectReference"] = "REQ-" + reference[..8], ["pollLimit"] = 100,
            }, statusCode: 202);
        });
        _app.MapPost("/payer/batches/{batchId}", async (string batchId, HttpContext http) =>
        {
            var body = (JsonObject)(await JsonNode.ParseAsync(http.Request.Body))!;
            AuthorizationRequests.Enqueue((batchId, http.Request.Query["command"].ToString(),
                new HeaderDictionary(http.Request.Headers.ToDictionary()), body));
            var key = http.Request.Headers["X-Client-Correlation-ID"].ToString();
            var callback = http.Request.Headers["X-CallbackURL"].ToString();
            var refuse = body["payerIdentifier"]?.ToString()?.StartsWith("refuse", StringComparison.Ordinal) == true;
            if (body["payerIdentifier"]?.ToString()?.StartsWith("down", StringComparison.Ordinal) == true) return Results.StatusCode(503);
            _ = Task.Run(async () =>
            {
                await Task.Delay(50);
                using var client = new HttpClient();
                await client.PostAsync(callback, new StringContent(new JsonObject
                {
                    ["clientCorrelationId"] = key, ["status"] = refuse ? "N" : "Y", ["reason"] = refuse ? "Budget exceeded" : null,
                }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            });
            return Results.StatusCode(202);
        });
        await _app.StartAsync();
        Origin = $"http://127.0.0.1:{port}";
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
