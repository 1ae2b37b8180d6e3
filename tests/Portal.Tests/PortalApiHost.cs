using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OneClickSuite.Testing;

namespace OneClickSuite.Portal.Tests;

/// <summary>
/// The portal on a real PostgreSQL (the services' tables created by their own DDL, 1,000 synthetic workers) in front of
/// a recording stand-in for Payroll's API, so a test sees exactly what the portal forwards and what it refuses itself.
/// </summary>
public sealed class PortalApiHost : IAsyncLifetime
{
    public const string ViewerPassword = "viewer-test-password-1";
    public const string ClerkPassword = "clerk-test-password-1";
    public const string ApproverPassword = "approver-test-password-1";
    public const string DemoKey = "demo-test-key-1";
    public const string LockerPassword = "locker-test-password-1";
    public const string LeaverPassword = "leaver-test-password-1";
    public const string UpgraderPassword = "upgrader-test-password-1";
    public const string ReseededPassword = "reseeded-test-password-1";

    /// <summary>Sign-ins one address may make per window here: every test signs in, many times over.</summary>
    public const int TestSignInLimit = 10_000;

    private string _connectionString = "";
    private string _payrollUrl = "";

    private WebApplication? _payroll;

    public WebApplicationFactory<PortalApp> Portal { get; private set; } = null!;
    public NpgsqlDataSource Db { get; private set; } = null!;

    /// <summary>Every request Payroll received: method, path, and who its token names (empty when none would be believed).</summary>
    public ConcurrentQueue<(string Method, string Path, string User, string Roles)> PayrollCalls { get; } = new();

    public async ValueTask InitializeAsync()
    {
        var pg = await PostgresServer.StartSharedAsync();
        _connectionString = await pg.CreateDatabaseAsync("portal_api");
        Db = NpgsqlDataSource.Create(_connectionString);
        await SuiteSchemas.CreateAsync(Db);
        await SuiteSchemas.SeedWorkersAsync(Db, 1_000);
        _payrollUrl = await StartPayrollAsync();

        Portal = NewPortal(web => web.UseSetting("Portal:SignInLimits:PermitLimit", TestSignInLimit.ToString()));
        _ = Portal.Server; // starts the portal: its tables and users are written at start
    }

    /// <summary>
    /// Another portal on the same database and users (a restart, or a second replica), in the given environment and
    /// with further settings; started before it is returned. The caller disposes it.
    /// </summary>
    public WebApplicationFactory<PortalApp> StartAnotherPortal(string environment, params (string Key, string Value)[] settings)
    {
        var portal = NewPortal(web =>
        {
            web.UseEnvironment(environment);
            foreach (var (key, value) in settings) web.UseSetting(key, value);
        });
        _ = portal.Server;
        return portal;
    }

    private WebApplicationFactory<PortalApp> NewPortal(Action<IWebHostBuilder> configure) =>
        new WebApplicationFactory<PortalApp>().WithWebHostBuilder(web =>
        {
            var connectionString = _connectionString;
            var payrollUrl = _payrollUrl;
            web.UseSetting("ConnectionStrings:suite-db", connectionString);
            web.UseSetting("Portal:Users:viewer:Password", ViewerPassword);
            web.UseSetting("Portal:Users:viewer:Role", "viewer");
            web.UseSetting("Portal:Users:clerk:Password", ClerkPassword);
            web.UseSetting("Portal:Users:clerk:Role", "clerk");
            web.UseSetting("Portal:Users:approver:Password", ApproverPassword);
            web.UseSetting("Portal:Users:approver:Role", "approver");
            web.UseSetting("Portal:Users:locker:Password", LockerPassword);
            web.UseSetting("Portal:Users:locker:Role", "viewer");
            web.UseSetting("Portal:Users:leaver:Password", LeaverPassword);
            web.UseSetting("Portal:Users:leaver:Role", "clerk");
            web.UseSetting("Portal:Users:upgrader:Password", UpgraderPassword);
            web.UseSetting("Portal:Users:upgrader:Role", "viewer");
            web.UseSetting("Portal:Users:reseeded:Password", ReseededPassword);
            web.UseSetting("Portal:Users:reseeded:Role", "viewer");
            web.UseSetting("Portal:DemoKey", DemoKey);
            web.UseSetting("Portal:Demo:Enabled", "true");
            web.UseSetting(Microsoft.Extensions.Hosting.SuiteIdentity.SigningKeySetting, TestIdentity.SigningKey);
            web.UseSetting("Portal:Services:Payroll", payrollUrl);
            web.UseSetting("Portal:Services:IhrisAdapter", payrollUrl);
            web.UseSetting("Portal:Services:OdkAdapter", payrollUrl);
            web.UseSetting("Portal:Services:FineractAdapter", payrollUrl);
            foreach (var system in new[] { "Fineract", "Odk", "Ihris" })
            {
                web.UseSetting($"{system}:BaseUrl", "http://127.0.0.1:9");
            }
            configure(web);
        });

