using OneClickSuite.AppHost.Sandbox;

namespace OneClickSuite.AppHost;

/// <summary>A database the suite needs, the login role its owner uses, the extensions it requires and its connection limit.</summary>
public sealed record SuiteDatabase(string ResourceName, string DatabaseName, string? Owner = null, string Extensions = "", int ConnectionLimit = -1);

public static class SuiteDatabases
{
    // Fineract: both databases owned by its own role (upstream: config/docker/postgresql/.../01-init.sh).
    public static readonly SuiteDatabase FineractTenants = new("fineract-tenants", "fineract_tenants", "fineract", ConnectionLimit: ConnectionBudget.Fineract);
    public static readonly SuiteDatabase FineractDefault = new("fineract-default", "fineract_default", "fineract", ConnectionLimit: ConnectionBudget.Fineract);
    // ODK Central: UTF8 and these three extensions (upstream: getodk/central postgres14 init).
    public static readonly SuiteDatabase Odk = new("odk-db", "odk", "odk", "citext,pg_trgm,pgrowlocks", ConnectionBudget.Odk);
    public static readonly SuiteDatabase Hapi = new("hapi-db", "hapi", "hapi", ConnectionLimit: ConnectionBudget.Hapi);
    /// <summary>The mobile money provider emulator's books, where it stands in for a provider (evaluators' machines).</summary>
    public static readonly SuiteDatabase MobileMoneyDefault = new("mobilemoney-default", "mobilemoney", "mobilemoney", ConnectionLimit: ConnectionBudget.Emulator);
    /// <summary>The Payment Hub emulator's books, likewise.</summary>
    public static readonly SuiteDatabase PaymentHubDefault = new("paymenthub-default", "paymenthub", "paymenthub", ConnectionLimit: ConnectionBudget.Emulator);

    /// <summary>Databases only the stand-ins for payment providers use, where evaluators run the suite.</summary>
    public static readonly SuiteDatabase[] ProviderEmulators = [MobileMoneyDefault, PaymentHubDefault];
    /// <summary>The suite's own state: adapters' tables, outbox and inbox, pay runs; a role and a schema per service.</summary>
    public static readonly SuiteDatabase Suite = new("suite-db", "suite");

    /// <summary>The services sharing the suite database: each logs in as the role named like its schema.</summary>
    public static readonly string[] SuiteServices =
        ["ihris-adapter", "fineract-adapter", "odk-adapter", "mobile-money-adapter", "payment-hub-adapter", "payroll", "portal"];

    /// <summary>A service's role and schema: its resource name with underscores (as SuiteMessaging names the schema).</summary>
    public static string RoleOf(string service) => service.Replace('-', '_');

    public static readonly SuiteDatabase[] All = [FineractTenants, FineractDefault, Odk, Hapi, MobileMoneyDefault, PaymentHubDefault, Suite];
}

/// <summary>PostgreSQL, RabbitMQ and the databases, whichever way they are provided.</summary>
public sealed class SuiteInfrastructure
{
    public required IResourceBuilder<IResourceWithConnectionString> Postgres { get; init; }
    /// <summary>The PostgreSQL container of full mode, which the upstream containers connect to by host and port.</summary>
    public IResourceBuilder<PostgresServerResource>? PostgresContainer { get; init; }
    public required IResourceBuilder<IResourceWithConnectionString> Messaging { get; init; }
    public required IResourceBuilder<IDotNetService> DatabaseSetup { get; init; }
    public required IReadOnlyDictionary<SuiteDatabase, IResourceBuilder<IResourceWithConnectionString>> Databases { get; init; }
    /// <summary>
    /// The key the portal signs forwarded identities with and every service verifies them with (parameter
    /// <c>suite-signing-key</c>, configuration <c>Suite:Identity:SigningKey</c>).
    /// </summary>
    public required IResourceBuilder<ParameterResource> SigningKey { get; init; }

    /// <summary>
    /// The ministry's time zone (parameter <c>ministry-time-zone</c>, an IANA id such as <c>Africa/Kampala</c>; UTC by
    /// default), configuration <c>Suite:TimeZone</c> of every service that compares dates: one calendar for all.
    /// </summary>
    public required IResourceBuilder<ParameterResource> TimeZone { get; init; }

    /// <summary>Passwords of the login roles the real upstream systems use (full mode only).</summary>
    public required IReadOnlyDictionary<string, IResourceBuilder<ParameterResource>> OwnerPasswords { get; init; }

