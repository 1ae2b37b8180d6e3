using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace OneClickSuite.AppHost.Sandbox;

/// <summary>PostgreSQL from the machine's own packages, run by <c>postgres.sh</c> as an executable resource.</summary>
public sealed class SandboxPostgresResource(string name, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public ParameterResource Password { get; } = password;

    public EndpointReference PrimaryEndpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username=postgres;Password={Password}");
}

public static class SandboxPostgresExtensions
{
    /// <summary>One-shot: installs PostgreSQL and RabbitMQ from the distribution's packages where they are missing.</summary>
    public static IResourceBuilder<ExecutableResource> AddSandboxPrerequisites(this IDistributedApplicationBuilder builder, string name)
    {
        var sandboxDirectory = Path.Combine(builder.AppHostDirectory, "Sandbox");
        return builder.AddExecutable(name, "bash", sandboxDirectory, Path.Combine(sandboxDirectory, "install-prereqs.sh"))
            .WithIconName("ArrowDownload")
            .ExcludeFromManifest();
    }

    public static IResourceBuilder<SandboxPostgresResource> AddSandboxPostgres(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password, string stateDirectory,
        int maxConnections)
    {
        var sandboxDirectory = Path.Combine(builder.AppHostDirectory, "Sandbox");
        var resource = new SandboxPostgresResource(name, sandboxDirectory, password.Resource);

        var healthCheckKey = $"{name}_ready";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheckKey, async cancellationToken =>
        {
            try
            {
                var connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
                await using var connection = new NpgsqlConnection(connectionString + ";Timeout=3;Pooling=false");
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL does not accept connections yet", ex);
            }
        });

        return builder.AddResource(resource)
            .WithArgs(Path.Combine(sandboxDirectory, "postgres.sh"))
            .WithEndpoint(name: SandboxPostgresResource.EndpointName, scheme: "tcp", env: "PGPORT")
            .WithEnvironment("PGDATA", Path.Combine(stateDirectory, "postgres"))
            .WithEnvironment("POSTGRES_PASSWORD", password)
            .WithEnvironment("POSTGRES_MAX_CONNECTIONS", maxConnections.ToString())
            // The sandbox's data fits many times over; the machine's page cache holds the rest. Every touched buffer is
            // memory the evaluator's laptop gives up.
            .WithEnvironment("POSTGRES_SHARED_BUFFERS", "64MB")
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Database")
            .ExcludeFromManifest();
    }
}
