using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Clients.Ihris;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Testing;
using Xunit;

namespace OneClickSuite.Roster.Tests;

/// <summary>
/// Real PostgreSQL and RabbitMQ, the three emulators on real sockets, the three adapters and Payroll (which says when
/// a leaver's account may refuse credits), shared by the tests of one collection (they run one after another and each
/// checks the whole roster).
/// </summary>
public sealed class RosterSuite : IAsyncLifetime
{
    public const string Password = "Suite-test-password-1";
    public const string AdminEmail = "admin@suite.test";

    private readonly List<IDisposable> _emulators = [];

    public PostgresServer Postgres { get; private set; } = null!;
    public RabbitMqServer Rabbit { get; private set; } = null!;
    public string SuiteDb { get; private set; } = "";
    public string FineractDb { get; private set; } = "";
    public string OdkDb { get; private set; } = "";
    public string FineractUrl { get; private set; } = "";
    public string OdkUrl { get; private set; } = "";
    public string IhrisUrl { get; private set; } = "";

    public IhrisClient Ihris { get; private set; } = null!;
    public FineractClient Fineract { get; private set; } = null!;
    public OdkClient Odk { get; private set; } = null!;
    public long OdkProjectId { get; private set; }

    public WebApplicationFactory<IhrisAdapterApp> IhrisAdapter { get; private set; } = null!;
    public WebApplicationFactory<FineractAdapterApp> FineractAdapter { get; private set; } = null!;
    public WebApplicationFactory<OdkAdapterApp> OdkAdapter { get; private set; } = null!;
    public WebApplicationFactory<PayrollApp> Payroll { get; private set; } = null!;

    public RosterModel Model { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Postgres = await PostgresServer.StartSharedAsync();
        var rabbit = RabbitMqServer.StartSharedAsync();
        FineractDb = await Postgres.CreateDatabaseAsync("roster_fineract");
        OdkDb = await Postgres.CreateDatabaseAsync("roster_odk");
        var hapiDb = await Postgres.CreateDatabaseAsync("roster_hapi");
        SuiteDb = await Postgres.CreateDatabaseAsync("roster_suite");

        FineractUrl = StartEmulator<OneClickSuite.Emulators.Fineract.CommandGate>(new()
        {
            ["ConnectionStrings:fineract-default"] = FineractDb,
            ["Fineract:SeedPassword"] = Password,
        });
        OdkUrl = StartEmulator<OneClickSuite.Emulators.OdkCentral.Infrastructure.ProblemMiddleware>(new()
        {
            ["ConnectionStrings:odk-db"] = OdkDb,
            ["Odk:AdminEmail"] = AdminEmail,
            ["Odk:AdminPassword"] = Password,
            ["Odk:PublicUrl"] = "http://odk.suite.test",
        });
        // In process the emulator serves its HAPI surface under /hapi/fhir (no second port).
        IhrisUrl = StartEmulator<OneClickSuite.Emulators.Ihris.Auth.AccessTokens>(new()
        {
            ["ConnectionStrings:hapi-db"] = hapiDb,
        }) + "/hapi/fhir";

        Fineract = new FineractClient(new HttpClient { BaseAddress = new Uri(FineractUrl + "/fineract-provider/api/v1/") },
            Options.Create(new FineractOptions { BaseUrl = FineractUrl, Password = Password }));
        Odk = new OdkClient(new HttpClient { BaseAddress = new Uri(OdkUrl + "/v1/") },
            Options.Create(new OdkOptions { BaseUrl = OdkUrl, Email = AdminEmail, Password = Password }), new OdkSession());
        Ihris = new IhrisClient(new HttpClient { BaseAddress = new Uri(IhrisUrl + "/") },
            Options.Create(new IhrisOptions { FhirUrl = IhrisUrl }));

        await SeedAsync();
        Rabbit = await rabbit;
        IhrisAdapter = StartIhrisAdapter();
        FineractAdapter = StartFineractAdapter();
        OdkAdapter = StartOdkAdapter();
        Payroll = Adapter<PayrollApp>(With(AdapterSettings("Fineract", FineractUrl), new() { ["Fineract:Password"] = Password }));
        // Build the hosts now, so Wolverine provisions queues before the first event.
        _ = IhrisAdapter.Services;
        _ = FineractAdapter.Services;
        _ = OdkAdapter.Services;
        _ = Payroll.Services;
    }

    public async ValueTask DisposeAsync()
    {
        await SetFaultsAsync(FineractUrl, null);
        await SetFaultsAsync(OdkUrl, null);
        foreach (var factory in new IAsyncDisposable?[] { IhrisAdapter, FineractAdapter, OdkAdapter, Payroll })
        {
            if (factory is not null) await factory.DisposeAsync();
        }
        foreach (var emulator in _emulators) emulator.Dispose();
    }

