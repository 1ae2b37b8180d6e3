using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OneClickSuite.Testing;

namespace OneClickSuite.Emulators.Fineract.Tests;

/// <summary>The emulator in-process on a real PostgreSQL database, with a client that talks like the suite does.</summary>
public sealed class FineractHost : IAsyncDisposable
{
    public const string Password = "password";
    private readonly WebApplicationFactory<Program> _factory;

    private FineractHost(string connectionString)
    {
        ConnectionString = connectionString;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:fineract-default", connectionString);
            web.UseSetting("Fineract:SeedPassword", Password);
        });
        Client = NewClient("mifos", Password);
        // Fineract retries an in-flight key for 3 s before answering 425; tests need not wait.
        Services.GetRequiredService<CommandPipeline>().InFlightRetryDelays = [];
    }

    public string ConnectionString { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => _factory.Services;

    public static async Task<FineractHost> StartAsync(string? connectionString = null)
    {
        if (connectionString is null)
        {
            var pg = await PostgresServer.StartSharedAsync();
            connectionString = await pg.CreateDatabaseAsync("fineract");
        }
        return new FineractHost(connectionString);
    }

    public HttpClient NewClient(string? username, string? password, string? tenant = "default")
    {
        var client = _factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://localhost/fineract-provider/api/v1/") });
        if (tenant is not null) client.DefaultRequestHeaders.Add("Fineract-Platform-TenantId", tenant);
        if (username is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        return client;
    }

    /// <summary>A client of the emulator's own pages (root URL, no API headers), as a browser would be.</summary>
    public HttpClient NewBrowser(bool followRedirects = true) =>
        _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = followRedirects });

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    public async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string url,
        string? json = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null) request.Content = Body(json);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        JsonNode? body = null;
        try { body = text.Length > 0 ? JsonNode.Parse(text) : null; } catch (System.Text.Json.JsonException) { }
        return ((int)response.StatusCode, body, response);
    }

    public Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> PostAsync(string url, string json, string? key = null) =>
        SendAsync(HttpMethod.Post, url, json, key);

    public Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> GetAsync(string url) => SendAsync(HttpMethod.Get, url);

    public async Task<long> CreateProductAsync()
    {
        var shortName = Guid.NewGuid().ToString("N")[..4];
        var (status, body, _) = await PostAsync("savingsproducts", $$"""
            {"name":"Wallet {{shortName}}","shortName":"{{shortName}}","currencyCode":"USD","digitsAfterDecimal":2,"inMultiplesOf":1,
             "nominalAnnualInterestRate":0,"interestCompoundingPeriodType":1,"interestPostingPeriodType":4,
             "interestCalculationType":1,"interestCalculationDaysInYearType":365,"accountingRule":1,"locale":"en"}
            """);
        Assert.Equal(200, status);
        return (long)body!["resourceId"]!;
    }

    /// <summary>An active client with an active savings account, through the savingsProductId shortcut.</summary>
    public async Task<(long ClientId, long SavingsId)> CreateClientWithAccountAsync(long productId, string? externalId = null)
    {
        externalId ??= Guid.NewGuid().ToString("N");
        var (status, body, _) = await PostAsync("clients", $$"""
            {"officeId":1,"legalFormId":1,"firstname":"Amina","lastname":"Otieno","externalId":"{{externalId}}",
             "active":true,"activationDate":"2024-01-15","dateFormat":"yyyy-MM-dd","locale":"en","savingsProductId":{{productId}}}
            """);
        Assert.True(status == 200, body?.ToJsonString());
        return ((long)body!["clientId"]!, (long)body["savingsId"]!);
    }

    public static string Deposit(decimal amount) =>
        $$"""{"transactionDate":"2024-02-01","transactionAmount":{{amount.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"paymentTypeId":1,"dateFormat":"yyyy-MM-dd","locale":"en"}""";

    public async Task<decimal> BalanceAsync(long savingsId)
    {
        var (status, body, _) = await GetAsync($"savingsaccounts/{savingsId}");
        Assert.Equal(200, status);
        return (decimal)body!["summary"]!["accountBalance"]!;
    }

    public async Task SetFaultsAsync(object? settings)
    {
        var admin = _factory.CreateClient();
        var response = settings is null
            ? await admin.DeleteAsync("/_emulator/faults", TestContext.Current.CancellationToken)
            : await admin.PutAsJsonAsync("/_emulator/faults", settings, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
