using System.Globalization;
using Npgsql;
using OneClickSuite.Emulators;
using OneClickSuite.Emulators.MobileMoney;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddEmulatorDatabase("mobilemoney-default");
builder.AddEmulatorFaults();
builder.AddEmulatorPages();

var options = builder.Configuration.GetSection(ProviderOptions.Section).Get<ProviderOptions>() ?? new ProviderOptions();
if (string.IsNullOrWhiteSpace(options.ApiKey))
    throw new InvalidOperationException("MobileMoney:ApiKey is not set: it is the key clients must send in X-API-Key.");
if (!options.BasePath.StartsWith('/') || options.BasePath.EndsWith('/'))
    throw new InvalidOperationException("MobileMoney:BasePath must start with / and not end with one, e.g. /gsma/v1.2/mm.");
builder.Services.Configure<ProviderOptions>(builder.Configuration.GetSection(ProviderOptions.Section));

var providerFaults = new ProviderFaults();
var initialFaults = builder.Configuration.GetSection(ProviderFaults.ConfigurationSection).Get<ProviderFaultSettings>() ?? ProviderFaultSettings.Off;
if (initialFaults.Validate() is { } faultError) throw new InvalidOperationException($"{ProviderFaults.ConfigurationSection}: {faultError}");
providerFaults.Set(initialFaults);
builder.Services.AddSingleton(providerFaults);
builder.Services.AddSingleton<Callbacks>();
builder.Services.AddSingleton<RequestWorker>();
builder.Services.AddHostedService(services => services.GetRequiredService<RequestWorker>());

var app = builder.Build();

await app.EnsureEmulatorSchemaAsync(Schema.Ddl);
await Wallets.SeedDisbursementAccountAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), options.DisbursementAccount, CancellationToken.None);

app.UseEmulatorFaults(options.BasePath);
// X-Date on every API response (get-started.md, "Custom Response Headers": HTTP-date, RFC 7231).
app.Use((context, next) =>
{
    if (context.Request.Path.StartsWithSegments(options.BasePath))
    {
        context.Response.OnStarting(() =>
        {
            context.Response.Headers["X-Date"] = DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });
    }
    return next(context);
});
app.MapDefaultEndpoints();
app.MapEmulatorPages();
Wallets.Map(app);
ProviderFaults.Map(app);
app.MapGsmaApi(options);

app.Run();

public partial class Program;
