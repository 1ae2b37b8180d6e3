namespace OneClickSuite.AppHost.Odk;

public static class OdkCentralBuilderExtensions
{
    /// <summary>Central's own health signal: anonymous, and it touches the database since v2026.1 (upstreams.md).</summary>
    public const string HealthPath = "/v1/config/public";

    /// <summary>
    /// ODK Central from its published images: <c>service</c> (API), <c>pyxform</c> (XLSForm conversion), a one-shot that
    /// creates the administrator, and the front end. Enketo is not wired: see README ("ODK Central without Enketo").
    /// </summary>
    public static IResourceBuilder<OdkCentralResource> AddOdkCentral(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<PostgresServerResource> postgres, IResourceBuilder<ParameterResource> databasePassword,
        IResourceBuilder<ParameterResource> adminEmail, IResourceBuilder<ParameterResource> adminPassword,
        IResourceBuilder<IResource> databaseSetup)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        // central-service hard-codes the converter at pyxform:80 (config.json.template).
        var pyxform = builder.AddContainer("pyxform", OdkContainerImageTags.PyxformImage, OdkContainerImageTags.PyxformTag)
            .WithImageRegistry(OdkContainerImageTags.Registry)
            .WithHttpEndpoint(targetPort: 80, name: "http")
            .WithHttpHealthCheck("/", endpointName: "http")
            .WithIconName("DocumentTable");

        var service = builder.AddResource(new OdkServiceResource(OdkServiceResource.HostName))
            .WithImage(OdkContainerImageTags.ServiceImage, OdkContainerImageTags.Tag)
            .WithImageRegistry(OdkContainerImageTags.Registry)
            // The image sets no command of its own (service.dockerfile); compose runs this script from /usr/odk.
            .WithArgs("./start-odk.sh")
            .WithHttpEndpoint(targetPort: OdkServiceResource.HttpPort, name: OdkServiceResource.HttpEndpointName)
            .WithOdkDatabase(postgres, databasePassword)
            .WithEnvironment("SYSADMIN_EMAIL", adminEmail)
            .WithHttpHealthCheck(HealthPath, endpointName: OdkServiceResource.HttpEndpointName)
            .WaitForCompletion(databaseSetup)
            .WaitFor(pyxform)
            .WithIconName("Server");
        // start-odk.sh renders config.json.template and exits on any undefined variable: every one is set here.
        // Numbers and booleans are pasted into JSON unquoted, so they must never be empty.
        foreach (var (key, value) in ServiceSettings) service.WithEnvironment(key, value);

        // No default user exists: odk-cmd creates the administrator (password on stdin, 10-72 characters), or resets
        // its password when it already exists, then promotes it. Runs once the service has migrated the database.
        builder.AddContainer($"{name}-admin", OdkContainerImageTags.ServiceImage, OdkContainerImageTags.Tag)
            .WithImageRegistry(OdkContainerImageTags.Registry)
            .WithEntrypoint("bash")
            .WithArgs("-c",
                "printf '%s\\n' \"$ODK_ADMIN_PASSWORD\" | odk-cmd --email \"$ODK_ADMIN_EMAIL\" user-create " +
                "|| printf '%s\\n' \"$ODK_ADMIN_PASSWORD\" | odk-cmd --email \"$ODK_ADMIN_EMAIL\" user-set-password; " +
                "odk-cmd --email \"$ODK_ADMIN_EMAIL\" user-promote")
            .WithOdkDatabase(postgres, databasePassword)
            .WithEnvironment("ODK_ADMIN_EMAIL", adminEmail)
            .WithEnvironment("ODK_ADMIN_PASSWORD", adminPassword)
            .WithParentRelationship(service)
            .WaitFor(service)
            .WithIconName("PersonAdd");

