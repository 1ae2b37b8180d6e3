namespace OneClickSuite.AppHost.Fineract;

public static class FineractBuilderExtensions
{
    /// <summary>
    /// Fineract on plain HTTP 8080 over PostgreSQL. Its API port is fixed on the host because the Mifos X web app
    /// runs in the browser and must reach Fineract from there.
    /// </summary>
    public static IResourceBuilder<FineractResource> AddFineract(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<PostgresServerResource> postgres, IResourceBuilder<ParameterResource> databasePassword,
        IResourceBuilder<ParameterResource> masterPassword, int hostPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var db = postgres.Resource.PrimaryEndpoint;
        var host = db.Property(EndpointProperty.Host);
        var port = db.Property(EndpointProperty.Port);

        // Every variable from apache/fineract config/docker/env/*.env and application.properties (upstreams.md).
        return builder.AddResource(new FineractResource(name))
            .WithImage(FineractContainerImageTags.Image, FineractContainerImageTags.Tag)
            .WithImageRegistry(FineractContainerImageTags.Registry)
            .WithHttpEndpoint(port: hostPort, targetPort: FineractResource.HttpPort, name: FineractResource.HttpEndpointName)
            // The default driver is MariaDB's; upstream's kubernetes sample misspells this variable.
            .WithEnvironment("FINERACT_HIKARI_DRIVER_SOURCE_CLASS_NAME", "org.postgresql.Driver")
            .WithEnvironment("FINERACT_HIKARI_JDBC_URL", ReferenceExpression.Create($"jdbc:postgresql://{host}:{port}/fineract_tenants"))
            .WithEnvironment("FINERACT_HIKARI_USERNAME", "fineract")
            .WithEnvironment("FINERACT_HIKARI_PASSWORD", databasePassword)
            .WithEnvironment("FINERACT_DEFAULT_TENANTDB_HOSTNAME", ReferenceExpression.Create($"{host}"))
            // Upstream defaults this to MariaDB's 3306.
            .WithEnvironment("FINERACT_DEFAULT_TENANTDB_PORT", ReferenceExpression.Create($"{port}"))
            .WithEnvironment("FINERACT_DEFAULT_TENANTDB_UID", "fineract")
            .WithEnvironment("FINERACT_DEFAULT_TENANTDB_PWD", databasePassword)
            .WithEnvironment("FINERACT_DEFAULT_TENANTDB_NAME", "fineract_default")
            .WithEnvironment("FINERACT_DEFAULT_TENANTDB_IDENTIFIER", FineractResource.Tenant)
            .WithEnvironment("FINERACT_DEFAULT_TENANTDB_TIMEZONE", "UTC")
            .WithEnvironment("FINERACT_DEFAULT_TENANTDB_CONN_PARAMS", "")
            .WithEnvironment("FINERACT_DEFAULT_TENANTDB_MASTER_PASSWORD", masterPassword)
            .WithEnvironment("FINERACT_NODE_ID", "1")
            .WithEnvironment("FINERACT_SERVER_SSL_ENABLED", "false")
            .WithEnvironment("FINERACT_SERVER_PORT", FineractResource.HttpPort.ToString())
            .WithEnvironment("FINERACT_SERVER_SERVLET_CONTEXT_PATH", FineractResource.ContextPath)
            // Fits a 2 GiB container: 1 GiB heap (upstream's figure) plus metaspace and threads.
            .WithEnvironment("JAVA_TOOL_OPTIONS", "-Xms512m -Xmx1g -XX:MaxMetaspaceSize=384m -XX:+UseG1GC")
            // First boot runs Liquibase for minutes (Gazelle measured 171 s, allows 600 s); WaitFor has no time limit.
            .WithHttpHealthCheck(FineractResource.HealthPath, endpointName: FineractResource.HttpEndpointName)
            .WithUrlForEndpoint(FineractResource.HttpEndpointName, url =>
            {
                url.DisplayText = "Fineract API health";
                url.Url = FineractResource.HealthPath;
            })
            .WithIconName("BuildingBank");
    }

    /// <summary>The Mifos X web app, pointed at a Fineract URL that the browser can reach.</summary>
    public static IResourceBuilder<MifosWebAppResource> AddMifosWebApp(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<FineractResource> fineract, int fineractHostPort)
    {
        // In run mode the browser reaches Fineract on its fixed host port; once deployed, on its public ingress URL.
        ReferenceExpression browserUrl = builder.ExecutionContext.IsPublishMode
            ? ReferenceExpression.Create($"{fineract.Resource.HttpEndpoint.Property(EndpointProperty.Url)}")
            : ReferenceExpression.Create($"http://localhost:{fineractHostPort.ToString()}");

        return builder.AddResource(new MifosWebAppResource(name))
            .WithImage(FineractContainerImageTags.WebAppImage, FineractContainerImageTags.WebAppTag)
            .WithImageRegistry(FineractContainerImageTags.Registry)
            .WithHttpEndpoint(targetPort: 80, name: MifosWebAppResource.HttpEndpointName)
            .WithExternalHttpEndpoints()
            .WithEnvironment("FINERACT_API_URLS", browserUrl)
            .WithEnvironment("FINERACT_API_URL", browserUrl)
            .WithEnvironment("FINERACT_API_PROVIDER", FineractResource.ContextPath + "/api")
            .WithEnvironment("FINERACT_API_VERSION", "/v1")
            .WithEnvironment("FINERACT_PLATFORM_TENANT_IDENTIFIER", FineractResource.Tenant)
            .WithEnvironment("MIFOS_DEFAULT_LANGUAGE", "en-US")
            .WithHttpHealthCheck("/", endpointName: MifosWebAppResource.HttpEndpointName)
            .WithUrlForEndpoint(MifosWebAppResource.HttpEndpointName, url =>
                url.DisplayText = $"Mifos X (user {FineractResource.AdminUser}, password: parameter fineract-password)")
            .WithReference(fineract)
            .WaitFor(fineract)
            .WithIconName("Globe");
    }
}
