using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;

namespace OneClickSuite.AppHost.Sandbox;

/// <summary>RabbitMQ from the machine's own packages, run by <c>rabbitmq.sh</c> as an executable resource.</summary>
public sealed class SandboxRabbitMqResource(string name, string workingDirectory, ParameterResource userName, ParameterResource password)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public const string AmqpEndpointName = "tcp";
    public const string ManagementEndpointName = "management";

    public ParameterResource UserName { get; } = userName;
    public ParameterResource Password { get; } = password;

    public EndpointReference PrimaryEndpoint => new(this, AmqpEndpointName);

    /// <summary>The same amqp:// form as Aspire's RabbitMQ integration, so services read it identically in every mode.</summary>
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{UserName:uri}:{Password:uri}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}

public static class SandboxRabbitMqExtensions
{
    public static IResourceBuilder<SandboxRabbitMqResource> AddSandboxRabbitMq(
        this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ParameterResource> userName, IResourceBuilder<ParameterResource> password, string stateDirectory)
    {
        var sandboxDirectory = Path.Combine(builder.AppHostDirectory, "Sandbox");
        var resource = new SandboxRabbitMqResource(name, sandboxDirectory, userName.Resource, password.Resource);

        var healthCheckKey = $"{name}_ready";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheckKey, async cancellationToken =>
        {
            try
            {
                var uri = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
                var factory = new ConnectionFactory { Uri = new Uri(uri!), RequestedConnectionTimeout = TimeSpan.FromSeconds(3) };
                await using var connection = await factory.CreateConnectionAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("RabbitMQ does not accept AMQP connections yet", ex);
            }
        });

        return builder.AddResource(resource)
            .WithArgs(Path.Combine(sandboxDirectory, "rabbitmq.sh"))
            .WithEndpoint(name: SandboxRabbitMqResource.AmqpEndpointName, scheme: "tcp", env: "RABBITMQ_NODE_PORT")
            // Erlang's own ports, allocated by the orchestrator too so that nothing else is handed the same port.
            .WithEndpoint(name: "distribution", scheme: "tcp", env: "RABBITMQ_DIST_PORT", isProxied: false)
            .WithEndpoint(name: "epmd", scheme: "tcp", env: "ERL_EPMD_PORT", isProxied: false)
            .WithHttpEndpoint(name: SandboxRabbitMqResource.ManagementEndpointName, env: "RABBITMQ_MANAGEMENT_PORT")
            .WithUrlForEndpoint(SandboxRabbitMqResource.ManagementEndpointName, url => url.DisplayText = "RabbitMQ")
            .WithEnvironment("RABBITMQ_BASE", Path.Combine(stateDirectory, "rabbitmq"))
            .WithEnvironment("RABBITMQ_USER", userName)
            .WithEnvironment("RABBITMQ_PASSWORD", password)
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Mail")
            .ExcludeFromManifest();
    }
}