        // The published central-nginx image no longer carries its site templates (compose bind-mounts them), and its
        // config proxies to Enketo and to ODK's Sentry by literal host name. We give it our own small site instead:
        // the built front end, and /v1 proxied to the service marked as HTTPS-terminated, as upstream's "upstream"
        // SSL mode does (Central refuses Basic auth and secure cookies over plain HTTP otherwise).
        return builder.AddResource(new OdkCentralResource(name))
            .WithImage(OdkContainerImageTags.NginxImage, OdkContainerImageTags.Tag)
            .WithImageRegistry(OdkContainerImageTags.Registry)
            .WithEntrypoint("sh")
            .WithArgs("-c",
                "printf '%s\\n' \"$ODK_SITE_CONF\" > /etc/nginx/conf.d/odk.conf && rm -f /etc/nginx/conf.d/default.conf " +
                "&& printf '{\"oidcEnabled\": false}' > /usr/share/nginx/html/client-config.json && exec nginx -g 'daemon off;'")
            .WithEnvironment("ODK_SITE_CONF", SiteConfiguration)
            .WithHttpEndpoint(targetPort: 80, name: OdkCentralResource.HttpEndpointName)
            .WithExternalHttpEndpoints()
            .WithHttpHealthCheck(HealthPath, endpointName: OdkCentralResource.HttpEndpointName)
            .WithUrlForEndpoint(OdkCentralResource.HttpEndpointName, url =>
                url.DisplayText = "ODK Central (user: parameter odk-admin-email, password: parameter odk-admin-password)")
            .WaitFor(service)
            .WithIconName("Clipboard");
    }

    private static IResourceBuilder<T> WithOdkDatabase<T>(this IResourceBuilder<T> resource,
        IResourceBuilder<PostgresServerResource> postgres, IResourceBuilder<ParameterResource> databasePassword)
        where T : IResourceWithEnvironment
    {
        var db = postgres.Resource.PrimaryEndpoint;
        // libpq variables (since v2026.1); all five, or node-config's defaults fill the gaps.
        return resource
            .WithEnvironment("PGHOST", ReferenceExpression.Create($"{db.Property(EndpointProperty.Host)}"))
            .WithEnvironment("PGPORT", ReferenceExpression.Create($"{db.Property(EndpointProperty.Port)}"))
            .WithEnvironment("PGUSER", "odk")
            .WithEnvironment("PGPASSWORD", databasePassword)
            .WithEnvironment("PGDATABASE", "odk");
    }

    /// <summary>The variables of getodk/central files/service/config.json.template and start-odk.sh.</summary>
    internal static readonly (string Key, string Value)[] ServiceSettings =
    [
        ("DOMAIN", "localhost"),
        ("HTTPS_PORT", "443"),
        ("DB_POOL_SIZE", "10"),
        ("EMAIL_FROM", "no-reply@localhost"),
        ("EMAIL_HOST", "mail"),
        ("EMAIL_PORT", "25"),
        ("EMAIL_SECURE", "false"),
        ("EMAIL_IGNORE_TLS", "true"),
        ("EMAIL_USER", ""),
        ("EMAIL_PASSWORD", ""),
        ("SESSION_LIFETIME", "86400"),
        ("OIDC_ENABLED", "false"),
        ("OIDC_ISSUER_URL", ""),
        ("OIDC_CLIENT_ID", ""),
        ("OIDC_CLIENT_SECRET", ""),
        // Empty Sentry settings: otherwise errors are reported to ODK's own Sentry project.
        ("SENTRY_ORG_SUBDOMAIN", ""),
        ("SENTRY_KEY", ""),
        ("SENTRY_PROJECT", ""),
        ("SENTRY_TRACE_RATE", "0"),
        ("S3_SERVER", ""),
        ("S3_ACCESS_KEY", ""),
        ("S3_SECRET_KEY", ""),
        ("S3_BUCKET_NAME", ""),
    ];

    /// <summary>Our nginx site for Central's front end.</summary>
    internal const string SiteConfiguration = """
        server {
          listen 80 default_server;
          server_name _;
          client_max_body_size 100m;
          root /usr/share/nginx/html;
          location ~ ^/v\d {
            proxy_pass http://service:8383;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 300s;
            proxy_buffering off;
          }
          location / {
            try_files $uri $uri/ /index.html;
          }
        }
        """;
}
