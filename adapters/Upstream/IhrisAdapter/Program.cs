using OneClickSuite.Clients;
using OneClickSuite.Contracts;
using OneClickSuite.IhrisAdapter.Administrator;
using OneClickSuite.IhrisAdapter.Roster;
using OneClickSuite.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSuiteIdentity();
builder.AddIhrisClient();
builder.AddSuiteMessaging("ihris-adapter", messaging => messaging
    .Publish<WorkerRegisteredV1>(RosterExchanges.Roster)
    .Publish<WorkerChangedV1>(RosterExchanges.Roster)
    .Publish<WorkerLeftV1>(RosterExchanges.Roster)
    .Publish<RosterBatchV1>(RosterExchanges.Roster));

builder.Services.AddOptions<RosterOptions>()
    .Bind(builder.Configuration.GetSection(RosterOptions.SectionName))
    .Configure(options => options.PollInterval = builder.Configuration.GetValue("Ihris:PollInterval", options.PollInterval));
builder.Services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<RosterOptions>>().Value);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(MinistryCalendar.FromId(builder.Configuration[MinistryCalendar.Setting]));
builder.Services.AddSingleton<JobCatalog>();
builder.Services.AddSingleton<RosterSync>();
builder.Services.AddHostedService<RosterPoller>();
builder.Services.AddHostedService<AdministratorGuard>();
// A singleton: it measures from the adapter's start when no read has ever succeeded.
builder.Services.AddSingleton<RosterCursorHealthCheck>();
builder.Services.AddHealthChecks().AddCheck<RosterCursorHealthCheck>("roster-cursor");
builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddSource(RosterTelemetry.Name))
    .WithMetrics(metrics => metrics.AddMeter(RosterTelemetry.Name));
Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapDeadLetterEndpoints();
app.MapRosterEndpoints();
// `codegen write` (pre-generated message handlers) or the service.
return await app.RunWithCommandsAsync(args);

/// <summary>Marker for hosting this service in tests (<c>WebApplicationFactory&lt;IhrisAdapterApp&gt;</c>).</summary>
public sealed class IhrisAdapterApp;
