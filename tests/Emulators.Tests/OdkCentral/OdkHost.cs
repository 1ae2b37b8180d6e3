using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using OneClickSuite.Testing;
using Xunit;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>The emulator in-process on a real PostgreSQL database, with helpers that talk like the suite does.</summary>
public sealed class OdkHost : IAsyncDisposable
{
    public const string AdminEmail = "admin@example.org";
    public const string AdminPassword = "Sup3rSecretPass!";
    public const string PublicUrl = "http://127.0.0.1:8384";

    private readonly WebApplicationFactory<Program> _factory;

    private OdkHost(string connectionString, IReadOnlyDictionary<string, string>? settings)
    {
        ConnectionString = connectionString;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:odk-db", connectionString);
            web.UseSetting("Odk:AdminEmail", AdminEmail);
            web.UseSetting("Odk:AdminPassword", AdminPassword);
            web.UseSetting("Odk:PublicUrl", PublicUrl);
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) web.UseSetting(key, value);
        });
    }

    public string ConnectionString { get; }

    public static async Task<OdkHost> StartAsync(string? connectionString = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        if (connectionString is null)
        {
            var pg = await PostgresServer.StartSharedAsync();
            connectionString = await pg.CreateDatabaseAsync("odk");
        }
        return new OdkHost(connectionString, settings);
    }

    public HttpClient Anonymous() =>
        _factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://localhost/v1/") });

    public async Task<HttpClient> LoginAsync()
    {
        var client = Anonymous();
        var (status, body) = await SendAsync(client, HttpMethod.Post, "sessions", Json($$"""{"email":"{{AdminEmail}}","password":"{{AdminPassword}}"}"""));
        if (status != 200) throw new InvalidOperationException($"login failed: {status} {body}");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body!["token"]!.GetValue<string>());
        return client;
    }

    /// <summary>A client of the emulator's own pages (root URL), as a browser would be.</summary>
    public HttpClient NewBrowser(bool followRedirects = true) =>
        _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = followRedirects });

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Xml(string xml) => new(xml, Encoding.UTF8, "application/xml");

    public static async Task<(int Status, JsonNode? Body)> SendAsync(HttpClient client, HttpMethod method, string url, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        JsonNode? body = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/json" && text.Length > 0) body = JsonNode.Parse(text);
        return ((int)response.StatusCode, body);
    }

    public static async Task<(int Status, string Text)> SendTextAsync(HttpClient client, HttpMethod method, string url, HttpContent? content = null,
        Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        configure?.Invoke(request);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public const string ChwForm = """
        <?xml version="1.0"?>
        <h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">
          <h:head>
            <h:title>CHW Monthly Activity Report</h:title>
            <model>
              <instance>
                <data id="chw_activity" version="1">
                  <worker/><period/><households_visited/><referrals/>
                  <meta><instanceID/></meta>
                </data>
              </instance>
              <instance id="health_workers" src="jr://file-csv/health_workers.csv"/>
              <bind nodeset="/data/worker" type="string"/>
              <bind nodeset="/data/period" type="date"/>
              <bind nodeset="/data/households_visited" type="int"/>
              <bind nodeset="/data/referrals" type="int"/>
              <bind nodeset="/data/meta/instanceID" type="string"/>
            </model>
          </h:head>
          <h:body/>
        </h:html>
        """;

    public static string Submission(string instanceId, int households, string worker = "w", string? deprecatedId = null) =>
        $"<data id=\"chw_activity\" version=\"1\"><worker>{worker}</worker><period>2026-10-01</period>" +
        $"<households_visited>{households}</households_visited><referrals>1</referrals><meta>" +
        (deprecatedId is null ? "" : $"<deprecatedID>{deprecatedId}</deprecatedID>") +
        $"<instanceID>{instanceId}</instanceID></meta></data>";
}
