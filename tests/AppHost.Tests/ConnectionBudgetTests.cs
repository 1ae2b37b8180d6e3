using OneClickSuite.AppHost;

namespace OneClickSuite.AppHost.Tests;

/// <summary>One PostgreSQL serves everything: each system's pool is set from <see cref="ConnectionBudget"/> and the server allows their sum.</summary>
public class ConnectionBudgetTests
{
    [Theory]
    [InlineData(SuiteMode.Full)]
    [InlineData(SuiteMode.Sandbox)]
    [InlineData(SuiteMode.External)]
    public void The_server_allows_more_than_every_system_together(SuiteMode mode) =>
        Assert.True(ConnectionBudget.ServerLimit(mode) >= ConnectionBudget.Sum(mode) + ConnectionBudget.Reserved,
            $"{mode}: max_connections {ConnectionBudget.ServerLimit(mode)} < {ConnectionBudget.Sum(mode)} + {ConnectionBudget.Reserved}");

    [Fact]
    public async Task Full_mode_configures_every_system_that_connects_with_its_share()
    {
        await using var model = await AppModel.CreateAsync("full");
        var postgres = model.Resource("postgres");
        Assert.Contains($"max_connections={ConnectionBudget.ServerLimit(SuiteMode.Full)}", Integration.Args(postgres));

        var fineract = await model.EnvironmentAsync(model.Resource("fineract"));
        Assert.Equal(ConnectionBudget.FineractTenantStorePool.ToString(), fineract["FINERACT_HIKARI_MAXIMUM_POOL_SIZE"]);
        Assert.Equal(ConnectionBudget.FineractTenantPool.ToString(), fineract["FINERACT_CONFIG_MAX_POOL_SIZE"]);
        Assert.Equal(ConnectionBudget.OdkPoolPerWorker.ToString(), (await model.EnvironmentAsync(model.Resource("service")))["DB_POOL_SIZE"]);
        Assert.Equal(ConnectionBudget.Hapi.ToString(), (await model.EnvironmentAsync(model.Resource("fhir")))["spring.datasource.hikari.maximum-pool-size"]);

        // The payment providers' emulators, which stand in for them on an evaluator's machine even in full mode, with theirs.
        string[] emulators = ["mobile-money", "payment-hub"];
        foreach (var emulator in emulators)
        {
            var database = (await model.EnvironmentAsync(model.Resource(emulator))).Single(kv => kv.Key.StartsWith("ConnectionStrings__"));
            Assert.Contains($"Maximum Pool Size={ConnectionBudget.Emulator}", Integration.Manifest(database.Value));
        }
        Assert.True(emulators.Length <= ConnectionBudget.FullModeEmulators);

        // Every other resource that reaches PostgreSQL is one of the budget's suite services, with its pool size.
        string[] budgeted = ["fineract", "service", "odk-central-admin", "fhir", "db-setup", .. emulators];
        var services = 0;
        foreach (var resource in model.Resources.OfType<IResourceWithEnvironment>().Where(r => !budgeted.Contains(r.Name)))
        {
            var environment = await model.EnvironmentAsync(resource);
            var database = environment.Where(kv => kv.Key.StartsWith("ConnectionStrings__") && kv.Key != "ConnectionStrings__rabbitmq"
                                                   || kv.Key.StartsWith("PG") || kv.Key.Contains("datasource")).ToList();
            if (database.Count == 0) continue;
            services++;
            foreach (var (key, value) in database)
                Assert.Contains($"Maximum Pool Size={ConnectionBudget.SuiteService}", Integration.Manifest(value));
        }
        Assert.Equal(ConnectionBudget.SuiteServices, services);
    }

    [Fact]
    public async Task Each_upstream_systems_database_role_is_capped_at_its_share()
    {
        await using var model = await AppModel.CreateAsync("full");
        var environment = await model.EnvironmentAsync(model.Resource("db-setup"));
        var limits = environment.Where(kv => kv.Key.EndsWith("__OwnerConnectionLimit"))
            .GroupBy(kv => (string)environment[kv.Key.Replace("OwnerConnectionLimit", "Owner")])
            .ToDictionary(g => g.Key, g => (string)g.Select(kv => kv.Value).Distinct().Single());
        Assert.Equal(ConnectionBudget.Fineract.ToString(), limits["fineract"]);
        Assert.Equal(ConnectionBudget.Odk.ToString(), limits["odk"]);
        Assert.Equal(ConnectionBudget.Hapi.ToString(), limits["hapi"]);
    }
}
