namespace OneClickSuite.AppHost.Tests;

/// <summary>The sandbox's emulators open on their own pages, which link a worker's records across the three.</summary>
public class EmulatorLinkTests
{
    private static readonly (string Resource, string Key)[] Emulators = [("ihris", "Ihris"), ("odk-central", "Odk"), ("fineract", "Fineract")];

    [Fact]
    public async Task Each_emulator_knows_the_root_urls_of_the_other_two()
    {
        await using var model = await AppModel.CreateAsync("sandbox");
        foreach (var (resource, key) in Emulators)
        {
            var environment = await model.EnvironmentAsync(model.Resource(resource));
            Assert.False(environment.ContainsKey($"Emulator__Links__{key}"), $"{resource} links to itself");
            foreach (var (other, otherKey) in Emulators.Where(e => e.Resource != resource))
            {
                Assert.True(environment.TryGetValue($"Emulator__Links__{otherKey}", out var value), $"{resource} has no link to {other}");
                Assert.Equal($"{{{other}.bindings.http.url}}", Assert.IsAssignableFrom<IManifestExpressionProvider>(value).ValueExpression);
            }
        }
    }

    [Fact]
    public async Task The_portal_opens_the_emulators_at_their_root_page()
    {
        await using var model = await AppModel.CreateAsync("sandbox");
        var portal = await model.EnvironmentAsync(model.Resource("portal"));
        foreach (var (resource, key) in Emulators)
        {
            // The portal's Overview links to the http endpoint itself: the emulator's page at "/".
            Assert.Equal($"{{{resource}.bindings.http.url}}", Assert.IsAssignableFrom<IManifestExpressionProvider>(portal[$"Portal__Links__{key}"]).ValueExpression);
        }
    }

    /// <summary>
    /// Beside real systems, nothing links to an emulator of Fineract, ODK Central or iHRIS. A full graph on an evaluator's
    /// machine still runs the payment providers' emulators (no provider publishes an image), which link to each other only.
    /// </summary>
    [Theory]
    [InlineData("full")]
    [InlineData("external")]
    public async Task Only_the_sandbox_has_emulator_links(string mode)
    {
        await using var model = await AppModel.CreateAsync(mode);
        string[] providers = ["mobile-money", "payment-hub"];
        foreach (var resource in model.Resources)
        {
            var environment = await model.EnvironmentAsync(resource);
            var links = environment.Keys.Where(k => k.StartsWith("Emulator__Links__", StringComparison.Ordinal)).ToList();
            if (providers.Contains(resource.Name))
                Assert.All(links, k => Assert.True(k is "Emulator__Links__MobileMoney" or "Emulator__Links__PaymentHub", $"{resource.Name}: {k}"));
            else
                Assert.Empty(links);
        }
    }

    /// <summary>
    /// Where evaluators run the suite, the Payment Hub emulator asks the hub adapter to authorize every batch, as a
    /// ministry's Payment Hub is configured to ask it (its mock-payment-schema contact point); beside a ministry's own
    /// Payment Hub nothing in the graph sets that.
    /// </summary>
    [Theory]
    [InlineData("sandbox", true)]
    [InlineData("full", true)]
    [InlineData("external", false)]
    public async Task The_payment_hub_emulator_asks_the_hub_adapter_to_authorize_batches(string mode, bool emulated)
    {
        await using var model = await AppModel.CreateAsync(mode);
        var hub = model.Resource("payment-hub");
        Assert.Equal(emulated, hub is IResourceWithEnvironment && hub is not ExternalServiceResource);
        if (!emulated) return;
        var environment = await model.EnvironmentAsync(hub);
        var url = Assert.IsType<EndpointReference>(environment["PaymentHub__Authorization__Url"]);
        Assert.Equal("payment-hub-adapter", url.Resource.Name);
        Assert.Equal("http", url.EndpointName);
    }
}
