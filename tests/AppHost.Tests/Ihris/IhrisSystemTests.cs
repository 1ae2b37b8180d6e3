using OneClickSuite.AppHost.Ihris;

namespace OneClickSuite.AppHost.Tests.Ihris;

/// <summary>iHRIS's integration on a bare builder, in each mode.</summary>
public class IhrisSystemTests
{
    [Fact]
    public async Task Hapi_keeps_the_search_settings_its_image_makes_itself()
    {
        await using var integration = Integration.Create(SuiteMode.Full);
        integration.Builder.AddIhrisSystem(SuiteMode.Full, integration.Infra);
        var environment = await integration.EnvironmentAsync("fhir");
        // The starter sets them (application.yaml, EnvironmentHelper.getHibernateProperties putIfAbsent); overriding
        // the analysis configurer with a class HAPI 6.8 no longer has kept HAPI from starting.
        Assert.DoesNotContain(environment.Keys, k => k.StartsWith("spring.jpa.properties.hibernate.search", StringComparison.OrdinalIgnoreCase)
                                                     || k.StartsWith("SPRING_JPA_PROPERTIES_HIBERNATE_SEARCH", StringComparison.OrdinalIgnoreCase)
                                                     || k.StartsWith("hibernate.search", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(ConnectionBudget.Hapi.ToString(), environment["spring.datasource.hikari.maximum-pool-size"]);
        Assert.DoesNotContain(integration.Resource("fhir").Annotations.OfType<EndpointAnnotation>(), e => e.IsExternal);
    }

    [Fact]
    public async Task The_suite_reads_iHRIS_on_its_fhir_server_and_people_use_the_web_app()
    {
        await using var integration = Integration.Create(SuiteMode.Full);
        var system = integration.Builder.AddIhrisSystem(SuiteMode.Full, integration.Infra);
        var settings = system.Settings.ToDictionary(s => s.Key, s => Integration.Manifest(s.Value));
        Assert.Equal("{fhir.bindings.http.url}/fhir", settings["FhirUrl"]);
        Assert.Equal("{ihris.bindings.http.url}", settings["BaseUrl"]);
        Assert.Equal("true", settings["EnforceAdminPassword"]);
        Assert.True(Assert.Single(integration.Resource("ihris").Annotations.OfType<EndpointAnnotation>()).IsExternal);
        // Services start once the web app has loaded its own definitions and users into FHIR.
        Assert.Equal("ihris", system.Resource.Resource.Name);
    }

    [Fact]
    public async Task The_sandbox_emulator_serves_both_surfaces_from_one_process()
    {
        await using var integration = Integration.Create(SuiteMode.Sandbox);
        var system = integration.Builder.AddIhrisSystem(SuiteMode.Sandbox, integration.Infra);
        var emulator = integration.Resource<DotNetServiceProcess>("ihris");
        Assert.Single(emulator.Annotations.OfType<EndpointAnnotation>(), e => e.Name == "fhir");
        // The emulator listens on that port itself: Aspire leaves an endpoint with its own variable out of ASPNETCORE_URLS.
        Assert.Equal("{ihris.bindings.fhir.targetPort}", Integration.Manifest((await integration.EnvironmentAsync("ihris"))["Ihris__FhirPort"]));
        Assert.Equal("{ihris.bindings.fhir.url}/fhir", Integration.Manifest(system.Settings.Single(s => s.Key == "FhirUrl").Value));
        Assert.Equal("{ihris.bindings.http.url}", system.UserInterface.ValueExpression);
    }

    [Fact]
    public async Task External_mode_takes_the_ministrys_web_app_and_fhir_server_and_leaves_its_administrator_alone()
    {
        await using var integration = Integration.Create(SuiteMode.External, publish: false,
            "--Parameters:ihris-url=https://ihris.example.org", "--Parameters:ihris-fhir-url=https://ihris.example.org:8080/fhir");
        var system = integration.Builder.AddIhrisSystem(SuiteMode.External, integration.Infra);
        var settings = system.Settings.ToDictionary(s => s.Key, s => Integration.Manifest(s.Value));
        Assert.Equal("{ihris-fhir-url.value}", settings["FhirUrl"]);
        Assert.Equal("{ihris-url.value}", settings["BaseUrl"]);
        Assert.Equal("false", settings["EnforceAdminPassword"]);
        Assert.Equal("false", Integration.Manifest(Assert.Single(system.BootstrapSettings).Value)); // no demo workforce
    }
}
