using Microsoft.Extensions.Http.Resilience;
using OneClickSuite.Clients;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;
using OneClickSuite.PaymentHubAdapter.Payouts;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSuiteIdentity();
builder.AddPaymentHubClient();
// ServiceDefaults adds the standard resilience handler through ConfigureHttpClientDefaults, which gives it no client
// name: every client shares one pipeline and options named "standard", so the per-client "PaymentHubClient-standard"
// setting never applies and a POST /batchtransactions answered 5xx would be sent again: a second batch, everyone paid
// twice. In this service the pipeline may repeat reads only.
builder.Services.ConfigureAll<HttpStandardResilienceOptions>(resilience => resilience.Retry.DisableForUnsafeHttpMethods());
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
