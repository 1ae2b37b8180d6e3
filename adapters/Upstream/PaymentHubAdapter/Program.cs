using OneClickSuite.Clients;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;
using OneClickSuite.PaymentHubAdapter.Payouts;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSuiteIdentity();
builder.AddPaymentHubClient();
builder.AddSuiteMessaging("payment-hub-adapter", messaging => messaging
    .Subscribe(PaymentExchanges.HubRequests, parallelism: 16)
    .Publish<PaymentOutcomesV1>(PaymentExchanges.HubOutcomes)
    .Publish<PaymentSettledV1>(PaymentExchanges.HubOutcomes)
    .Publish<PaymentFailedV1>(PaymentExchanges.HubOutcomes));
builder.Services.AddOptions<PayoutOptions>().Bind(builder.Configuration.GetSection(PayoutOptions.SectionName));
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<BatchAuthorizations>();
builder.Services.AddSingleton<BatchDispatcher>();
builder.Services.AddHostedService(services => services.GetRequiredService<BatchDispatcher>());
builder.Services.AddSingleton<PayoutIntake>();
builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddSource(BatchDispatcher.TelemetryName))
    .WithMetrics(metrics => metrics.AddMeter(BatchDispatcher.TelemetryName));

var app = builder.Build();
if (!GeneratedHandlers.Generating)
{
    await app.Services.GetRequiredService<SuiteDatabase>().MigrateAsync(PayoutStore.Ddl);
}
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapDeadLetterEndpoints();
app.MapHubCallbacks();
app.MapBatchAuthorization();
// `codegen write` (pre-generated message handlers) or the service.
return await app.RunWithCommandsAsync(args);

/// <summary>Marker for hosting this service in tests (<c>WebApplicationFactory&lt;PaymentHubAdapterApp&gt;</c>).</summary>
public sealed class PaymentHubAdapterApp;