    /// <summary>A browser-like client of the portal: keeps its cookie, does not follow redirects.</summary>
    public HttpClient Client() => Portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>A client signed in as <paramref name="name"/> that sends the antiforgery token with every request.</summary>
    public async Task<HttpClient> SignedInAsync(string name, string password)
    {
        var client = Client();
        var response = await client.PostAsJsonAsync("/api/signin", new { name, password }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        client.DefaultRequestHeaders.Add(Security.ApiAntiforgery.HeaderName, await AntiforgeryTokenAsync(client));
        return client;
    }

    /// <summary>The antiforgery token for the client's signed-in person (its cookie half is kept by the client).</summary>
    public static async Task<string> AntiforgeryTokenAsync(HttpClient client)
    {
        var answer = await client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/api/antiforgery", TestContext.Current.CancellationToken);
        return (string?)answer!["token"] ?? throw new InvalidOperationException("no antiforgery token");
    }

    private async Task<string> StartPayrollAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var runId = Guid.Parse("8f6f2c1e-4b0e-4a59-9d2a-1f0c5a0c0001");
        app.Use(async (context, next) =>
        {
            var identity = TestIdentity.Verify(context.Request.Headers.Authorization.ToString());
            PayrollCalls.Enqueue((context.Request.Method, context.Request.Path.Value ?? "",
                identity?.User ?? "", identity is { } who ? string.Join(',', who.Roles) : ""));
            await next(context);
        });
        object Run(string status, string createdBy = "clerk") => new
        {
            id = runId, period = "2026-10", population = "everyone", ruleSetVersion = "test", status, lineCount = 1, total = 10m,
            currency = "USD", createdBy, createdAt = DateTimeOffset.UtcNow, linesByStatus = new Dictionary<string, int> { ["pending"] = 1 },
        };
        app.MapPost("/payruns", () => Results.Created($"/payruns/{runId}", Run("draft")));
        app.MapPost("/payruns/{id:guid}/submit", () => Results.Ok(Run("submitted")));
        // Payroll's own maker–checker: whoever created the run may not approve it.
        app.MapPost("/payruns/{id:guid}/approve", (HttpContext http) =>
            TestIdentity.Verify(http.Request.Headers.Authorization.ToString())?.User == "clerk"
                ? Results.Problem(statusCode: 403, title: "maker–checker: the approver must be a different person")
                : Results.Ok(Run("approved")));
        app.MapPost("/payruns/{id:guid}/cancel", () => Results.Ok(Run("cancelled")));
        app.MapGet("/payruns", () => Results.Ok(new[] { Run("submitted") }));
        app.MapGet("/dead-letters", () => Results.Ok(Array.Empty<object>()));
        // Checks, statements, disputes and holds (Payroll), held roster reads (the iHRIS adapter: same stand-in here).
        app.MapGet("/payruns/{id:guid}/checks", () => Results.Ok(new[]
        {
            new { id = 7L, kind = "shared-destination-account", blocking = true, detail = "paid into savings account #1, as Grace" },
        }));
        app.MapPost("/payruns/{id:guid}/checks/{checkId:long}/resolve", (long checkId) =>
            Results.Ok(new { id = checkId, kind = "shared-destination-account", blocking = true, detail = "", resolvedBy = "approver" }));
        app.MapGet("/statements", () => Results.Ok(Array.Empty<object>()));
        app.MapGet("/disputes", () => Results.Ok(Array.Empty<object>()));
        app.MapPost("/disputes/{id:guid}/answer", (Guid id) =>
            Results.Ok(new { id, submissionId = "uuid:q1", question = "Where is my pay?", receivedAt = DateTimeOffset.UtcNow, status = "answered" }));
        app.MapGet("/pay-holds", () => Results.Ok(Array.Empty<object>()));
        app.MapPost("/pay-holds/recheck", () => Results.Ok(new { workersHeld = 0 }));
        app.MapGet("/roster/holds", () => Results.Ok(Array.Empty<object>()));
        app.MapPost("/roster/holds/{id:long}/{decision}", (long id, string decision) => Results.Ok(new
        {
            id, heldAt = DateTime.UtcNow, rosterSize = 100, missing = 60, workerIds = Array.Empty<string>(),
            status = decision == "confirm" ? "confirmed" : "dismissed", retired = 0,
        }));
        app.MapGet("/health", () => "Healthy");
        await app.StartAsync();
        _payroll = app;
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async ValueTask DisposeAsync()
    {
        await Portal.DisposeAsync();
        if (_payroll is not null) await _payroll.DisposeAsync();
        await Db.DisposeAsync();
    }
}
