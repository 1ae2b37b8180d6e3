using System.Security.Cryptography;
using OneClickSuite.AppHost.Sandbox;
using static OneClickSuite.AppHost.SuiteExtensions;

namespace OneClickSuite.AppHost.PaymentHub;

public static class PaymentHubSystemExtensions
{
    /// <summary>
    /// Mifos Payment Hub EE, through which workers are paid at other providers. The graph never runs Payment Hub EE
    /// itself: its published deployment (Mifos Gazelle) is a Kubernetes cluster of Zeebe, Kafka, Elasticsearch and some
    /// twenty connectors that asks for 16 GB of memory, more than an evaluator's laptop gives the whole suite. Where
    /// evaluators run the suite (the sandbox, a full graph on their machine), the Payment Hub emulator stands in for its
    /// bulk processor and operations app, paying GSMA payments through the mobile money provider and closed-loop ones
    /// into Fineract: several providers side by side. Once deployed, or beside a ministry's systems, it is the
    /// ministry's own Payment Hub: parameters <c>payment-hub-url</c> (the bulk processor), <c>payment-hub-operations-url</c>,
    /// <c>payment-hub-tenant</c> and <c>payment-hub-signing-key</c> (the tenant's private key, Base64 PKCS#8, whose
    /// certificate Payment Hub holds to check X-SIGNATURE).
    /// </summary>
    public static UpstreamSystem AddPaymentHubSystem(this IDistributedApplicationBuilder builder, SuiteMode mode, SuiteInfrastructure infra,
        UpstreamSystem fineract, UpstreamSystem mobileMoney)
    {
        if (builder.IsEvaluatorMachine(mode))
        {
            const string tenant = "gorilla";
            // A key pair for this run: the adapter signs with the private key (a secret parameter), the emulator checks
            // with the public one, as Payment Hub checks X-SIGNATURE against the tenant's certificate.
            using var rsa = RSA.Create(2048);
            var signingKey = builder.AddParameter("payment-hub-signing-key", Convert.ToBase64String(rsa.ExportPkcs8PrivateKey()), secret: true);
            var emulator = builder.AddEmulator<Projects.PaymentHub_Emulator>("payment-hub", infra, SuiteDatabases.PaymentHubDefault, "Payment Hub EE emulator")
                .WithEnvironment($"PaymentHub__Jws__TenantKeys__{tenant}", Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()))
                .WithEnvironment("PaymentHub__Providers__GSMA__Kind", "GSMA")
                .WithEnvironment("PaymentHub__Providers__GSMA__TransactionType", "disbursement")
                .WithEnvironment("PaymentHub__Providers__CLOSEDLOOP__Kind", "CLOSEDLOOP")
                .WithEnvironment("PaymentHub__Providers__CLOSEDLOOP__FundingClientExternalId", "funding-programme")
                .WaitFor(fineract.Resource)
                .WaitFor(mobileMoney.Resource);
            emulator.WithEnvironment("PaymentHub__PublicUrl", emulator.GetEndpoint("http"));
            foreach (var (key, value) in mobileMoney.Settings)
            {
                if (key == "BaseUrl") emulator.WithEnvironment("PaymentHub__Providers__GSMA__BaseUrl", value);
                if (key == "ApiKey") emulator.WithEnvironment("PaymentHub__Providers__GSMA__ApiKey", value);
            }
            foreach (var (key, value) in fineract.Settings)
            {
                if (key is "BaseUrl" or "Username" or "Password" or "Tenant") emulator.WithEnvironment($"PaymentHub__Providers__CLOSEDLOOP__{key}", value);
            }
            var root = Expression(emulator.GetEndpoint("http"));
            return new UpstreamSystem("PaymentHub", emulator, [("BulkUrl", root), ("OperationsUrl", root), ("Tenant", Expression(tenant))])
            {
                UserInterface = root,
                SignIn = "the emulator's page needs no sign-in",
                // Only the adapter submits batches, so only it holds the key that signs them.
                AdapterSettings = [("PaymentHub__SigningKey", Expression(signingKey))],
            };
        }

        var bulk = builder.AddParameter("payment-hub-url");
        var operations = builder.AddParameter("payment-hub-operations-url");
        // The bulk processor is a Spring Boot service with the actuator's health endpoint enabled
        // (openMF/ph-ee-bulk-processor: build.gradle spring-boot-starter-actuator, application.yaml management.endpoint.health).
        var resource = builder.AddExternalService("payment-hub", bulk).WithParameterUrlHealthCheck(bulk, "actuator/health");
        return new UpstreamSystem("PaymentHub", resource,
            [("BulkUrl", Expression(bulk)), ("OperationsUrl", Expression(operations)), ("Tenant", Expression(builder.AddParameter("payment-hub-tenant")))])
        {
            UserInterface = Expression(""),
            SignIn = "Payment Hub's operations web app",
            AdapterSettings = [("PaymentHub__SigningKey", Expression(builder.AddParameter("payment-hub-signing-key", secret: true)))],
        };
    }

    /// <summary>
    /// Payment Hub asks the payer's system to authorize every batch before a transfer starts (ph-ee-bulk-processor
    /// <c>AuthorizationWorker</c>); the adapter is that system and authorizes only batches it sent. In the sandbox the
    /// emulator asks the adapter; a ministry's Payment Hub is pointed at it in its own configuration
    /// (<c>mock-payment-schema.contactpoint</c> = the adapter's address, <c>config.authorization.enabled: true</c>).
    /// </summary>
    public static IResourceBuilder<IDotNetService> AuthorizesBatchesOf(this IResourceBuilder<IDotNetService> adapter, UpstreamSystem paymentHub)
    {
        if (paymentHub.Resource.Resource is IDotNetService emulator)
        {
            adapter.ApplicationBuilder.CreateResourceBuilder(emulator)
                .WithEnvironment("PaymentHub__Authorization__Url", adapter.GetEndpoint("http"));
        }
        return adapter;
    }
}
