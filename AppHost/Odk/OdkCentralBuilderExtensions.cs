namespace OneClickSuite.AppHost.Odk;

/// <summary>Where ODK Central sends mail: a catcher on an evaluator's machine, a ministry's relay once deployed.</summary>
public sealed record OdkMail(ReferenceExpression Host, ReferenceExpression Port, ReferenceExpression User, ReferenceExpression Password,
    ReferenceExpression From, bool Secure, bool IgnoreTls);

/// <summary>ODK Central's containers, and the one-shot that ensures its administrator.</summary>
public sealed record OdkCentralContainers(IResourceBuilder<OdkCentralResource> FrontEnd, IResourceBuilder<ContainerResource> Administrator);

public static class OdkCentralBuilderExtensions
{
    /// <summary>Central's own health signal: anonymous, and it touches the database since v2026.1 (upstreams.md).</summary>
    public const string HealthPath = "/v1/config/public";

    /// <summary>
    /// ODK Central from its published images: <c>service</c> (API), <c>pyxform</c> (XLSForm conversion), a one-shot that
    /// ensures the administrator, and the front end. Enketo is not wired: see README ("ODK Central without Enketo").
    /// </summary>
    public static OdkCentralContainers AddOdkCentral(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<PostgresServerResource> postgres, IResourceBuilder<ParameterResource> databasePassword,
        IResourceBuilder<ParameterResource> adminEmail, IResourceBuilder<ParameterResource> adminPassword,
        IResourceBuilder<IResource> databaseSetup, OdkMail mail)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        // central-service hard-codes the converter at pyxform:80 (config.json.template). gunicorn runs with
        // --max-requests 1 (pyxform-http Dockerfile): every HTTP probe would recycle a worker, so probe the port.
        var pyxform = builder.AddContainer("pyxform", OdkContainerImageTags.PyxformImage, OdkContainerImageTags.PyxformTag)
            .WithImageRegistry(OdkContainerImageTags.Registry)
            .WithHttpEndpoint(targetPort: 80, name: "http")
            .WithTcpHealthCheck("http")
            .WithIconName("DocumentTable");

        var service = builder.AddResource(new OdkServiceResource(OdkServiceResource.HostName))
            .WithImage(OdkContainerImageTags.ServiceImage, OdkContainerImageTags.Tag)
            .WithImageRegistry(OdkContainerImageTags.Registry)
            // start-odk.sh reads /etc/secrets/enketo-api-key, which upstream's "secrets" one-shot writes; Enketo is not
            // wired here, so an unused key is written where none exists. The image sets no command of its own.
            .WithEntrypoint("bash")
            .WithArgs("-c", "mkdir -p /etc/secrets && ( [ -s /etc/secrets/enketo-api-key ] " +
                            "|| head -c 48 /dev/urandom | base64 -w0 > /etc/secrets/enketo-api-key ) && exec ./start-odk.sh")
            .WithHttpEndpoint(targetPort: OdkServiceResource.HttpPort, name: OdkServiceResource.HttpEndpointName)
            .WithOdkDatabase(postgres, databasePassword)
            .WithEnvironment("SYSADMIN_EMAIL", adminEmail)
            .WithEnvironment("DB_POOL_SIZE", ConnectionBudget.OdkPoolPerWorker.ToString())
            .WithEnvironment("EMAIL_FROM", mail.From)
            .WithEnvironment("EMAIL_HOST", mail.Host)
            .WithEnvironment("EMAIL_PORT", mail.Port)
            .WithEnvironment("EMAIL_SECURE", mail.Secure ? "true" : "false")
            .WithEnvironment("EMAIL_IGNORE_TLS", mail.IgnoreTls ? "true" : "false")
            .WithEnvironment("EMAIL_USER", mail.User)
            .WithEnvironment("EMAIL_PASSWORD", mail.Password)
            .WithHttpHealthCheck(HealthPath, endpointName: OdkServiceResource.HttpEndpointName)
            .WaitForCompletion(databaseSetup)
            .WaitFor(pyxform)
            .WithIconName("Server");
        // start-odk.sh renders config.json.template and exits on any undefined variable: every one is set here.
        // Numbers and booleans are pasted into JSON unquoted, so they must never be empty.
        foreach (var (key, value) in ServiceSettings) service.WithEnvironment(key, value);
        var serviceUrl = ReferenceExpression.Create($"{service.Resource.HttpEndpoint.Property(EndpointProperty.Url)}");

