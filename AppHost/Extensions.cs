using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OneClickSuite.AppHost;

/// <summary>
/// One upstream system as the rest of the graph sees it, whichever way it runs (a container, an emulator, or a
/// ministry's existing server). The suite's services read the same configuration section (<c>Fineract</c>, <c>Odk</c>,
/// <c>Ihris</c>) in every mode; only the values differ.
/// </summary>
public sealed record UpstreamSystem(
    string ConfigurationSection,
    IResourceBuilder<IResource> Resource,
    IReadOnlyList<(string Key, ReferenceExpression Value)> Settings)
{
    /// <summary>One-shots that must have finished before anyone signs in (ODK Central's administrator).</summary>
    public IReadOnlyList<IResourceBuilder<IResource>> Setup { get; init; } = [];

    /// <summary>Settings only bootstrap needs: upstream default passwords it replaces, whether to load demo data.</summary>
    public IReadOnlyList<(string Key, ReferenceExpression Value)> BootstrapSettings { get; init; } = [];

    /// <summary>Settings only the system's own adapter needs (the programme's account at a payment provider).</summary>
    public IReadOnlyList<(string Key, ReferenceExpression Value)> AdapterSettings { get; init; } = [];

    /// <summary>Where a person opens the system (the portal links there); its own web app where it has one.</summary>
    public required ReferenceExpression UserInterface { get; init; }

    /// <summary>Who to sign in as, in words the portal can show.</summary>
    public required string SignIn { get; init; }
}

