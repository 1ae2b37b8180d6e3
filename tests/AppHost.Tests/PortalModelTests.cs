namespace OneClickSuite.AppHost.Tests;

/// <summary>The portal in the graph: its users and demo key as generated secrets, its data, the services it acts through.</summary>
public class PortalModelTests
{
    [Theory]
    [InlineData("sandbox")]
    [InlineData("full")]
    public async Task The_portal_has_its_users_its_data_and_the_services_it_acts_through(string mode)
    {
        await using var model = await AppModel.CreateAsync(mode);
        var portal = Assert.IsType<DotNetServiceProcess>(model.Resource("portal"));
        var environment = await model.EnvironmentAsync(portal);

        foreach (var user in new[] { "viewer", "clerk", "approver" })
        {
            var password = Assert.IsType<ParameterResource>(environment[$"Portal__Users__{user}__Password"]);
            Assert.Equal($"portal-{user}-password", password.Name);
            Assert.True(password.Secret, $"{mode}: portal-{user}-password is not a secret");
            Assert.Equal(user, environment[$"Portal__Users__{user}__Role"]);
        }
        var demoKey = Assert.IsType<ParameterResource>(environment["Portal__DemoKey"]);
        Assert.True(demoKey.Secret);
        Assert.Equal("true", environment["Portal__Demo__Enabled"]);
        Assert.Equal("suite-signing-key", Assert.IsType<ParameterResource>(environment["Suite__Identity__SigningKey"]).Name);

        Assert.True(environment.ContainsKey("ConnectionStrings__suite-db"), $"{mode}: the portal has no suite-db");
        Assert.False(environment.ContainsKey("ConnectionStrings__rabbitmq"), $"{mode}: the portal needs no RabbitMQ");
        foreach (var service in new[] { "payroll", "ihris-adapter", "fineract-adapter", "odk-adapter" })
        {
            Assert.True(environment.ContainsKey($"services__{service}__http__0"), $"{mode}: the portal cannot discover {service}");
        }
        foreach (var section in new[] { "Fineract", "Odk", "Ihris" })
        {
            Assert.True(environment.ContainsKey($"{section}__BaseUrl"), $"{mode}: the portal does not know where {section} is");
        }
        foreach (var section in new[] { "Fineract", "Odk", "Ihris" })
        {
            Assert.True(environment.ContainsKey($"Portal__Links__{section}"), $"{mode}: the portal has no link to {section}'s own UI");
            Assert.True(environment.ContainsKey($"Portal__SignIn__{section}"), $"{mode}: the portal cannot say how to sign in to {section}");
        }
        if (mode == "full") Assert.Equal("{mifos.bindings.http.url}", ((IManifestExpressionProvider)environment["Portal__Links__Fineract"]).ValueExpression);

        // It finds the services it acts through, and starts beside them rather than after them: nothing it does at
        // start needs them, and a page whose service is not up yet says so.
        var waits = AppModel.WaitsFor(portal).Select(r => r.Name).ToList();
        Assert.Contains("db-setup", waits);
        foreach (var service in new[] { "payroll", "ihris-adapter", "fineract-adapter", "odk-adapter" })
        {
            Assert.DoesNotContain(service, waits);
            Assert.Contains(environment.Keys, key => key.StartsWith($"services__{service}__http__", StringComparison.Ordinal));
        }

        Assert.Contains(portal.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "run-demo" && c.DisplayName == "Run the demo");
        Assert.True(portal.Annotations.OfType<HealthCheckAnnotation>().Any(), $"{mode}: the portal proves no readiness");
    }

    [Theory]
    [InlineData("external", false)]
    [InlineData("full", true)]
    public async Task The_demo_is_absent_beside_a_ministrys_systems_and_once_deployed(string mode, bool publish)
    {
        await using var model = await AppModel.CreateAsync(mode, publish);
        var portal = model.Resource("portal");
        var environment = await model.EnvironmentAsync(portal);
        Assert.Equal("false", environment["Portal__Demo__Enabled"]);
        Assert.False(environment.ContainsKey("Portal__DemoKey"));
        Assert.DoesNotContain(portal.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "run-demo");
        Assert.DoesNotContain(model.Resources, r => r.Name == "portal-demo-key");
    }

    [Theory]
    [InlineData("sandbox")]
    [InlineData("full")]
    [InlineData("external")]
    public async Task Every_suite_service_verifies_identities_with_the_one_signing_key(string mode)
    {
        await using var model = await AppModel.CreateAsync(mode);
        foreach (var name in new[] { "portal", "payroll", "ihris-adapter", "fineract-adapter", "odk-adapter" })
        {
            var environment = await model.EnvironmentAsync(model.Resource(name));
            var key = Assert.IsType<ParameterResource>(environment["Suite__Identity__SigningKey"]);
            Assert.Equal("suite-signing-key", key.Name);
            Assert.True(key.Secret);
        }
    }

    [Fact]
    public async Task Every_suite_service_counts_dates_in_the_one_ministry_time_zone()
    {
        await using var model = await AppModel.CreateAsync("sandbox");
        foreach (var name in new[] { "portal", "payroll", "ihris-adapter", "fineract-adapter", "odk-adapter" })
        {
            var environment = await model.EnvironmentAsync(model.Resource(name));
            Assert.Equal("ministry-time-zone", Assert.IsType<ParameterResource>(environment["Suite__TimeZone"]).Name);
        }
        Assert.Equal("UTC", await Assert.IsType<ParameterResource>(model.Resource("ministry-time-zone")).GetValueAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Once_deployed_the_portal_takes_the_clients_address_from_the_ingress_and_only_then(bool publish)
    {
        // Aspire sets ASP.NET Core's switch on every project it publishes; the portal's sign-in limits rely on it to count
        // people rather than the platform's ingress, and on its absence locally, where nothing forwards.
        await using var model = await AppModel.CreateAsync("full", publish);
        var environment = await model.EnvironmentAsync(model.Resource("portal"));
        Assert.Equal(publish, environment.TryGetValue("ASPNETCORE_FORWARDEDHEADERS_ENABLED", out var enabled) && "true".Equals(enabled));
    }
}
