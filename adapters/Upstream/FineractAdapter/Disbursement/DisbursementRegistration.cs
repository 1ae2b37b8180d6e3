using Microsoft.Extensions.Http.Resilience;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;
using Wolverine;

namespace OneClickSuite.FineractAdapter.Disbursement;

/// <summary>Handles Payroll's payment requests; the outcome is cascaded through the outbox.</summary>
public sealed class PaymentRequestedHandler(PaymentDisbursement disbursement)
{
    public async Task<OutgoingMessages> Handle(PaymentRequestedV1 request, CancellationToken ct) =>
        [await disbursement.PayAsync(request, ct)];
}

public static class DisbursementRegistration
{
    /// <summary>Options (section "Disbursement"), the funding account lookup and the payment handler's services.</summary>
    public static IHostApplicationBuilder AddDisbursement(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DisbursementOptions>().Bind(builder.Configuration.GetSection(DisbursementOptions.SectionName));
        builder.Services.AddSingleton<FundingAccount>();
        // Payments are retried by the message handler with the same Idempotency-Key; the HTTP layer only smooths
        // over short blips. The standard breaker (10% failures) would stop all payments whenever Fineract answers a
        // few 5xx, so it opens only when most calls fail.
        builder.Services.Configure<HttpStandardResilienceOptions>($"{nameof(FineractClient)}-standard", resilience =>
        {
            resilience.Retry.Delay = TimeSpan.FromMilliseconds(200);
            resilience.CircuitBreaker.FailureRatio = 0.5;
        });
        builder.Services.AddScoped<PaymentDisbursement>();
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(PaymentDisbursement.TelemetryName))
            .WithMetrics(metrics => metrics.AddMeter(PaymentDisbursement.TelemetryName));
        return builder;
    }

    /// <summary>Listens to payment requests with bounded parallelism and publishes their outcomes.</summary>
    public static SuiteMessagingOptions AddDisbursement(this SuiteMessagingOptions messaging, IConfiguration configuration)
    {
        var parallelism = configuration.GetValue<int?>($"{DisbursementOptions.SectionName}:{nameof(DisbursementOptions.MaxConcurrentPayments)}") ?? 8;
        return messaging
            .Subscribe(PaymentExchanges.Requests, Math.Max(1, parallelism))
            .Publish<PaymentSettledV1>(PaymentExchanges.Outcomes)
            .Publish<PaymentFailedV1>(PaymentExchanges.Outcomes);
    }
}
