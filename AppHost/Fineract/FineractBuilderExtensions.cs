namespace OneClickSuite.AppHost.Fineract;

public static class FineractBuilderExtensions
{
    /// <summary>Fineract on plain HTTP 8080 over PostgreSQL, reached only inside the graph (people use the Mifos X web app).</summary>
    public static IResourceBuilder<FineractResource> AddFineract(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<PostgresServerResource> postgres, IResourceBuilder<ParameterResource> databasePassword,
        IResourceBuilder<ParameterResource> masterPassword)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var db = postgres.Resource.PrimaryEndpoint;
        var host = db.Property(EndpointProperty.Host);
        var port = db.Property(EndpointProperty.Port);

        // Every variable from apache/fineract config/docker/env/*.env and application.properties (upstreams.md).
        return builder.AddResource(new FineractResource(name))
            .WithImage(FineractContainerImageTags.Image, FineractContainerImageTags.Tag)
            .WithImageRegistry(FineractContainerImageTags.Registry)
            .WithHttpEndpoint(targetPort: FineractResource.HttpPort, name: FineractResource.HttpEndpointName)
            // The default driver is MariaDB's; upstream's kubernetes sample misspells this variable.
            .WithEnvironment("FINERACT_HIKARI_DRIVER_SOURCE_CLASS_NAME", "org.postgresql.Driver")
            .WithEnvironment("FINERACT_HIKARI_JDBC_URL", ReferenceExpression.Create($"jdbc:postgresql://{host}:{port}/fineract_tenants"))
            .WithEnvironment("FINERACT_HIKARI_USERNAME", "fineract")
            .WithEnvironment("FINERACT_HIKARI_PASSWORD", databasePassword)
            // Pools (ConnectionBudget): the tenant store's (application.properties spring.datasource.hikari.*, default 10,
            // also the size of Liquibase's per-tenant migration pool) and every tenant's (fineract.tenant.config.*-pool-size,
            // which overrides tenant_server_connections.pool_max_active, default 40).
            .WithEnvironment("FINERACT_HIKARI_MAXIMUM_POOL_SIZE", ConnectionBudget.FineractTenantStorePool.ToString())
            .WithEnvironment("FINERACT_HIKARI_MINIMUM_IDLE", "1")
            .WithEnvironment("FINERACT_CONFIG_MAX_POOL_SIZE", ConnectionBudget.FineractTenantPool.ToString())
            .WithEnvironment("FINERACT_CONFIG_MIN_POOL_SIZE", "2")
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

    /// <summary>
    /// The Mifos X web app, with Fineract's API proxied under its own origin (as Mifos Gazelle serves them), so the
    /// browser needs no second address and mixes no schemes: behind the platform's TLS, both are HTTPS. The image
    /// serves nginx's stock site and no proxy (openMF/web-app Dockerfile), so it gets a site of ours.
    /// </summary>
    public static IResourceBuilder<MifosWebAppResource> AddMifosWebApp(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<FineractResource> fineract)
    {
        return builder.AddResource(new MifosWebAppResource(name))
            .WithImage(FineractContainerImageTags.WebAppImage, FineractContainerImageTags.WebAppTag)
            .WithImageRegistry(FineractContainerImageTags.Registry)
            // The image's own command, after our site: env.js from the FINERACT_* variables (envsubst), then nginx.
            .WithEntrypoint("/bin/sh")
            .WithArgs("-c", NginxSite.InstallCommand("default.conf") +
                " && envsubst < /usr/share/nginx/html/assets/env.template.js > /usr/share/nginx/html/assets/env.js" +
                " && exec nginx -g 'daemon off;'")
            .WithNginxSite(SiteConfiguration, ReferenceExpression.Create($"{fineract.Resource.HttpEndpoint.Property(EndpointProperty.Url)}"))
            .WithHttpEndpoint(targetPort: 80, name: MifosWebAppResource.HttpEndpointName)
            .WithExternalHttpEndpoints()
            // FINERACT_API_URL(S) stay unset: the app then calls window.location.origin (environment.prod.ts baseApiUrl).
            .WithEnvironment("FINERACT_API_PROVIDER", FineractResource.ContextPath + "/api")
            .WithEnvironment("FINERACT_API_VERSION", "/v1")
            .WithEnvironment("FINERACT_PLATFORM_TENANT_IDENTIFIER", FineractResource.Tenant)
            .WithEnvironment("MIFOS_DEFAULT_LANGUAGE", "en-US")
            // MIFOS_OAUTH_SERVER_ENABLED stays unset too: the app reads any non-empty string, "false" included, as true.
            .WithHttpHealthCheck("/", endpointName: MifosWebAppResource.HttpEndpointName)
            .WithUrlForEndpoint(MifosWebAppResource.HttpEndpointName, url =>
                url.DisplayText = $"Mifos X (user {FineractResource.AdminUser}, password: parameter fineract-password)")
            .WithReferenceRelationship(fineract.Resource)
            .WaitFor(fineract)
            .WithIconName("Globe");
    }

    /// <summary>The web app's files, and Fineract's API under the same origin.</summary>
    internal const string SiteConfiguration = """
        server {
          listen 80 default_server;
          server_name _;
          root /usr/share/nginx/html;
          location /fineract-provider/ {
            proxy_pass @UPSTREAM@;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 300s;
          }
          location / {
            try_files $uri $uri/ /index.html;
          }
        }
        """;
}
