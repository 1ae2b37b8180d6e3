using OneClickSuite.Clients;
using OneClickSuite.Contracts;
using OneClickSuite.FineractAdapter.Disbursement;
using OneClickSuite.FineractAdapter.Enrolment;
using OneClickSuite.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSuiteIdentity();
builder.AddFineractClient();
// Workers are enrolled side by side (each one's events still one at a time): Fineract answers many clients at once.
var enrolmentParallelism = builder.Configuration.GetValue("Enrolment:Parallelism", 16);
builder.AddSuiteMessaging("fineract-adapter", messaging => messaging
    .Subscribe(RosterExchanges.Roster, enrolmentParallelism)
    .Subscribe(PayrollExchanges.Workers)
    .Publish<WorkerAccountLinkedV1>(RosterExchanges.Accounts)
    .Publish<WorkerAccountLinksV1>(RosterExchanges.Accounts)
    .AddDisbursement(builder.Configuration));
builder.AddDisbursement();

builder.Services.AddOptions<EnrolmentOptions>().Bind(builder.Configuration.GetSection(EnrolmentOptions.SectionName));
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<SalaryProduct>();
builder.Services.AddSingleton(new EnrolmentSlots(enrolmentParallelism));
builder.Services.AddScoped<WorkerEnrolment>();
builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddSource(EnrolmentTelemetry.Name))
    .WithMetrics(metrics => metrics.AddMeter(EnrolmentTelemetry.Name));
Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;

var app = builder.Build();
if (!GeneratedHandlers.Generating)
{
    await app.Services.GetRequiredService<SuiteDatabase>().MigrateAsync(EnrolmentStore.Ddl);
}
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapDeadLetterEndpoints();
// `codegen write` (pre-generated message handlers) or the service.
return await app.RunWithCommandsAsync(args);

/// <summary>Marker for hosting this service in tests (<c>WebApplicationFactory&lt;FineractAdapterApp&gt;</c>).</summary>
public sealed class FineractAdapterApp;
