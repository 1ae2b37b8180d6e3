using OneClickSuite.AppHost.Fineract;

namespace OneClickSuite.AppHost.Tests.Fineract;

/// <summary>Fineract's integration on a bare builder, in each mode.</summary>
public class FineractSystemTests
{
    [Fact]
    public async Task Full_mode_keeps_fineract_inside_and_serves_its_api_under_the_web_apps_origin()
    {
        await using var integration = Integration.Create(SuiteMode.Full);
        var system = integration.Builder.AddFineractSystem(SuiteMode.Full, integration.Infra);

        var fineract = integration.Resource<FineractResource>("fineract");
        var api = Assert.Single(fineract.Annotations.OfType<EndpointAnnotation>());
        Assert.False(api.IsExternal, "Fineract's API is reached through the web app, never directly from outside");
        Assert.Null(api.Port); // no fixed host port: nothing outside the graph calls it

        var webApp = integration.Resource<MifosWebAppResource>("mifos");
        Assert.True(Assert.Single(webApp.Annotations.OfType<EndpointAnnotation>()).IsExternal);
        var environment = await integration.EnvironmentAsync("mifos");
        // Unset, the app calls window.location.origin (openMF/web-app environment.prod.ts), where our site proxies.
        Assert.False(environment.ContainsKey("FINERACT_API_URL"));
        Assert.False(environment.ContainsKey("FINERACT_API_URLS"));
        // Any non-empty value, "false" included, switches the app to OAuth sign-in.
        Assert.False(environment.ContainsKey("MIFOS_OAUTH_SERVER_ENABLED"));
        var site = NginxSites.Decode(environment);
        Assert.Contains("location /fineract-provider/ {", site);
        Assert.Contains("proxy_pass @UPSTREAM@;", site);
        var upstream = Assert.IsType<ReferenceExpression>(environment[NginxSite.UpstreamVariable]);
        Assert.Equal("{fineract.bindings.http.url}", upstream.ValueExpression);
        var script = NginxSites.StartScript(webApp);
        Assert.StartsWith("rm -f /etc/nginx/conf.d/* ", script);
        Assert.Contains("envsubst < /usr/share/nginx/html/assets/env.template.js > /usr/share/nginx/html/assets/env.js", script);

        Assert.Same(fineract, system.Resource.Resource);
        Assert.Equal("{mifos.bindings.http.url}", system.UserInterface.ValueExpression);
    }

    [Fact]
    public async Task Full_mode_sizes_both_of_fineracts_pools_from_the_connection_budget()
    {
        await using var integration = Integration.Create(SuiteMode.Full);
        integration.Builder.AddFineractSystem(SuiteMode.Full, integration.Infra);
        var environment = await integration.EnvironmentAsync("fineract");
        Assert.Equal(ConnectionBudget.FineractTenantStorePool.ToString(), environment["FINERACT_HIKARI_MAXIMUM_POOL_SIZE"]);
        Assert.Equal(ConnectionBudget.FineractTenantPool.ToString(), environment["FINERACT_CONFIG_MAX_POOL_SIZE"]);
        Assert.True(int.Parse((string)environment["FINERACT_CONFIG_MIN_POOL_SIZE"]) <= ConnectionBudget.FineractTenantPool);
    }

    [Fact]
    public async Task Sandbox_mode_runs_the_emulator_under_fineracts_name_with_upstreams_default_password()
    {
        await using var integration = Integration.Create(SuiteMode.Sandbox);
        var system = integration.Builder.AddFineractSystem(SuiteMode.Sandbox, integration.Infra);
        var emulator = integration.Resource<DotNetServiceProcess>("fineract");
        Assert.Empty(integration.Builder.Resources.OfType<ContainerResource>());
        var environment = await integration.EnvironmentAsync("fineract");
        Assert.Equal(FineractResource.UpstreamDefaultPassword, environment["Fineract__SeedPassword"]);
        Assert.Contains($"Maximum Pool Size={ConnectionBudget.Emulator}", Integration.Manifest(environment["ConnectionStrings__fineract-default"]));
        Assert.Contains(emulator.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "faults-error");
        Assert.Equal(FineractResource.UpstreamDefaultPassword, Integration.Manifest(Assert.Single(system.BootstrapSettings).Value));
    }

    [Fact]
    public async Task External_mode_points_at_the_ministrys_fineract_and_never_replaces_its_password()
    {
        await using var integration = Integration.Create(SuiteMode.External, publish: false, "--Parameters:fineract-url=https://bank.example.org");
        var system = integration.Builder.AddFineractSystem(SuiteMode.External, integration.Infra);
        Assert.IsType<ExternalServiceResource>(integration.Resource("fineract"));
        Assert.Equal("{fineract-url.value}", Integration.Manifest(system.Settings.Single(s => s.Key == "BaseUrl").Value));
        Assert.Equal("", Integration.Manifest(Assert.Single(system.BootstrapSettings).Value));
    }
}
