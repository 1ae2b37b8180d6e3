using OneClickSuite.AppHost.Sandbox;
using static OneClickSuite.AppHost.SuiteExtensions;

namespace OneClickSuite.AppHost.Odk;

public static class OdkCentralSystemExtensions
{
    /// <summary>
    /// ODK Central in each mode: its containers with a mail catcher or, once deployed, a mail relay (full), the
    /// emulator (sandbox), or a ministry's own server (external, parameter <c>odk-central-url</c>). The suite signs in
    /// as the <c>odk-admin-email</c> / <c>odk-admin-password</c> parameters.
    /// </summary>
    public static UpstreamSystem AddOdkCentralSystem(this IDistributedApplicationBuilder builder, SuiteMode mode, SuiteInfrastructure infra)
    {
        var adminEmail = builder.AddSetting("odk-admin-email", "admin@oneclicksuite.org");
        var adminPassword = builder.AddSecret("odk-admin-password");
        IResourceBuilder<IResource> resource;
        ReferenceExpression baseUrl;
        IResourceBuilder<IResource>[] setup = [];
        switch (mode)
        {
            case SuiteMode.Full:
            {
                var odk = builder.AddOdkCentral("odk-central", infra.PostgresContainer!, infra.OwnerPassword(SuiteDatabases.Odk),
                    adminEmail, adminPassword, infra.DatabaseSetup, builder.AddOdkMail());
                (resource, baseUrl, setup) = (odk.FrontEnd, Expression(odk.FrontEnd.Resource.HttpEndpoint), [odk.Administrator]);
                break;
            }
            case SuiteMode.Sandbox:
            {
                var emulator = builder.AddEmulator<Projects.OdkCentral_Emulator>("odk-central", infra, SuiteDatabases.Odk, "ODK Central emulator")
                    .WithEnvironment("Odk__AdminEmail", adminEmail)
                    .WithEnvironment("Odk__AdminPassword", adminPassword);
                emulator.WithEnvironment("Odk__PublicUrl", emulator.GetEndpoint("http"));
                (resource, baseUrl) = (emulator, Expression(emulator.GetEndpoint("http")));
                break;
            }
            default:
            {
                var url = builder.AddParameter("odk-central-url");
                resource = builder.AddExternalService("odk-central", url).WithParameterUrlHealthCheck(url, OdkCentralBuilderExtensions.HealthPath);
                baseUrl = Expression(url);
                break;
            }
        }

        return new UpstreamSystem("Odk", resource, [("BaseUrl", baseUrl), ("Email", Expression(adminEmail)), ("Password", Expression(adminPassword))])
        {
            Setup = setup,
            UserInterface = baseUrl,
            SignIn = "the odk-admin-email and odk-admin-password parameters",
        };
    }

    /// <summary>
    /// Where Central sends invitations and password resets (it waits on the send: creating a web user fails without a
    /// mail host, central-backend lib/resources/users.js). On the evaluator's machine a catcher they can open; once
    /// deployed, the ministry's relay (parameters smtp-host, smtp-port, smtp-user, smtp-password, mail-from; STARTTLS).
    /// </summary>
    private static OdkMail AddOdkMail(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return new OdkMail(Expression(builder.AddParameter("smtp-host")), Expression(builder.AddSetting("smtp-port", "587")),
                Expression(builder.AddSetting("smtp-user", "")), Expression(builder.AddParameter("smtp-password", secret: true)),
                Expression(builder.AddSetting("mail-from", "no-reply@oneclicksuite.org")), Secure: false, IgnoreTls: false);
        }
        var smtp = builder.AddMailCatcher("mail").Resource.SmtpEndpoint;
        return new OdkMail(ReferenceExpression.Create($"{smtp.Property(EndpointProperty.Host)}"),
            ReferenceExpression.Create($"{smtp.Property(EndpointProperty.Port)}"), Expression(""), Expression(""),
            Expression("no-reply@oneclicksuite.local"), Secure: false, IgnoreTls: true);
    }
}
