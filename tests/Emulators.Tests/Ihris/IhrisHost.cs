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

/// <summary>
/// The emulator in-process on a real PostgreSQL database, in its one-port layout: the iHRIS backend at the root and
/// HAPI FHIR at /hapi/fhir. <see cref="SendAsync"/> sends "/fhir/..." to the HAPI surface.
/// </summary>
public sealed class IhrisHost : IAsyncDisposable
{
    public const string AdminEmail = "admin@ihris.org";
    public const string DefaultPassword = "ihris";
    public const string HapiBase = "http://localhost/hapi/fhir";

    private readonly WebApplicationFactory<Program> _factory;

    private IhrisHost(string connectionString, IReadOnlyDictionary<string, string>? settings)
    {
        ConnectionString = connectionString;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:hapi-db", connectionString);
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) web.UseSetting(key, value);
        });
        Client = _factory.CreateClient();
        Backend = _factory.CreateClient();
    }

    public string ConnectionString { get; }

    /// <summary>A client of the HAPI surface (no authentication, as HAPI).</summary>
    public HttpClient Client { get; }

    /// <summary>A client of the iHRIS backend surface, without a token.</summary>
    public HttpClient Backend { get; }

    public static async Task<IhrisHost> StartAsync(string? connectionString = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        if (connectionString is null)
        {
            var pg = await PostgresServer.StartSharedAsync();
            connectionString = await pg.CreateDatabaseAsync("hapi");
        }
        return new IhrisHost(connectionString, settings);
    }

    /// <summary>POST /auth/token as iHRIS's parser reads it (Content-Type exactly application/json).</summary>
    public async Task<HttpResponseMessage> RequestTokenAsync(string email, string password)
    {
        var content = new StringContent(new JsonObject { ["email"] = email, ["password"] = password }.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await Backend.PostAsync("/auth/token", content, TestContext.Current.CancellationToken);
    }

    /// <summary>A backend client with the administrator's Bearer token.</summary>
    public async Task<HttpClient> LoginAsync(string password = DefaultPassword)
    {
        var response = await RequestTokenAsync(AdminEmail, password);
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
        using var request = new HttpRequestMessage(method, ToHapi(url)) { Content = content };
        var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        JsonNode? body = null;
        try { body = text.Length > 0 ? JsonNode.Parse(text) : null; } catch (System.Text.Json.JsonException) { }
        return ((int)response.StatusCode, body);
    }

    public Task<(int Status, JsonNode? Body)> GetAsync(string url) => SendAsync(HttpMethod.Get, url);

    /// <summary>"/fhir/..." is the HAPI surface's "/hapi/fhir/..."; absolute URLs (paging links) are kept.</summary>
    public static string ToHapi(string url) => url.StartsWith("/fhir", StringComparison.Ordinal) ? "/hapi" + url : url;

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
