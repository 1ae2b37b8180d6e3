using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using OneClickSuite.Testing;

namespace OneClickSuite.Emulators.Ihris.Tests;

/// <summary>The emulator in-process on a real PostgreSQL database, with a client logged in through /auth/token.</summary>
public sealed class IhrisHost : IAsyncDisposable
{
    public const string AdminEmail = "admin@ihris.org";
    public const string AdminPassword = "test-admin-password";

    private readonly WebApplicationFactory<Program> _factory;

    private IhrisHost(string connectionString, bool anonymousFhir)
    {
        ConnectionString = connectionString;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:hapi-db", connectionString);
            web.UseSetting("Ihris:AdminPassword", AdminPassword);
            web.UseSetting("Ihris:AnonymousFhir", anonymousFhir ? "true" : "false");
        });
        Anonymous = _factory.CreateClient();
    }

    public string ConnectionString { get; }

    /// <summary>A client without a token.</summary>
    public HttpClient Anonymous { get; }

    /// <summary>A client with the administrator's Bearer token, set by <see cref="StartAsync"/>.</summary>
    public HttpClient Client { get; private set; } = null!;

    public static async Task<IhrisHost> StartAsync(string? connectionString = null, bool anonymousFhir = false)
    {
        if (connectionString is null)
        {
            var pg = await PostgresServer.StartSharedAsync();
            connectionString = await pg.CreateDatabaseAsync("hapi");
        }
        var host = new IhrisHost(connectionString, anonymousFhir);
        host.Client = await host.LoginAsync();
        return host;
    }

    public async Task<HttpClient> LoginAsync()
    {
        var response = await Anonymous.PostAsJsonAsync("/auth/token", new { email = AdminEmail, password = AdminPassword },
            TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken);
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)body!["access_token"]!);
        return client;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    public static StringContent Fhir(string json) => new(json, Encoding.UTF8, "application/fhir+json");

    public static StringContent Fhir(Resource resource) => Fhir(new FhirJsonSerializer().SerializeToString(resource));

    public async Task<(int Status, JsonNode? Body)> SendAsync(HttpMethod method, string url, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        JsonNode? body = null;
        try { body = text.Length > 0 ? JsonNode.Parse(text) : null; } catch (System.Text.Json.JsonException) { }
        return ((int)response.StatusCode, body);
    }

    public Task<(int Status, JsonNode? Body)> GetAsync(string url) => SendAsync(HttpMethod.Get, url);

    public async Task<JsonNode> GetOkAsync(string url)
    {
        var (status, body) = await GetAsync(url);
        Assert.True(status == 200, $"GET {url} answered {status}: {body?.ToJsonString()}");
        return body!;
    }

    public async Task<JsonNode> TransactionAsync(Bundle bundle)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "/fhir", Fhir(bundle));
        Assert.True(status == 200, $"transaction answered {status}: {body?.ToJsonString()}");
        return body!;
    }

    /// <summary>Follows next links from a search URL and returns every page's bundle.</summary>
    public async Task<List<JsonNode>> AllPagesAsync(string url, Func<int, Task>? betweenPages = null)
    {
        var pages = new List<JsonNode>();
        string? next = url;
        while (next is not null)
        {
            var page = await GetOkAsync(next);
            pages.Add(page);
            next = NextLink(page);
            if (betweenPages is not null && next is not null) await betweenPages(pages.Count);
        }
        return pages;
    }

    public static string? NextLink(JsonNode bundle) =>
        bundle["link"]?.AsArray().FirstOrDefault(l => (string?)l!["relation"] == "next")?["url"]?.GetValue<string>();

    public static IEnumerable<JsonNode> Entries(JsonNode bundle, string? mode = null) =>
        (bundle["entry"]?.AsArray() ?? []).Select(e => e!)
            .Where(e => mode is null || (string?)e["search"]?["mode"] == mode);

    public static string ResourceKey(JsonNode entry) =>
        $"{(string)entry["resource"]!["resourceType"]!}/{(string)entry["resource"]!["id"]!}";
}
