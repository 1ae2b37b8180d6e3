using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OneClickSuite.DatabaseSetup;

// One-shot: creates the suite's databases and roles with what each owner needs, and each service's broker user, then exits.
// Safe to run again.
var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
using var host = builder.Build();

var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OneClickSuite.DatabaseSetup");
var serverConnectionString = builder.Configuration.GetConnectionString("postgres")
    ?? throw new InvalidOperationException("ConnectionStrings:postgres is not set");
var databases = builder.Configuration.GetSection("Setup:Databases").Get<List<DatabaseSpec>>() ?? [];
var broker = builder.Configuration.GetSection("Setup:Broker").Get<BrokerSpec>() ?? new BrokerSpec();

try
{
    await DatabaseProvisioner.ProvisionAsync(serverConnectionString, databases, logger, CancellationToken.None);
    logger.LogInformation("All {Count} databases ready", databases.Count);
    await BrokerProvisioner.ProvisionAsync(broker, logger, CancellationToken.None);
    return await OneShot.FinishAsync(host, 0);
}
catch (Exception ex)
{
    logger.LogCritical(ex, "Database setup failed");
    return 1;
}
