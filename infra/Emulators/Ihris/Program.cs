using System.Security.Cryptography;
using OneClickSuite.Emulators;
using OneClickSuite.Emulators.Ihris;
using OneClickSuite.Emulators.Ihris.Auth;
using OneClickSuite.Emulators.Ihris.Backend;
using OneClickSuite.Emulators.Ihris.Fhir;
using OneClickSuite.Emulators.Ihris.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddEmulatorDatabase("hapi-db");
builder.AddEmulatorFaults();
builder.AddEmulatorPages();

var options = builder.Configuration.GetSection(IhrisOptions.Section).Get<IhrisOptions>() ?? new IhrisOptions();
builder.Services.Configure<IhrisOptions>(builder.Configuration.GetSection(IhrisOptions.Section));
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<AccessTokens>();
builder.Services.AddSingleton<FhirStore>();
builder.Services.AddSingleton<CapabilityStatementProvider>();
// Loading a workforce in one transaction Bundle needs more than Kestrel's 30 MB default.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 512L * 1024 * 1024);
if (options.FhirPort is int fhirPort) builder.ListenOnBothPorts(fhirPort);

var app = builder.Build();

await app.EnsureEmulatorSchemaAsync(FhirSchema.Ddl);
await UseTokenSecretAsync(app, options);
if (!options.AppInstalled)
{
    await IhrisUsers.LoadDefaultsAsync(app.Services.GetRequiredService<FhirStore>(), CancellationToken.None);
}

app.UseSurfaces(options);
app.UseEmulatorFaults("/fhir", "/auth", "/config", Surfaces.HapiPrefix);
app.UseRouting();
app.UseFhirErrors();
app.UseIhrisBackend();
app.MapDefaultEndpoints();
app.MapFhirEndpoints();
// The emulator's own pages on the backend port: GET / (where iHRIS serves its front end) and /_emulator/...
app.MapEmulatorPages();

app.Run();

// Every replica must accept the tokens of every other: an unconfigured secret is generated once, in the database.
static async Task UseTokenSecretAsync(WebApplication app, IhrisOptions options)
{
    var secret = options.TokenSecret;
    if (string.IsNullOrEmpty(secret))
    {
        secret = await app.Services.GetRequiredService<FhirStore>().GetOrCreateSettingAsync(
            "auth:secret", () => Convert.ToHexString(RandomNumberGenerator.GetBytes(48)), CancellationToken.None);
    }
    app.Services.GetRequiredService<AccessTokens>().UseSecret(secret);
}

public partial class Program;
