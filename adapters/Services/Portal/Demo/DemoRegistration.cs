using OneClickSuite.Contracts.Payroll;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients;
using OneClickSuite.Contracts;

namespace OneClickSuite.Demo;

public static class DemoRegistration
{
    /// <summary>
    /// <see cref="DemoRunner"/> with the clients it needs: iHRIS, ODK Central, Fineract and the mobile money provider from
    /// sections "Ihris", "Odk", "Fineract" and "MobileMoney"; the adapters at the URLs of section "Demo" (service discovery names by default). Payroll's client
    /// is the host's (<see cref="ClientRegistration.AddPayrollClient"/>), the one the portal uses.
    /// </summary>
    public static IHostApplicationBuilder AddDemo(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DemoOptions>().Bind(builder.Configuration.GetSection(DemoOptions.SectionName));
        builder.Services.TryAddSingleton(TimeProvider.System);
        // The demo's month is the ministry's month, as Payroll counts it.
        builder.Services.TryAddSingleton(MinistryCalendar.FromId(builder.Configuration[MinistryCalendar.Setting]));

        builder.AddIhrisClient();
        builder.AddOdkClient();
        builder.AddFineractClient();
        builder.AddMobileMoneyClient();
        builder.Services.AddHttpClient<ProviderSandbox>();
        builder.Services.AddTransient<DemoIdentityHandler>();
        builder.Services.AddHttpClient<IhrisAdapterApi>((services, http) => http.BaseAddress = ServiceBase(services, o => o.IhrisAdapterUrl))
            .AddHttpMessageHandler<DemoIdentityHandler>();
        builder.Services.AddHttpClient<OdkAdapterApi>((services, http) => http.BaseAddress = ServiceBase(services, o => o.OdkAdapterUrl))
            .AddHttpMessageHandler<DemoIdentityHandler>();

        // Traces reach the dashboard through ServiceDefaults, which listens to every "OneClickSuite.*" source.
        builder.Services.AddTransient<DemoRunner>();
        return builder;
    }

    private static Uri ServiceBase(IServiceProvider services, Func<DemoOptions, string> url) =>
        new(url(services.GetRequiredService<IOptions<DemoOptions>>().Value).TrimEnd('/') + "/");
}
