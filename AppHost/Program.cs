using OneClickSuite.AppHost;
using OneClickSuite.AppHost.Fineract;
using OneClickSuite.AppHost.Ihris;
using OneClickSuite.AppHost.Odk;
using OneClickSuite.AppHost.Portal;
using OneClickSuite.AppHost.Sandbox;
using static OneClickSuite.AppHost.SuiteExtensions;

var builder = DistributedApplication.CreateBuilder(args);

// full: every system as its container | sandbox: no containers, emulators | external: a ministry's own systems.
var mode = builder.GetSuiteMode();

// ── PostgreSQL, RabbitMQ and the databases (db-setup creates them with what each owner needs) ──
var infra = builder.AddSuiteInfrastructure(mode);

// ── Credentials of the upstream systems: parameters, visible to the evaluator in the dashboard ──
var fineractPassword = builder.AddSecret("fineract-password");
var odkAdminEmail = builder.AddParameter("odk-admin-email", "admin@oneclicksuite.org", publishValueAsDefault: true);
var odkAdminPassword = builder.AddSecret("odk-admin-password");
var ihrisAdminEmail = builder.AddParameter("ihris-admin-email", IhrisResource.AdminEmail, publishValueAsDefault: true);
var ihrisAdminPassword = builder.AddSecret("ihris-admin-password");

// ── The three upstream systems ──
IResourceBuilder<IResource> fineract, odkCentral, ihris;
ReferenceExpression fineractUrl, odkCentralUrl, ihrisUrl;
switch (mode)
{
    case SuiteMode.Full:
    {
        var postgres = infra.PostgresContainer ?? throw new InvalidOperationException(
            "full mode runs PostgreSQL as a container for the upstream systems; unset ConnectionStrings:postgres");
        var fineractHostPort = builder.Configuration.GetValue("Suite:FineractHostPort", 18080);

        var fineractServer = builder.AddFineract("fineract", postgres,
                builder.OwnerPassword(SuiteDatabases.FineractDefault), builder.AddSecret("fineract-master-password"), fineractHostPort)
            .WaitForCompletion(infra.DatabaseSetup);
        builder.AddMifosWebApp("mifos", fineractServer, fineractHostPort);

        var odk = builder.AddOdkCentral("odk-central", postgres,
            builder.OwnerPassword(SuiteDatabases.Odk), odkAdminEmail, odkAdminPassword, infra.DatabaseSetup);

        var ihrisApp = builder.AddIhris("ihris", postgres,
            builder.OwnerPassword(SuiteDatabases.Hapi), builder.AddSecret("ihris-auth-secret"), builder.AddSecret("ihris-session-secret"), infra.DatabaseSetup);

        (fineract, fineractUrl) = (fineractServer, ReferenceExpression.Create($"{fineractServer.Resource.HttpEndpoint}"));
        (odkCentral, odkCentralUrl) = (odk, ReferenceExpression.Create($"{odk.Resource.HttpEndpoint}"));
        (ihris, ihrisUrl) = (ihrisApp, ReferenceExpression.Create($"{ihrisApp.Resource.HttpEndpoint}"));
        break;
    }
    case SuiteMode.Sandbox:
    {
        var fineractEmulator = builder.AddSuiteService<Projects.Fineract_Emulator>("fineract")
            // The emulator starts with upstream's published default, which bootstrap then replaces, as in full mode.
            .WithEnvironment("Fineract__SeedPassword", FineractResource.UpstreamDefaultPassword)
            .WithReference(infra.Database(SuiteDatabases.FineractDefault))
            .WaitForCompletion(infra.DatabaseSetup)
            .WithUrlForEndpoint("http", url => url.DisplayText = "Fineract emulator")
            .WithFaultCommands();

        var odkEmulator = builder.AddSuiteService<Projects.OdkCentral_Emulator>("odk-central")
            .WithReference(infra.Database(SuiteDatabases.Odk))
            .WithEnvironment("Odk__AdminEmail", odkAdminEmail)
            .WithEnvironment("Odk__AdminPassword", odkAdminPassword)
            .WaitForCompletion(infra.DatabaseSetup)
            .WithUrlForEndpoint("http", url => url.DisplayText = "ODK Central emulator")
            .WithFaultCommands();
        odkEmulator.WithEnvironment("Odk__PublicUrl", odkEmulator.GetEndpoint("http"));

        var ihrisEmulator = builder.AddSuiteService<Projects.Ihris_Emulator>("ihris")
            .WithReference(infra.Database(SuiteDatabases.Hapi))
            .WithEnvironment("Ihris__AdminEmail", ihrisAdminEmail)
            .WithEnvironment("Ihris__AdminPassword", ihrisAdminPassword)
            .WaitForCompletion(infra.DatabaseSetup)
            .WithUrlForEndpoint("http", url => url.DisplayText = "iHRIS emulator")
            .WithFaultCommands();

        (fineract, fineractUrl) = (fineractEmulator, ReferenceExpression.Create($"{fineractEmulator.GetEndpoint("http")}"));
        (odkCentral, odkCentralUrl) = (odkEmulator, ReferenceExpression.Create($"{odkEmulator.GetEndpoint("http")}"));
        (ihris, ihrisUrl) = (ihrisEmulator, ReferenceExpression.Create($"{ihrisEmulator.GetEndpoint("http")}"));
        break;
    }
    default:
    {
        var fineractAddress = builder.AddParameter("fineract-url");
        var odkAddress = builder.AddParameter("odk-central-url");
        var ihrisAddress = builder.AddParameter("ihris-url");
        fineract = builder.AddExternalService("fineract", fineractAddress).WithHttpHealthCheck(FineractResource.HealthPath);
        odkCentral = builder.AddExternalService("odk-central", odkAddress).WithHttpHealthCheck(OdkCentralBuilderExtensions.HealthPath);
        ihris = builder.AddExternalService("ihris", ihrisAddress).WithHttpHealthCheck("/config/app");
        (fineractUrl, odkCentralUrl, ihrisUrl) = (Expression(fineractAddress), Expression(odkAddress), Expression(ihrisAddress));
        break;
    }
}