    public IResourceBuilder<IResourceWithConnectionString> Database(SuiteDatabase database) => Databases[database];

    /// <summary>
    /// A suite service's broker connection: its own user, allowed to publish only to its own exchanges and read only its
    /// own queues (<see cref="OneClickSuite.Contracts.Subscriptions.PermissionsOf"/>); the shared broker connection
    /// where the broker is a ministry's own (<c>ConnectionStrings:rabbitmq</c>).
    /// </summary>
    public ReferenceExpression BrokerConnectionString(string service) =>
        BrokerPasswords.TryGetValue(service, out var password) && BrokerHost is { } host && BrokerPort is { } port
            ? ReferenceExpression.Create($"amqp://{service}:{password.Resource:uri}@{host}:{port}")
            : Messaging.Resource.ConnectionStringExpression;

    public required IReadOnlyDictionary<string, IResourceBuilder<ParameterResource>> BrokerPasswords { get; init; }
    public ReferenceExpression? BrokerHost { get; init; }
    public ReferenceExpression? BrokerPort { get; init; }

    /// <summary>Where PostgreSQL listens, for connection strings that log in as a role of their own.</summary>
    public required ReferenceExpression PostgresHost { get; init; }
    public required ReferenceExpression PostgresPort { get; init; }

    /// <summary>Passwords of the suite services' own roles (<see cref="SuiteDatabases.SuiteServices"/>).</summary>
    public required IReadOnlyDictionary<string, IResourceBuilder<ParameterResource>> ServicePasswords { get; init; }

    /// <summary>
    /// A suite service's connection string: its own role (never the server's superuser), the suite database, and the
    /// pool it may use (<see cref="ConnectionBudget"/>).
    /// </summary>
    public ReferenceExpression ServiceConnectionString(string service, int maximumPoolSize) =>
        RoleConnectionString(SuiteDatabases.Suite.DatabaseName, SuiteDatabases.RoleOf(service), ServicePasswords[service], maximumPoolSize);

    /// <summary>An upstream system's database as its owner role logs in (the emulators' too).</summary>
    public ReferenceExpression OwnerConnectionString(SuiteDatabase database, int maximumPoolSize) =>
        RoleConnectionString(database.DatabaseName, database.Owner!, OwnerPassword(database), maximumPoolSize);

    private ReferenceExpression RoleConnectionString(string database, string role, IResourceBuilder<ParameterResource> password, int pool) =>
        ReferenceExpression.Create(
            $"Host={PostgresHost};Port={PostgresPort};Database={database};Username={role};Password={password.Resource};Maximum Pool Size={pool.ToString()}");

    /// <summary>The password of the role a real upstream system logs in with, as created by <c>db-setup</c>.</summary>
    public IResourceBuilder<ParameterResource> OwnerPassword(SuiteDatabase database) =>
        database.Owner is { } owner && OwnerPasswords.TryGetValue(owner, out var password)
            ? password
            : throw new InvalidOperationException($"no owner role for {database.DatabaseName} in this mode");
}

public static class InfrastructureExtensions
{
    /// <summary>Host and port of a server given as a connection string (a managed PostgreSQL).</summary>
    private static (ReferenceExpression Host, ReferenceExpression Port) ServerOf(string connectionString)
    {
        var parsed = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        return (ReferenceExpression.Create($"{parsed.Host ?? "localhost"}"), ReferenceExpression.Create($"{parsed.Port.ToString()}"));
    }