        // No default user exists upstream: odk-cmd creates the administrator. The script first asks Central whether the
        // configured password already signs in as an administrator, and changes nothing then: user-set-password ends
        // every session of that user (central-backend lib/task/account.js setUserPassword), and a one-shot that the
        // platform restarts (Container Apps restarts containers that exit) must not log the adapters out each time.
        var administrator = builder.AddContainer($"{name}-admin", OdkContainerImageTags.ServiceImage, OdkContainerImageTags.Tag)
            .WithImageRegistry(OdkContainerImageTags.Registry)
            .WithEntrypoint("bash")
            .WithArgs("-c", $"printf '%s' \"${AdminScriptVariable}\" | base64 -d | bash")
            .WithEnvironment(AdminScriptVariable, NginxSite.Encode(AdminScript))
            .WithOdkDatabase(postgres, databasePassword)
            .WithEnvironment("ODK_ADMIN_EMAIL", adminEmail)
            .WithEnvironment("ODK_ADMIN_PASSWORD", adminPassword)
            .WithEnvironment("ODK_SERVICE_URL", serviceUrl)
            // Once deployed, a finished one-shot would be restarted for ever: it stays up instead.
            .WithEnvironment("STAY_UP", builder.ExecutionContext.IsPublishMode ? "true" : "false")
            .WithParentRelationship(service)
            .WaitFor(service)
            .WithIconName("PersonAdd");

        // The published central-nginx image carries no site (compose bind-mounts odk.conf.template), and its setup
        // script proxies to Enketo and Sentry by literal host name. Our own small site instead: the built front end,
        // and /v1 proxied to the service marked as HTTPS-terminated, as upstream's "upstream" SSL mode does (Central
        // refuses Basic auth and secure cookies over plain HTTP otherwise). The base image (jonasal/nginx-certbot) ships
        // conf.d/redirector.conf, a second default server on port 80: every file of conf.d is removed first.
        var frontEnd = builder.AddResource(new OdkCentralResource(name))
            .WithImage(OdkContainerImageTags.NginxImage, OdkContainerImageTags.Tag)
            .WithImageRegistry(OdkContainerImageTags.Registry)
            .WithEntrypoint("sh")
            .WithArgs("-c", NginxSite.InstallCommand("odk.conf") +
                $" && printf '%s' \"${ClientConfigVariable}\" | base64 -d > /usr/share/nginx/html/client-config.json" +
                " && exec nginx -g 'daemon off;'")
            .WithNginxSite(SiteConfiguration, serviceUrl)
            .WithEnvironment(ClientConfigVariable, NginxSite.Encode("""{"oidcEnabled": false}"""))
            .WithHttpEndpoint(targetPort: 80, name: OdkCentralResource.HttpEndpointName)
            .WithExternalHttpEndpoints()
            .WithHttpHealthCheck(HealthPath, endpointName: OdkCentralResource.HttpEndpointName)
            .WithUrlForEndpoint(OdkCentralResource.HttpEndpointName, url =>
                url.DisplayText = "ODK Central (user: parameter odk-admin-email, password: parameter odk-admin-password)")
            .WaitFor(service)
            .WithIconName("Clipboard");