public static class SuiteExtensions
{
    /// <summary>Points a suite service at an upstream system and starts it once the system is ready.</summary>
    public static IResourceBuilder<T> WithUpstream<T>(this IResourceBuilder<T> service, UpstreamSystem upstream)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        foreach (var (key, value) in upstream.Settings)
        {
            service.WithEnvironment($"{upstream.ConfigurationSection}__{key}", value);
        }
        foreach (var setup in upstream.Setup) service.WaitForCompletion(setup);
        return service.WaitFor(upstream.Resource);
    }

    /// <summary>The system's own adapter: everything a service gets, and the settings only it needs.</summary>
    public static IResourceBuilder<IDotNetService> WithUpstreamToAdapt(this IResourceBuilder<IDotNetService> adapter, UpstreamSystem upstream)
    {
        foreach (var (key, value) in upstream.AdapterSettings) adapter.WithEnvironment(key, value);
        return adapter.WithUpstream(upstream);
    }

    /// <summary>Bootstrap: everything a service gets, and what only seeding needs.</summary>
    public static IResourceBuilder<IDotNetService> WithUpstreamToSeed(this IResourceBuilder<IDotNetService> bootstrap, UpstreamSystem upstream)
    {
        foreach (var (key, value) in upstream.BootstrapSettings) bootstrap.WithEnvironment($"Bootstrap__{key}", value);
        return bootstrap.WithUpstream(upstream);
    }

    /// <summary>
    /// A suite service (an adapter, an emulator, the portal): one HTTP endpoint whose port the orchestrator picks,
    /// and readiness through ServiceDefaults' <c>/health</c>.
    /// </summary>
    public static IResourceBuilder<IDotNetService> AddSuiteService<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddDotNetService<TProject>(name)
            .WithServiceHttpEndpoint()
            .WithHttpHealthCheck("/health", endpointName: "http");

    /// <summary>
    /// A service of the suite: its tables in the suite database, its messages through RabbitMQ, started once the
    /// databases exist and bootstrap has seeded the upstream systems it relies on.
    /// </summary>
    public static IResourceBuilder<IDotNetService> WithSuiteState(this IResourceBuilder<IDotNetService> service,
        SuiteInfrastructure infra, IResourceBuilder<IDotNetService> bootstrap) =>
        service.WithSuiteDatabase(infra)
            .WithSuiteIdentity(infra)
            .WithEnvironment("ConnectionStrings__rabbitmq", infra.BrokerConnectionString(service.Resource.Name))
            .WithReferenceRelationship(infra.Messaging.Resource)
            .WaitFor(infra.Messaging)
            .WaitForCompletion(bootstrap);

    /// <summary>
    /// The key to sign or verify who is acting between the suite's services, and the ministry's calendar they all
    /// count dates in.
    /// </summary>
    public static IResourceBuilder<IDotNetService> WithSuiteIdentity(this IResourceBuilder<IDotNetService> service, SuiteInfrastructure infra) =>
        service.WithEnvironment("Suite__Identity__SigningKey", infra.SigningKey)
            .WithEnvironment("Suite__TimeZone", infra.TimeZone);

    /// <summary>
    /// The suite database as this service's own role (owning its schema and nothing else), with the pool it may use
    /// (<see cref="ConnectionBudget.SuiteService"/>).
    /// </summary>
    public static IResourceBuilder<IDotNetService> WithSuiteDatabase(this IResourceBuilder<IDotNetService> service, SuiteInfrastructure infra) =>
        service.WithEnvironment("ConnectionStrings__suite-db", infra.ServiceConnectionString(service.Resource.Name, ConnectionBudget.SuiteService))
            .WithReferenceRelationship(infra.Database(SuiteDatabases.Suite).Resource)
            .WaitForCompletion(infra.DatabaseSetup);

    /// <summary>
    /// A one-shot program (setup, seeding): runs to completion; others WaitForCompletion on it. Once deployed it stays up
    /// after succeeding (<c>OneShot:StayUp</c>): Container Apps restart every container that exits, even with 0.
    /// </summary>
    public static IResourceBuilder<IDotNetService> AddOneShot<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddDotNetService<TProject>(name)
            .WithEnvironment("OneShot__StayUp", builder.ExecutionContext.IsPublishMode ? "true" : "false");

    /// <summary>
    /// Readiness of a server that speaks no HTTP we may probe: its port accepts a connection. (pyxform-http recycles a
    /// worker on every HTTP request, so an HTTP probe would keep restarting it.)
    /// </summary>
    public static IResourceBuilder<T> WithTcpHealthCheck<T>(this IResourceBuilder<T> resource, string endpointName)
        where T : IResourceWithEndpoints
    {
        var endpoint = resource.Resource.GetEndpoint(endpointName);
        var key = $"{resource.Resource.Name}_{endpointName}_tcp";
        resource.ApplicationBuilder.Services.AddHealthChecks().AddAsyncCheck(key, async cancellationToken =>
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy($"{resource.Resource.Name} does not accept connections on {endpointName}", ex);
            }
        });
        return resource.WithHealthCheck(key);
    }

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
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy("Redis did not answer PONG");
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy("Redis is not reachable", ex);
            }
        });
        return redis.WithHealthCheck(key);
    }

    /// <summary>
    /// Readiness of a system a ministry already runs, at <paramref name="relativePath"/> below the URL a parameter
    /// holds (with or without a trailing slash, as people type them).
    /// </summary>
    public static IResourceBuilder<ExternalServiceResource> WithParameterUrlHealthCheck(this IResourceBuilder<ExternalServiceResource> service,
        IResourceBuilder<ParameterResource> url, string relativePath)
    {
        var key = $"{service.Resource.Name}_{relativePath}_check";
        service.ApplicationBuilder.Services.AddHttpClient(key, http => http.Timeout = TimeSpan.FromSeconds(10));
        service.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, services =>
            new UrlBelowParameterHealthCheck(url.Resource, relativePath, services.GetRequiredService<IHttpClientFactory>().CreateClient(key)),
            failureStatus: null, tags: null));
        return service.WithHealthCheck(key);
    }

    private sealed class UrlBelowParameterHealthCheck(ParameterResource url, string relativePath, HttpClient http) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var target = Below(await url.GetValueAsync(cancellationToken) ?? "", relativePath);
            try
            {
                using var response = await http.GetAsync(target, cancellationToken);
                return response.IsSuccessStatusCode
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy($"{target} answered {(int)response.StatusCode}");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy($"{target} did not answer", ex);
            }
        }
    }

    /// <summary><paramref name="relativePath"/> below <paramref name="baseUrl"/>, whether or not it ends with a slash.</summary>
    public static string Below(string baseUrl, string relativePath) => baseUrl.TrimEnd('/') + "/" + relativePath.TrimStart('/');

    public static ReferenceExpression Expression(string value) => ReferenceExpression.Create($"{value}");

    public static ReferenceExpression Expression(IResourceBuilder<ParameterResource> parameter) =>
        ReferenceExpression.Create($"{parameter.Resource}");

    public static ReferenceExpression Expression(EndpointReference endpoint) => ReferenceExpression.Create($"{endpoint}");
}
