using OneClickSuite.AppHost.Sandbox;
using static OneClickSuite.AppHost.SuiteExtensions;

namespace OneClickSuite.AppHost.Fineract;

public static class FineractSystemExtensions
{
    /// <summary>
    /// Fineract in each mode: its container and the Mifos X web app (full), the emulator (sandbox), or a ministry's own
    /// server (external, parameter <c>fineract-url</c>). The suite signs in as <c>mifos</c> with the
    /// <c>fineract-password</c> parameter, which bootstrap puts in place of upstream's default where the suite runs Fineract.
    /// </summary>
    public static UpstreamSystem AddFineractSystem(this IDistributedApplicationBuilder builder, SuiteMode mode, SuiteInfrastructure infra)
    {
        var password = builder.AddSecret("fineract-password");
        IResourceBuilder<IResource> resource;
        ReferenceExpression baseUrl, userInterface;
        switch (mode)
        {
            case SuiteMode.Full:
            {
                var fineract = builder.AddFineract("fineract", infra.PostgresContainer!,
                        infra.OwnerPassword(SuiteDatabases.FineractDefault), builder.AddSecret("fineract-master-password"))
                    .WaitForCompletion(infra.DatabaseSetup);
                var webApp = builder.AddMifosWebApp("mifos", fineract);
                (resource, baseUrl) = (fineract, Expression(fineract.Resource.HttpEndpoint));
                userInterface = Expression(webApp.Resource.HttpEndpoint);
                break;
            }
            case SuiteMode.Sandbox:
            {
                var emulator = builder.AddEmulator<Projects.Fineract_Emulator>("fineract", infra, SuiteDatabases.FineractDefault, "Fineract emulator")
                    // The emulator starts with upstream's published default, which bootstrap then replaces, as in full mode.
                    .WithEnvironment("Fineract__SeedPassword", FineractResource.UpstreamDefaultPassword);
                (resource, baseUrl) = (emulator, Expression(emulator.GetEndpoint("http")));
                userInterface = baseUrl;
                break;
            }
            default:
            {
                var url = builder.AddParameter("fineract-url");
                resource = builder.AddExternalService("fineract", url).WithParameterUrlHealthCheck(url, FineractResource.HealthPath);
                (baseUrl, userInterface) = (Expression(url), Expression(builder.AddSetting("fineract-ui-url", "")));
                break;
            }
        }

        return new UpstreamSystem("Fineract", resource,
            [("BaseUrl", baseUrl), ("Username", Expression(FineractResource.AdminUser)), ("Password", Expression(password)),
             ("Tenant", Expression(FineractResource.Tenant))])
        {
            UserInterface = userInterface,
            SignIn = $"user {FineractResource.AdminUser}, password: parameter fineract-password",
            // Upstream's published default, replaced on first sign-in; a ministry's own Fineract is never touched.
            BootstrapSettings = [("FineractDefaultPassword", Expression(mode == SuiteMode.External ? "" : FineractResource.UpstreamDefaultPassword))],
        };
    }
}
