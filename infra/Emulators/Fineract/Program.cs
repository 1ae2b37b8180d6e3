using OneClickSuite.Emulators;
using OneClickSuite.Emulators.Fineract;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddEmulatorDatabase("fineract-default");
builder.AddEmulatorFaults();
builder.AddEmulatorPages();

builder.Services.AddSingleton(new RouteTable(
    Clients.Routes().Concat(Savings.Routes()).Concat(SavingsSearch.Routes()).Concat(Transfers.Routes()).Concat(Reference.Routes())));
builder.Services.AddSingleton<CommandGate>();
builder.Services.AddSingleton<CommandPipeline>();
builder.Services.AddSingleton<Batches>();
builder.Services.AddSingleton<BasicAuthentication>();

var app = builder.Build();

await app.EnsureEmulatorSchemaAsync(Schema.Ddl);
await Schema.SeedAdministratorAsync(app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(),
    app.Configuration["Fineract:SeedUsername"] ?? "mifos",
    app.Configuration["Fineract:SeedPassword"]
        ?? throw new InvalidOperationException("Fineract:SeedPassword is not set: it is the first administrator's password."),
    CancellationToken.None);

app.UseEmulatorFaults("/fineract-provider/api");
app.MapDefaultEndpoints();
// The emulator's own pages, outside Fineract's context path (/fineract-provider): no upstream route is hidden.
app.MapEmulatorPages();

// Spring Boot actuator health, no login needed.
var up = Results.Json(new { status = "UP" });
app.MapGet("/fineract-provider/actuator/health", () => up);
app.MapGet("/fineract-provider/actuator/health/liveness", () => up);
app.MapGet("/fineract-provider/actuator/health/readiness", () => up);

app.Map("/fineract-provider/api/v1/{**path}", async (HttpContext http, string? path, BasicAuthentication auth,
    CommandPipeline pipeline, Batches batches) =>
{
    var username = await auth.AuthenticateAsync(http);
    if (username is null) return;

    string? body = null;
    if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
    {
        using var reader = new StreamReader(http.Request.Body);
        body = await reader.ReadToEndAsync(http.RequestAborted);
    }
    var method = http.Request.Method.ToUpperInvariant();
    ApiResult result;
    if (method == "POST" && string.Equals(path?.Trim('/'), "batches", StringComparison.Ordinal))
    {
        var enclosing = string.Equals(http.Request.Query["enclosingTransaction"], "true", StringComparison.OrdinalIgnoreCase);
        result = await batches.ExecuteAsync(body, enclosing, username, http.RequestAborted);
    }
    else
    {
        var query = http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var request = new ApiRequest(method, path ?? "", query, body,
            http.Request.Headers["Idempotency-Key"].FirstOrDefault(), username);
        result = await pipeline.ExecuteAsync(request, http.RequestAborted);
    }

    http.Response.StatusCode = result.Status;
    http.Response.ContentType = "application/json";
    if (result.FromCache) http.Response.Headers["x-served-from-cache"] = "true";
    if (result.Status == 200) http.Response.Headers["X-Notification-Refresh"] = "false";
    await http.Response.WriteAsync(result.Body, http.RequestAborted);
});

app.Run();

public partial class Program;