var fineractSystem = new UpstreamSystem("Fineract", fineract, fineractUrl,
    [("Username", Expression(FineractResource.AdminUser)), ("Password", Expression(fineractPassword)), ("Tenant", Expression(FineractResource.Tenant))]);
var odkSystem = new UpstreamSystem("Odk", odkCentral, odkCentralUrl,
    [("Email", Expression(odkAdminEmail)), ("Password", Expression(odkAdminPassword))]);
var ihrisSystem = new UpstreamSystem("Ihris", ihris, ihrisUrl,
    [("Email", Expression(ihrisAdminEmail)), ("Password", Expression(ihrisAdminPassword))]);

// ── Bootstrap: one-shot seeding, the same code in every mode; re-running creates nothing twice ──
var bootstrap = builder.AddOneShot<Projects.Bootstrap>("bootstrap")
    .WithUpstream(fineractSystem)
    .WithUpstream(odkSystem)
    .WithUpstream(ihrisSystem)
    // Upstream's published default passwords, replaced on first sign-in; a ministry's own systems are never touched.
    .WithEnvironment("Bootstrap__FineractDefaultPassword", mode == SuiteMode.External ? "" : FineractResource.UpstreamDefaultPassword)
    .WithEnvironment("Bootstrap__IhrisDefaultPassword", mode == SuiteMode.Full ? IhrisResource.UpstreamDefaultPassword : "")
    // A ministry's own systems get the suite's structure (product, form, entity list) but never demo staff.
    .WithEnvironment("Bootstrap__LoadDemoWorkforce", (mode != SuiteMode.External).ToString().ToLowerInvariant());

// ── The suite's own services: thin adapters and payroll, talking only through RabbitMQ, state in suite-db ──
var ihrisAdapter = builder.AddSuiteService<Projects.IhrisAdapter>("ihris-adapter")
    .WithSuiteState(infra, bootstrap)
    .WithUpstream(ihrisSystem);
var fineractAdapter = builder.AddSuiteService<Projects.FineractAdapter>("fineract-adapter")
    .WithSuiteState(infra, bootstrap)
    .WithUpstream(fineractSystem);
var odkAdapter = builder.AddSuiteService<Projects.OdkAdapter>("odk-adapter")
    .WithSuiteState(infra, bootstrap)
    .WithUpstream(odkSystem);
var payroll = builder.AddSuiteService<Projects.Payroll>("payroll")
    .WithSuiteState(infra, bootstrap)
    .WithUpstream(fineractSystem) // read-only: reconciliation against Fineract's transactions
    .WaitFor(ihrisAdapter)
    .WaitFor(fineractAdapter)
    .WaitFor(odkAdapter);

// ── Portal: the suite's front door for evaluators and payroll staff, and the one-click demo ──
builder.AddPortal(infra, [payroll, ihrisAdapter, fineractAdapter, odkAdapter], fineractSystem, odkSystem, ihrisSystem);

builder.Build().Run();
