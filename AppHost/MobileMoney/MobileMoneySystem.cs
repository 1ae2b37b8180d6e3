using OneClickSuite.AppHost.Sandbox;
using static OneClickSuite.AppHost.SuiteExtensions;

namespace OneClickSuite.AppHost.MobileMoney;

public static class MobileMoneySystemExtensions
{
    /// <summary>Health of a GSMA Mobile Money API provider: <c>GET /heartbeat</c> below its API root.</summary>
    public const string HeartbeatPath = "heartbeat";

    /// <summary>
    /// The mobile money provider workers' wallets are paid through (GSMA Mobile Money API v1.2). Where evaluators run the
    /// suite (the sandbox, a full graph on their machine) the provider emulator stands in for it, with the programme's
    /// disbursement wallet funded and the demo's wallets open; no provider publishes an image to run. Once deployed, or
    /// beside a ministry's systems, it is the ministry's provider: parameters <c>mobile-money-url</c> (the API root,
    /// e.g. https://provider.example/v1.2/passthrough), <c>mobile-money-api-key</c> and
    /// <c>mobile-money-debit-msisdn</c> (the programme's disbursement wallet).
    /// </summary>
    public static UpstreamSystem AddMobileMoneySystem(this IDistributedApplicationBuilder builder, SuiteMode mode, SuiteInfrastructure infra)
    {
        var emulated = builder.IsEvaluatorMachine(mode);
        IResourceBuilder<IResource> resource;
        ReferenceExpression baseUrl, apiKey, debitMsisdn, page;
        if (emulated)
        {
            var key = builder.AddSecret("mobile-money-api-key");
            const string programmeWallet = "+256700000001";
            var emulator = builder.AddEmulator<Projects.MobileMoney_Emulator>("mobile-money", infra, SuiteDatabases.MobileMoneyDefault,
                    "Mobile money provider emulator")
                .WithEnvironment("MobileMoney__ApiKey", key)
                // The programme's disbursement wallet, in the currency Payroll pays in, funded for the sandbox's runs.
                .WithEnvironment("MobileMoney__DisbursementAccount__Msisdn", programmeWallet)
                .WithEnvironment("MobileMoney__DisbursementAccount__Currency", "USD")
                .WithEnvironment("MobileMoney__DisbursementAccount__OpeningBalance", "100000000");
            (resource, baseUrl) = (emulator, ReferenceExpression.Create($"{emulator.GetEndpoint("http")}{MobileMoneyEmulatorApiRoot}"));
            page = Expression(emulator.GetEndpoint("http"));
            (apiKey, debitMsisdn) = (Expression(key), Expression(programmeWallet));
        }
        else
        {
            var url = builder.AddParameter("mobile-money-url");
            resource = builder.AddExternalService("mobile-money", url).WithParameterUrlHealthCheck(url, HeartbeatPath);
            baseUrl = Expression(url);
            apiKey = Expression(builder.AddParameter("mobile-money-api-key", secret: true));
            debitMsisdn = Expression(builder.AddParameter("mobile-money-debit-msisdn"));
            page = Expression("");
        }
        return new UpstreamSystem("MobileMoney", resource, [("BaseUrl", baseUrl), ("ApiKey", apiKey)])
        {
            UserInterface = page,
            SignIn = emulated ? "the emulator's page needs no sign-in" : "the provider's own portal",
            AdapterSettings = [("Payouts__DebitIdentifierType", Expression("msisdn")), ("Payouts__DebitIdentifier", debitMsisdn)],
        };
    }

    /// <summary>
    /// Where the provider sends its callbacks: the adapter's own endpoint where the emulator stands in for the provider;
    /// once deployed, the public address a ministry gives the adapter (parameter <c>mobile-money-callback-url</c>), or
    /// none, and the adapter polls each batch instead.
    /// </summary>
    public static IResourceBuilder<IDotNetService> WithProviderCallbacks(this IResourceBuilder<IDotNetService> adapter, UpstreamSystem provider)
    {
        var emulated = provider.Resource.Resource is IDotNetService;
        var parameter = $"{provider.Resource.Resource.Name}-callback-url";
        return adapter.WithEnvironment("Payouts__CallbackBaseUrl", emulated
            ? Expression(adapter.GetEndpoint("http"))
            : Expression(adapter.ApplicationBuilder.AddSetting(parameter, "")));
    }

    /// <summary>Where the emulator serves the GSMA API (its own pages are at the root).</summary>
    public const string MobileMoneyEmulatorApiRoot = "/gsma/v1.2/mm";
}
