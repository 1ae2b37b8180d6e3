using OneClickSuite.AppHost.Sandbox;
using static OneClickSuite.AppHost.SuiteExtensions;

namespace OneClickSuite.AppHost.Ihris;

public static class IhrisSystemExtensions
{
    /// <summary>
    /// iHRIS in each mode: its web app, HAPI FHIR, Elasticsearch and Redis (full), the emulator of both (sandbox), or a
    /// ministry's own (external, parameters <c>ihris-url</c> for the web app and <c>ihris-fhir-url</c> for its FHIR
    /// server). The suite reads and writes records on the FHIR server directly, never through the web app's /fhir
    /// routes (AppHost/Ihris/README.md says why); it signs in to nothing there. The administrator's email and password
    /// are for people, and the iHRIS adapter keeps that password in place (iHRIS restores its default in every new
    /// container).
    /// </summary>
    public static UpstreamSystem AddIhrisSystem(this IDistributedApplicationBuilder builder, SuiteMode mode, SuiteInfrastructure infra)
    {
        var adminEmail = builder.AddSetting("ihris-admin-email", IhrisResource.AdminEmail);
        var adminPassword = builder.AddSecret("ihris-admin-password");
        IResourceBuilder<IResource> resource;
        ReferenceExpression fhirUrl, appUrl;
        switch (mode)
        {
            case SuiteMode.Full:
            {
                var ihris = builder.AddIhris("ihris", infra.PostgresContainer!, infra.OwnerPassword(SuiteDatabases.Hapi),
                    builder.AddSecret("ihris-auth-secret"), builder.AddSecret("ihris-session-secret"), infra.DatabaseSetup);
                // The web app loads its definitions (and its default users) into FHIR before it opens its port: wait
                // for it, so nothing the suite writes is overwritten by that first-run load.
                resource = ihris.App;
                fhirUrl = ReferenceExpression.Create($"{ihris.Fhir.Resource.HttpEndpoint}/fhir");
                appUrl = Expression(ihris.App.Resource.HttpEndpoint);
                break;
            }
            case SuiteMode.Sandbox:
            {
                // One process serves both surfaces: the web app's on "http", HAPI's on "fhir".
                var emulator = builder.AddEmulator<Projects.Ihris_Emulator>("ihris", infra, SuiteDatabases.Hapi, "iHRIS emulator")
                    .WithHttpEndpoint(name: "fhir", env: "Ihris__FhirPort");
                emulator.WithUrlForEndpoint("fhir", url => url.DisplayText = "FHIR server (emulated HAPI)");
                resource = emulator;
                fhirUrl = ReferenceExpression.Create($"{emulator.GetEndpoint("fhir")}/fhir");
                appUrl = Expression(emulator.GetEndpoint("http"));
                break;
            }
            default:
            {
                var url = builder.AddParameter("ihris-url");
                var fhir = builder.AddParameter("ihris-fhir-url");
                builder.AddExternalService("ihris", url).WithParameterUrlHealthCheck(url, "config/app");
                resource = builder.AddExternalService("ihris-fhir", fhir).WithParameterUrlHealthCheck(fhir, "metadata");
                (fhirUrl, appUrl) = (Expression(fhir), Expression(url));
                break;
            }
        }

        return new UpstreamSystem("Ihris", resource,
            [("FhirUrl", fhirUrl), ("BaseUrl", appUrl), ("AdminEmail", Expression(adminEmail)), ("AdminPassword", Expression(adminPassword)),
             ("EnforceAdminPassword", Expression(mode == SuiteMode.External ? "false" : "true"))])
        {
            UserInterface = appUrl,
            SignIn = "the ihris-admin-email and ihris-admin-password parameters",
            // A ministry's own registry gets no demo staff, and its administrator is theirs to manage.
            BootstrapSettings = [("LoadDemoWorkforce", Expression(mode == SuiteMode.External ? "false" : "true"))],
        };
    }
}
