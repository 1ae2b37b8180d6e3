namespace OneClickSuite.AppHost;

/// <summary>
/// How the suite's services reach one upstream system. It is the same contract in every mode: a configuration
/// section (<c>Fineract</c>, <c>Odk</c>, <c>Ihris</c>) with <c>BaseUrl</c> and the credentials; only where it points
/// differs (a container, an emulator, or a ministry's existing server).
/// </summary>
public sealed record UpstreamSystem(
    string ConfigurationSection,
    IResourceBuilder<IResource> Resource,
    ReferenceExpression BaseUrl,
    IReadOnlyList<(string Key, ReferenceExpression Value)> Credentials);

public static class SuiteExtensions
{
    public static IResourceBuilder<T> WithUpstream<T>(this IResourceBuilder<T> service, UpstreamSystem upstream)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        service.WithEnvironment($"{upstream.ConfigurationSection}__BaseUrl", upstream.BaseUrl);
        foreach (var (key, value) in upstream.Credentials)
        {
            service.WithEnvironment($"{upstream.ConfigurationSection}__{key}", value);
        }
        return service.WaitFor(upstream.Resource);
    }

    /// <summary>
    /// A suite service (an adapter, an emulator, the portal): one HTTP endpoint whose port the orchestrator picks,
    /// and readiness through ServiceDefaults' <c>/health</c>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddSuiteService<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name, options => options.ExcludeLaunchProfile = true)
            .WithHttpEndpoint(name: "http")
            .WithHttpHealthCheck("/health", endpointName: "http");

    /// <summary>
    /// A service of the suite: its tables in the suite database, its messages through RabbitMQ, started once the
    /// databases exist and bootstrap has seeded the upstream systems it relies on.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSuiteState(this IResourceBuilder<ProjectResource> service,
        SuiteInfrastructure infra, IResourceBuilder<ProjectResource> bootstrap) =>
        service.WithReference(infra.Database(SuiteDatabases.Suite), "suite-db")
            .WithReference(infra.Messaging, "rabbitmq")
            .WaitForCompletion(infra.DatabaseSetup)
            .WaitFor(infra.Messaging)
            .WaitForCompletion(bootstrap);

    /// <summary>A one-shot program (setup, seeding): runs to completion; others WaitForCompletion on it.</summary>
    public static IResourceBuilder<ProjectResource> AddOneShot<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name, options => options.ExcludeLaunchProfile = true);

    /// <summary>Readiness of a Redis container: it answers PING with PONG.</summary>
    public static IResourceBuilder<ContainerResource> WithRedisPingHealthCheck(this IResourceBuilder<ContainerResource> redis, string endpointName)
    {
        var endpoint = redis.GetEndpoint(endpointName);
        var key = $"{redis.Resource.Name}_ping";
        redis.ApplicationBuilder.Services.AddHealthChecks().AddAsyncCheck(key, async cancellationToken =>
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
                var buffer = new byte[16];
                var read = await stream.ReadAsync(buffer, cancellationToken);
                return System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG")
                    ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
                    : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("Redis did not answer PONG");
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or InvalidOperationException)
            {
                return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("Redis is not reachable", ex);
            }
        });
        return redis.WithHealthCheck(key);
    }

    public static ReferenceExpression Expression(string value) => ReferenceExpression.Create($"{value}");

    public static ReferenceExpression Expression(IResourceBuilder<ParameterResource> parameter) =>
        ReferenceExpression.Create($"{parameter.Resource}");
}
