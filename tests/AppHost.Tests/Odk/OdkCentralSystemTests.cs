using OneClickSuite.AppHost.Odk;

namespace OneClickSuite.AppHost.Tests.Odk;

/// <summary>ODK Central's integration on a bare builder, in each mode.</summary>
public class OdkCentralSystemTests
{
    [Fact]
    public async Task The_front_end_removes_every_site_the_image_ships_and_proxies_to_the_services_endpoint()
    {
        await using var integration = Integration.Create(SuiteMode.Full);
        integration.Builder.AddOdkCentralSystem(SuiteMode.Full, integration.Infra);
        var frontEnd = integration.Resource<OdkCentralResource>("odk-central");

        // jonasal/nginx-certbot ships conf.d/redirector.conf, a second default server on port 80 (its src/Dockerfile).
        Assert.StartsWith("rm -f /etc/nginx/conf.d/* ", NginxSites.StartScript(frontEnd));
        var environment = await integration.EnvironmentAsync("odk-central");
        var site = NginxSites.Decode(environment);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(site, "default_server"));
        Assert.DoesNotContain("service:8383", site);
        Assert.Contains("proxy_pass @UPSTREAM@;", site);
        // Built from the endpoint: on Container Apps internal ingress is on port 80, not 8383.
        Assert.Equal("{service.bindings.http.url}", ((ReferenceExpression)environment[NginxSite.UpstreamVariable]).ValueExpression);
        Assert.True(Assert.Single(frontEnd.Annotations.OfType<EndpointAnnotation>()).IsExternal);
    }

    [Fact]
    public async Task Pyxform_is_probed_on_its_port_not_over_http()
    {
        await using var integration = Integration.Create(SuiteMode.Full);
        integration.Builder.AddOdkCentralSystem(SuiteMode.Full, integration.Infra);
        var pyxform = integration.Resource("pyxform");
        // gunicorn --max-requests 1 (pyxform-http Dockerfile): an HTTP probe recycles a worker each time.
        var check = Assert.Single(pyxform.Annotations.OfType<HealthCheckAnnotation>());
        Assert.EndsWith("_tcp", check.Key);
    }

    [Fact]
    public async Task Bootstrap_and_every_service_wait_for_the_administrator_one_shot()
    {
        await using var integration = Integration.Create(SuiteMode.Full);
        var system = integration.Builder.AddOdkCentralSystem(SuiteMode.Full, integration.Infra);
        var service = integration.Builder.AddContainer("consumer", "example/consumer", "1.0").WithUpstream(system);
        Assert.Contains(AppModel.WaitsToComplete(service.Resource), r => r.Name == "odk-central-admin");
    }

    [Fact]
    public async Task On_the_evaluators_machine_mail_goes_to_a_catcher_they_can_open()
    {
        await using var integration = Integration.Create(SuiteMode.Full);
        integration.Builder.AddOdkCentralSystem(SuiteMode.Full, integration.Infra);
        var mail = integration.Resource<MailCatcherResource>("mail");
        Assert.Contains(mail.Annotations.OfType<EndpointAnnotation>(), e => e.TargetPort == MailCatcherResource.SmtpPort);
        Assert.Contains(mail.Annotations.OfType<EndpointAnnotation>(), e => e.TargetPort == MailCatcherResource.HttpPort && e.UriScheme == "http");
        var environment = await integration.EnvironmentAsync("service");
        Assert.Equal("{mail.bindings.smtp.host}", Integration.Manifest(environment["EMAIL_HOST"]));
        Assert.Equal("{mail.bindings.smtp.port}", Integration.Manifest(environment["EMAIL_PORT"]));
    }

    [Fact]
    public async Task Once_deployed_mail_goes_to_the_ministrys_relay_and_links_use_the_public_host()
    {
        await using var integration = Integration.Create(SuiteMode.Full, publish: true);
        integration.Builder.AddOdkCentralSystem(SuiteMode.Full, integration.Infra);
        Assert.DoesNotContain(integration.Builder.Resources, r => r.Name == "mail");
        var environment = await integration.EnvironmentAsync("service");
        Assert.Equal("{smtp-host.value}", Integration.Manifest(environment["EMAIL_HOST"]));
        Assert.Equal("{smtp-password.value}", Integration.Manifest(environment["EMAIL_PASSWORD"]));
        Assert.True(integration.Resource<ParameterResource>("smtp-password").Secret);
        Assert.Equal("{odk-central.bindings.http.host}", Integration.Manifest(environment["DOMAIN"]));
        Assert.Equal("true", (await integration.EnvironmentAsync("odk-central-admin"))["STAY_UP"]);
    }

    [Fact]
    public async Task The_service_gets_every_variable_its_start_script_needs_with_the_budgeted_pool()
    {
        await using var integration = Integration.Create(SuiteMode.Full);
        integration.Builder.AddOdkCentralSystem(SuiteMode.Full, integration.Infra);
        var environment = await integration.EnvironmentAsync("service");
        // start-odk.sh renders config.json.template with envsub.awk, which exits on any undefined variable.
        foreach (var name in new[] { "DOMAIN", "HTTPS_PORT", "SYSADMIN_EMAIL", "DB_POOL_SIZE", "EMAIL_FROM", "EMAIL_HOST", "EMAIL_PORT",
                     "EMAIL_SECURE", "EMAIL_IGNORE_TLS", "EMAIL_USER", "EMAIL_PASSWORD", "SESSION_LIFETIME", "OIDC_ENABLED",
                     "OIDC_ISSUER_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "SENTRY_ORG_SUBDOMAIN", "SENTRY_KEY", "SENTRY_PROJECT",
                     "SENTRY_TRACE_RATE", "S3_SERVER", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET_NAME", "PGHOST", "PGPORT",
                     "PGUSER", "PGPASSWORD", "PGDATABASE" })
        {
            Assert.True(environment.ContainsKey(name), $"service lacks {name}");
        }
        Assert.Equal(ConnectionBudget.OdkPoolPerWorker.ToString(), environment["DB_POOL_SIZE"]);
        // and it reads /etc/secrets/enketo-api-key, which only upstream's own "secrets" one-shot would write
        Assert.Contains("/etc/secrets/enketo-api-key", NginxSites.StartScript(integration.Resource("service")));
    }

    [Fact]
    public async Task Sandbox_and_external_modes_have_no_container()
    {
        foreach (var mode in new[] { SuiteMode.Sandbox, SuiteMode.External })
        {
            await using var integration = Integration.Create(mode, publish: false, "--Parameters:odk-central-url=https://odk.example.org");
            var system = integration.Builder.AddOdkCentralSystem(mode, integration.Infra);
            Assert.Empty(integration.Builder.Resources.OfType<ContainerResource>());
            Assert.Empty(system.Setup);
        }
    }
}
