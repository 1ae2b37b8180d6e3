using OneClickSuite.Clients;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;
using OneClickSuite.OdkAdapter.Activities;
using OneClickSuite.OdkAdapter.Roster;
using OneClickSuite.OdkAdapter.Statements;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSuiteIdentity();
builder.AddOdkClient();
builder.Services.AddSingleton(MinistryCalendar.FromId(builder.Configuration[MinistryCalendar.Setting]));
// Roster events are recorded side by side (each worker's row is locked while it is written); Central is written in
// batches by EntityListSync, so the handlers are short and 16 keep up with the iHRIS adapter.
builder.AddSuiteMessaging("odk-adapter", messaging => messaging
    .Subscribe(RosterExchanges.Roster, builder.Configuration.GetValue("Roster:Parallelism", 16))
    .Subscribe(PayrollExchanges.Statements)
    .Publish<PayQueryReceivedV1>(PayrollExchanges.Queries)
    .AddActivityIntake());
builder.AddActivityIntake();
builder.AddStatements();

builder.Services.AddOptions<RosterListOptions>().Bind(builder.Configuration.GetSection(RosterListOptions.SectionName));
builder.Services.AddSingleton<OdkProject>();
builder.Services.AddSingleton<EntityListSync>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<EntityListSync>());
builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddSource(EntityListSync.TelemetryName))
    .WithMetrics(metrics => metrics.AddMeter(EntityListSync.TelemetryName));
Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;

var app = builder.Build();
// Both tables exist before anything reads them (the activity tables were once created by the first poll only).
if (!GeneratedHandlers.Generating)
{
    await app.Services.GetRequiredService<SuiteDatabase>().MigrateAsync(EntityListStore.Ddl + ActivityIntake.Ddl + StatementOptions.Ddl);
}
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapDeadLetterEndpoints();
app.MapActivityQuarantine();
app.MapActivityPoll();
app.MapQueryPoll();
app.MapGet("/roster/entities/pending", async (SuiteDatabase database, CancellationToken ct) =>
{
    await using var connection = await database.DataSource.OpenConnectionAsync(ct);
    return Results.Ok(await Dapper.SqlMapper.QueryAsync(connection, $"""
        SELECT worker_id, entity_uuid, revision, synced_revision, present, attempts, next_attempt_at, last_error
        FROM "{database.Schema}".roster_entities WHERE revision > synced_revision ORDER BY next_attempt_at
        """));
}).RequireSuitePolicy(SuiteIdentity.Read);
// `codegen write` (pre-generated message handlers) or the service.
return await app.RunWithCommandsAsync(args);

/// <summary>Marker for hosting this service in tests (<c>WebApplicationFactory&lt;OdkAdapterApp&gt;</c>).</summary>
public sealed class OdkAdapterApp;