    /// <summary>
    /// Containers in full mode; the machine's own PostgreSQL and RabbitMQ in sandbox and external mode.
    /// Where <c>ConnectionStrings:postgres</c> or <c>ConnectionStrings:rabbitmq</c> is configured, that server is used
    /// instead (a managed database or broker in production).
    /// </summary>
    public static SuiteInfrastructure AddSuiteInfrastructure(this IDistributedApplicationBuilder builder, SuiteMode mode)
    {
        var runsContainers = mode == SuiteMode.Full;
        var stateDirectory = builder.Configuration["Suite:SandboxDataPath"]
            ?? Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".sandbox"));

        // The machine's own PostgreSQL and RabbitMQ, installed on first use (a fresh machine needs only the .NET SDK).
        IResourceBuilder<ExecutableResource>? prerequisites = null;
        var usesLocalServers = !runsContainers && (builder.Configuration.GetConnectionString("postgres") is null
                                                  || builder.Configuration.GetConnectionString("rabbitmq") is null);
        if (usesLocalServers) prerequisites = builder.AddSandboxPrerequisites("sandbox-prereqs");

        var postgresPassword = builder.AddSecret("postgres-password");
        IResourceBuilder<IResourceWithConnectionString> postgres;
        IResourceBuilder<PostgresServerResource>? postgresContainer = null;
        if (builder.Configuration.GetConnectionString("postgres") is not null)
        {
            postgres = builder.AddConnectionString("postgres");
        }
        else if (runsContainers)
        {
            // The image's entrypoint prepends "postgres" to arguments that start with a dash.
            postgresContainer = builder.AddPostgres("postgres", password: postgresPassword)
                .WithArgs("-c", $"max_connections={ConnectionBudget.ServerLimit(mode)}");
            // Azure Container Apps mounts volumes on Azure Files, where PostgreSQL's chmod fails: volumes are for run mode.
            if (builder.ExecutionContext.IsRunMode) postgresContainer.WithDataVolume("oneclicksuite-postgres");
            postgres = postgresContainer;
        }
        else
        {
            postgres = builder.AddSandboxPostgres("postgres", postgresPassword, stateDirectory, ConnectionBudget.ServerLimit(mode))
                .WaitForCompletion(prerequisites!);
        }

        // The broker's administrator: only setup (and a person, through the management UI) uses it.
        var rabbitUser = builder.AddSetting("rabbitmq-user", "suite");
        var rabbitPassword = builder.AddSecret("rabbitmq-password");
        IResourceBuilder<IResourceWithConnectionString> messaging;
        if (builder.Configuration.GetConnectionString("rabbitmq") is not null)
        {
            messaging = builder.AddConnectionString("rabbitmq");
        }
        else if (runsContainers)
        {
            var rabbit = builder.AddRabbitMQ("rabbitmq", rabbitUser, rabbitPassword).WithManagementPlugin();
            if (builder.ExecutionContext.IsRunMode)
            {
                // Management UI for the evaluator's own machine; never an endpoint of a deployment.
                rabbit.WithDataVolume("oneclicksuite-rabbitmq")
                    .WithUrlForEndpoint("management", url => url.DisplayText = "RabbitMQ");
            }
            messaging = rabbit;
        }
        else
        {
            messaging = builder.AddSandboxRabbitMq("rabbitmq", rabbitUser, rabbitPassword, stateDirectory).WaitForCompletion(prerequisites!);
        }

        // Where PostgreSQL listens: the roles below log in with connection strings of their own.
        var (host, port) = postgres.Resource switch
        {
            PostgresServerResource container => (ReferenceExpression.Create($"{container.PrimaryEndpoint.Property(EndpointProperty.Host)}"),
                ReferenceExpression.Create($"{container.PrimaryEndpoint.Property(EndpointProperty.Port)}")),
            SandboxPostgresResource local => (ReferenceExpression.Create($"{local.PrimaryEndpoint.Property(EndpointProperty.Host)}"),
                ReferenceExpression.Create($"{local.PrimaryEndpoint.Property(EndpointProperty.Port)}")),
            _ => ServerOf(builder.Configuration.GetConnectionString("postgres")!),
        };

        // An owner role per upstream system's database (Fineract, ODK, HAPI, or their emulators), a role per suite service.
        var ownerPasswords = new Dictionary<string, IResourceBuilder<ParameterResource>>();
        var servicePasswords = new Dictionary<string, IResourceBuilder<ParameterResource>>();
        var databaseSetup = builder.AddOneShot<Projects.DatabaseSetup>("db-setup")
            .WithReference(postgres, "postgres")
            .WaitFor(postgres);

        var databases = new Dictionary<SuiteDatabase, IResourceBuilder<IResourceWithConnectionString>>();
        // The provider emulators' databases only where the emulators stand in for the providers.
        var needed = SuiteDatabases.All.Where(d => !SuiteDatabases.ProviderEmulators.Contains(d) || builder.IsEvaluatorMachine(mode)).ToArray();
        for (var i = 0; i < needed.Length; i++)
        {
            var database = needed[i];
            IResourceBuilder<IResourceWithConnectionString> resource = postgresContainer is not null
                ? postgresContainer.AddDatabase(database.ResourceName, database.DatabaseName)
                : builder.AddConnectionString(database.ResourceName,
                    ReferenceExpression.Create($"{postgres.Resource.ConnectionStringExpression};Database={database.DatabaseName}"));
            databases[database] = resource;

            var prefix = $"Setup__Databases__{i}__";
            databaseSetup.WithEnvironment(prefix + "Name", database.DatabaseName)
                .WithEnvironment(prefix + "Extensions", database.Extensions);
            if (mode != SuiteMode.External && database.Owner is { } owner)
            {
                if (!ownerPasswords.TryGetValue(owner, out var ownerPassword))
                {
                    ownerPassword = ownerPasswords[owner] = builder.AddSecret($"{owner}-db-password");
                }
                databaseSetup.WithEnvironment(prefix + "Owner", owner)
                    .WithEnvironment(prefix + "OwnerPassword", ownerPassword)
                    // The emulator standing in for the system has a pool of its own size.
                    .WithEnvironment(prefix + "OwnerConnectionLimit",
                        (mode == SuiteMode.Sandbox ? ConnectionBudget.Emulator : database.ConnectionLimit).ToString());
            }
            if (database == SuiteDatabases.Suite)
            {
                for (var j = 0; j < SuiteDatabases.SuiteServices.Length; j++)
                {
                    var service = SuiteDatabases.SuiteServices[j];
                    var password = servicePasswords[service] = builder.AddSecret($"{service}-db-password");
                    databaseSetup.WithEnvironment($"{prefix}Services__{j}__Name", SuiteDatabases.RoleOf(service))
                        .WithEnvironment($"{prefix}Services__{j}__Password", password)
                        .WithEnvironment($"{prefix}Services__{j}__ConnectionLimit", ConnectionBudget.SuiteService.ToString());
                }
            }
            if (postgresContainer is not null) databaseSetup.WaitFor(resource);
        }

        // A broker user per service, with the permissions its messages need, where the suite runs the broker.
        var brokerPasswords = new Dictionary<string, IResourceBuilder<ParameterResource>>();
        var (brokerEndpoint, management) = messaging.Resource switch
        {
            RabbitMQServerResource container => (container.PrimaryEndpoint, container.GetEndpoint("management")),
            SandboxRabbitMqResource local => (local.PrimaryEndpoint, local.GetEndpoint(SandboxRabbitMqResource.ManagementEndpointName)),
            _ => ((EndpointReference?)null, (EndpointReference?)null),
        };
        if (management is not null)
        {
            databaseSetup.WithEnvironment("Setup__Broker__ManagementUrl", management)
                .WithEnvironment("Setup__Broker__AdminUser", rabbitUser)
                .WithEnvironment("Setup__Broker__AdminPassword", rabbitPassword)
                .WaitFor(messaging);
            var i = 0;
            foreach (var service in OneClickSuite.Contracts.Subscriptions.Services)
            {
                var password = brokerPasswords[service] = builder.AddSecret($"{service}-broker-password");
                var permissions = OneClickSuite.Contracts.Subscriptions.PermissionsOf(service);
                var prefix = $"Setup__Broker__Users__{i++}__";
                databaseSetup.WithEnvironment(prefix + "Name", service)
                    .WithEnvironment(prefix + "Password", password)
                    .WithEnvironment(prefix + "Configure", permissions.Configure)
                    .WithEnvironment(prefix + "Write", permissions.Write)
                    .WithEnvironment(prefix + "Read", permissions.Read);
            }
        }

        return new SuiteInfrastructure
        {
            Postgres = postgres,
            PostgresContainer = postgresContainer,
            Messaging = messaging,
            DatabaseSetup = databaseSetup,
            Databases = databases,
            OwnerPasswords = ownerPasswords,
            ServicePasswords = servicePasswords,
            BrokerPasswords = brokerPasswords,
            BrokerHost = brokerEndpoint is null ? null : ReferenceExpression.Create($"{brokerEndpoint.Property(EndpointProperty.Host)}"),
            BrokerPort = brokerEndpoint is null ? null : ReferenceExpression.Create($"{brokerEndpoint.Property(EndpointProperty.Port)}"),
            SigningKey = builder.AddSecret("suite-signing-key"),
            TimeZone = builder.AddSetting("ministry-time-zone", "UTC"),
            PostgresHost = host,
            PostgresPort = port,
        };
    }
}