        // Links in Central's mail and OData answers are built on DOMAIN: once deployed, the front end's public host.
        service.WithEnvironment("DOMAIN", builder.ExecutionContext.IsPublishMode
            ? ReferenceExpression.Create($"{frontEnd.Resource.HttpEndpoint.Property(EndpointProperty.Host)}")
            : ReferenceExpression.Create($"localhost"));
        return new OdkCentralContainers(frontEnd, administrator);
    }

    /// <summary>A mail catcher (Mailpit) the evaluator opens from the dashboard: every invitation and reset lands there.</summary>
    public static IResourceBuilder<MailCatcherResource> AddMailCatcher(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddResource(new MailCatcherResource(name))
            .WithImage(OdkContainerImageTags.MailImage, OdkContainerImageTags.MailTag)
            .WithImageRegistry(OdkContainerImageTags.MailRegistry)
            .WithEndpoint(targetPort: MailCatcherResource.SmtpPort, name: MailCatcherResource.SmtpEndpointName, scheme: "tcp")
            .WithHttpEndpoint(targetPort: MailCatcherResource.HttpPort, name: MailCatcherResource.HttpEndpointName)
            // Mailpit's own readiness route: 200 once its store answers (axllent/mailpit server/handlers readyz).
            .WithHttpHealthCheck("/readyz", endpointName: MailCatcherResource.HttpEndpointName)
            .WithUrlForEndpoint(MailCatcherResource.HttpEndpointName, url => url.DisplayText = "Mail sent by ODK Central")
            .WithIconName("Mail")
            .ExcludeFromManifest();

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

    /// <summary>The other variables of getodk/central files/service/config.json.template and start-odk.sh.</summary>
    internal static readonly (string Key, string Value)[] ServiceSettings =
    [
        ("HTTPS_PORT", "443"),
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

    private const string AdminScriptVariable = "ODK_ADMIN_SCRIPT_BASE64";
    private const string ClientConfigVariable = "ODK_CLIENT_CONFIG_BASE64";

    /// <summary>
    /// Ensures the administrator: signs in with the configured password (POST /v1/sessions) and lists users (only an
    /// administrator may, GET /v1/users); creates the user, sets its password or promotes it only where that fails.
    /// Exit 0 once the administrator signs in as one. odk-cmd's user-create and user-promote fail (409.3) when the
    /// user exists or is already an administrator (central-backend lib/task/account.js), so each runs only when needed.
    /// </summary>
    public const string AdminScript = """
        set -u
        cat > /tmp/check-admin.mjs <<'JS'
        const base = process.env.ODK_SERVICE_URL.replace(/\/$/, '');
        try {
          const login = await fetch(`${base}/v1/sessions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: process.env.ODK_ADMIN_EMAIL, password: process.env.ODK_ADMIN_PASSWORD }),
          });
          if (login.status === 401) process.exit(1);
          if (!login.ok) process.exit(3);
          const { token } = await login.json();
          const auth = { authorization: `Bearer ${token}` };
          const users = await fetch(`${base}/v1/users`, { headers: auth });
          await fetch(`${base}/v1/sessions/${token}`, { method: 'DELETE', headers: auth });
          process.exit(users.ok ? 0 : 2);
        } catch {
          process.exit(3);
        }
        JS
        check() {
          for _ in $(seq 1 120); do
            node /tmp/check-admin.mjs; state=$?
            [ "$state" -ne 3 ] && return "$state"
            echo "ODK Central does not answer yet; retrying in 5 s"; sleep 5
          done
          return 3
        }
        with_password() { printf '%s\n' "$ODK_ADMIN_PASSWORD" | odk-cmd --email "$ODK_ADMIN_EMAIL" "$1"; }

        check; state=$?
        if [ "$state" -eq 1 ]; then
          echo "creating the administrator, or setting its password"
          with_password user-create || with_password user-set-password || exit 1
          check; state=$?
        fi
        if [ "$state" -eq 2 ]; then
          echo "promoting $ODK_ADMIN_EMAIL to administrator"
          odk-cmd --email "$ODK_ADMIN_EMAIL" user-promote || exit 1
          check; state=$?
        fi
        if [ "$state" -ne 0 ]; then echo "the ODK Central administrator could not be ensured (state $state)" >&2; exit 1; fi
        echo "ODK Central administrator $ODK_ADMIN_EMAIL signs in with the configured password"
        if [ "${STAY_UP:-false}" = true ]; then exec sleep infinity; fi
        """;

    /// <summary>Our nginx site for Central's front end.</summary>
    internal const string SiteConfiguration = """
        server {
          listen 80 default_server;
          server_name _;
          client_max_body_size 100m;
          root /usr/share/nginx/html;
          location ~ ^/v\d {
            proxy_pass @UPSTREAM@;
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