    private Dictionary<string, string> AdapterSettings(string clientSection, string baseUrl) => new()
    {
        ["ConnectionStrings:suite-db"] = SuiteDb,
        ["ConnectionStrings:rabbitmq"] = Rabbit.ConnectionString,
        [$"{clientSection}:BaseUrl"] = baseUrl,
        ["Ihris:FhirUrl"] = IhrisUrl,
        [$"{clientSection}:Username"] = "mifos",
        [$"{clientSection}:Email"] = AdminEmail,
        [$"{clientSection}:Password"] = Password,
        ["Ihris:PollInterval"] = "00:00:01",
        ["Roster:BatchWindow"] = "00:00:00.500",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Wolverine"] = "Warning",
    };

    /// <summary>Another instance (a replica, or one with <paramref name="overrides"/> to its configuration).</summary>
    public WebApplicationFactory<IhrisAdapterApp> StartIhrisAdapter(Dictionary<string, string>? overrides = null) =>
        Adapter<IhrisAdapterApp>(With(AdapterSettings("Ihris", IhrisUrl), overrides));

    public WebApplicationFactory<FineractAdapterApp> StartFineractAdapter(Dictionary<string, string>? overrides = null) =>
        Adapter<FineractAdapterApp>(With(AdapterSettings("Fineract", FineractUrl), overrides));

    private static Dictionary<string, string> With(Dictionary<string, string> settings, Dictionary<string, string>? overrides)
    {
        foreach (var (key, value) in overrides ?? []) settings[key] = value;
        return settings;
    }

    public WebApplicationFactory<OdkAdapterApp> StartOdkAdapter() => Adapter<OdkAdapterApp>(AdapterSettings("Odk", OdkUrl));

    public async Task RestartFineractAndOdkAdaptersAsync()
    {
        await FineractAdapter.DisposeAsync();
        await OdkAdapter.DisposeAsync();
        FineractAdapter = StartFineractAdapter();
        OdkAdapter = StartOdkAdapter();
        _ = FineractAdapter.Services;
        _ = OdkAdapter.Services;
    }

    /// <summary>Another iHRIS emulator with nothing in it: what a short read of iHRIS looks like to the adapter.</summary>
    public async Task<string> StartEmptyIhrisAsync() => StartEmulator<OneClickSuite.Emulators.Ihris.Auth.AccessTokens>(new()
    {
        ["ConnectionStrings:hapi-db"] = await Postgres.CreateDatabaseAsync("roster_hapi_empty"),
    }) + "/hapi/fhir";

    /// <summary>The iHRIS adapter on a clock of the test's (the services' own stay on the real one).</summary>
    public WebApplicationFactory<IhrisAdapterApp> StartIhrisAdapterAt(TimeProvider clock, Dictionary<string, string>? overrides = null) =>
        new WebApplicationFactory<IhrisAdapterApp>().WithWebHostBuilder(web =>
        {
            web.UseSetting(Microsoft.Extensions.Hosting.SuiteIdentity.SigningKeySetting, TestIdentity.SigningKey);
            foreach (var (key, value) in With(AdapterSettings("Ihris", IhrisUrl), overrides)) web.UseSetting(key, value);
            web.UseEnvironment("Development");
            web.ConfigureTestServices(services => services.AddSingleton(clock));
        });

    private static WebApplicationFactory<T> Adapter<T>(Dictionary<string, string> settings) where T : class =>
        ServiceHost.Start<T>(settings, "Development");

    private string StartEmulator<T>(Dictionary<string, string> settings) where T : class
    {
        var port = ServerProcess.FreePort();
        var factory = new WebApplicationFactory<T>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings) web.UseSetting(key, value);
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            web.UseUrls($"http://127.0.0.1:{port}");
        });
        factory.UseKestrel();
        factory.StartServer();
        _emulators.Add(factory);
        return $"http://127.0.0.1:{port}";
    }

    /// <summary>What Bootstrap does for the roster: the salary product, the ODK project and its entity list, two facilities.</summary>
    private async Task SeedAsync()
    {
        await Fineract.CreateSavingsProductAsync("Staff salary account", "STAF", "USD");
        var project = await Odk.CreateProjectAsync("OneClickSuite");
        OdkProjectId = project.Id;
        await Odk.CreateDatasetAsync(project.Id, "health_workers");
        foreach (var property in new[] { "worker_id", "employee_number", "facility", "cadre", "phone" })
        {
            await Odk.AddDatasetPropertyAsync(project.Id, "health_workers", property);
        }
        await RosterData.PutFacilitiesAsync(Ihris);
    }

    /// <summary>PUT /_emulator/faults (or DELETE with null).</summary>
    public static async Task SetFaultsAsync(string emulatorUrl, object? faults)
    {
        if (string.IsNullOrEmpty(emulatorUrl)) return;
        using var http = new HttpClient { BaseAddress = new Uri(emulatorUrl) };
        using var response = faults is null
            ? await http.DeleteAsync("/_emulator/faults")
            : await http.PutAsJsonAsync("/_emulator/faults", faults);
        response.EnsureSuccessStatusCode();
    }
}

[CollectionDefinition(Name)]
public sealed class RosterCollection : ICollectionFixture<RosterSuite>
{
    public const string Name = "roster";
}
