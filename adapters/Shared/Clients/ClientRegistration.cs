using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Clients.Ihris;
using OneClickSuite.Clients.MobileMoney;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Clients.PaymentHub;
using OneClickSuite.Clients.Payroll;

namespace OneClickSuite.Clients;

public static class ClientRegistration
{
    /// <summary>Typed <see cref="FineractClient"/>, options from section "Fineract".</summary>
    public static IHttpClientBuilder AddFineractClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<FineractOptions>()
            .Bind(builder.Configuration.GetSection(FineractOptions.SectionName))
            .ValidateDataAnnotations();
        return builder.Services.AddHttpClient<FineractClient>((services, http) =>
        {
            var options = services.GetRequiredService<IOptions<FineractOptions>>().Value;
            http.BaseAddress = FineractOptions.ApiBase(options.BaseUrl);
        }).WithOwnResilience();
    }

    /// <summary>
    /// Typed <see cref="PaymentHubClient"/>, options from section "PaymentHub". Its base addresses come from the options
    /// (two services); add no retrying handler: a batch submission must not be resent blindly (PH-EE has no dedup).
    /// </summary>
    public static IHttpClientBuilder AddPaymentHubClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PaymentHubOptions>()
            .Bind(builder.Configuration.GetSection(PaymentHubOptions.SectionName))
            .ValidateDataAnnotations();
        // The standard resilience handler would resend a POST after a 5xx or a timeout, and a resent batch is a second
        // batch: retry reads only.
        return builder.Services.AddHttpClient<PaymentHubClient>().WithOwnResilience(options => options.Retry.DisableForUnsafeHttpMethods());
    }

    /// <summary>
    /// Gives the client a standard resilience handler of its own, in place of the one ServiceDefaults adds to every
    /// client through <c>ConfigureHttpClientDefaults</c>: that one is built without a client name and reads the shared
    /// options "standard", so options configured for <c>{Client}-standard</c> would never apply to it
    /// (dotnet/extensions#5021). <paramref name="configure"/> is this client's setting; options named
    /// <c>{Client}-standard</c> elsewhere (a service's own tuning) apply too.
    /// </summary>
    public static IHttpClientBuilder WithOwnResilience(this IHttpClientBuilder http, Action<HttpStandardResilienceOptions>? configure = null)
    {
        // The library's documented way to replace a default handler; still marked experimental in 10.x.
#pragma warning disable EXTEXP0001
        http.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        var pipeline = http.AddStandardResilienceHandler();
        if (configure is not null) pipeline.Configure(configure);
        return http;
    }

    /// <summary>Typed <see cref="OdkClient"/>, options from section "Odk"; one session shared by the process.</summary>
    public static IHttpClientBuilder AddOdkClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OdkOptions>()
            .Bind(builder.Configuration.GetSection(OdkOptions.SectionName))
            .ValidateDataAnnotations();
        builder.Services.AddSingleton<OdkSession>();
        return builder.Services.AddHttpClient<OdkClient>((services, http) =>
        {
            var options = services.GetRequiredService<IOptions<OdkOptions>>().Value;
            http.BaseAddress = OdkOptions.ApiBase(options.BaseUrl);
        });
    }

    /// <summary>Typed <see cref="IhrisClient"/> on iHRIS's FHIR server, options from section "Ihris".</summary>
    public static IHttpClientBuilder AddIhrisClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IhrisOptions>()
            .Bind(builder.Configuration.GetSection(IhrisOptions.SectionName))
            .ValidateDataAnnotations();
        return builder.Services.AddHttpClient<IhrisClient>((services, http) =>
        {
            var options = services.GetRequiredService<IOptions<IhrisOptions>>().Value;
            http.BaseAddress = IhrisOptions.FhirBase(options.FhirUrl!);
        });
    }

    /// <summary>
    /// Typed <see cref="MobileMoneyClient"/> on a GSMA Mobile Money API v1.2 provider, options from section
    /// "MobileMoney" (BaseUrl includes the provider's base path). Retries of the standard resilience handler are safe
    /// for its POST and PATCH: see the client's remarks.
    /// </summary>
    public static IHttpClientBuilder AddMobileMoneyClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MobileMoneyOptions>()
            .Bind(builder.Configuration.GetSection(MobileMoneyOptions.SectionName))
            .ValidateDataAnnotations();
        return builder.Services.AddHttpClient<MobileMoneyClient>((services, http) =>
        {
            var options = services.GetRequiredService<IOptions<MobileMoneyOptions>>().Value;
            http.BaseAddress = MobileMoneyOptions.ApiBase(options.BaseUrl);
        });
    }

    /// <summary>Typed <see cref="PayrollClient"/> at the address <paramref name="baseUrl"/> gives ("http://payroll" in the graph).</summary>
    public static IHttpClientBuilder AddPayrollClient(this IHostApplicationBuilder builder, Func<IServiceProvider, string> baseUrl) =>
        builder.Services.AddHttpClient<PayrollClient>((services, http) => http.BaseAddress = new Uri(baseUrl(services).TrimEnd('/') + "/"));
}
