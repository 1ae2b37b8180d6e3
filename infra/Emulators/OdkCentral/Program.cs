using Npgsql;
using OneClickSuite.Emulators;
using OneClickSuite.Emulators.OdkCentral.Data;
using OneClickSuite.Emulators.OdkCentral.Endpoints;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddEmulatorDatabase("odk-db");
builder.AddEmulatorFaults();
builder.AddEmulatorPages();
builder.Services.AddHttpClient("pyxform", client => client.Timeout = TimeSpan.FromSeconds(60));

var app = builder.Build();

await app.EnsureEmulatorSchemaAsync(OdkSchema.Ddl);
if (app.Configuration["Odk:AdminEmail"] is { Length: > 0 } adminEmail)
{
    var adminPassword = app.Configuration["Odk:AdminPassword"];
    if (string.IsNullOrEmpty(adminPassword))
        throw new InvalidOperationException("Odk:AdminPassword must be set together with Odk:AdminEmail.");
    await Users.EnsureAdministratorAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), adminEmail, adminPassword, CancellationToken.None);
}

app.UseMiddleware<ProblemMiddleware>();
app.UseEmulatorFaults("/v1");
// Authentication may rewrite /v1/key/{token}/… paths, so routing must come after it.
app.UseMiddleware<OdkAuthenticationMiddleware>();
app.UseRouting();
app.UseMiddleware<OdkEndpointGate>();

app.MapAccessEndpoints();
app.MapFormEndpoints();
app.MapEntityEndpoints();
app.MapSubmissionEndpoints();
app.MapAuditEndpoints();
app.MapFallbacks();
// The emulator's own pages, outside /v1 (where Central's nginx serves its front end): no API route is hidden.
app.MapEmulatorPages();
app.MapDefaultEndpoints();

app.Run();

public partial class Program;
