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
    /// <summary>The suite's own state: adapters' tables, outbox and inbox, pay runs.</summary>
    public static readonly SuiteDatabase Suite = new("suite-db", "suite");

    public static readonly SuiteDatabase[] All = [FineractTenants, FineractDefault, Odk, Hapi, Suite];
}

/// <summary>PostgreSQL, RabbitMQ and the databases, whichever way they are provided.</summary>
public sealed class SuiteInfrastructure
{
    public required IResourceBuilder<IResourceWithConnectionString> Postgres { get; init; }
    /// <summary>The PostgreSQL container of full mode, which the upstream containers connect to by host and port.</summary>
    public IResourceBuilder<PostgresServerResource>? PostgresContainer { get; init; }
    public required IResourceBuilder<IResourceWithConnectionString> Messaging { get; init; }
    public required IResourceBuilder<ProjectResource> DatabaseSetup { get; init; }
    public required IReadOnlyDictionary<SuiteDatabase, IResourceBuilder<IResourceWithConnectionString>> Databases { get; init; }
    /// <summary>
    /// The key the portal signs forwarded identities with and every service verifies them with (parameter
    /// <c>suite-signing-key</c>, configuration <c>Suite:Identity:SigningKey</c>).
    /// </summary>
    public required IResourceBuilder<ParameterResource> SigningKey { get; init; }

    /// <summary>Passwords of the login roles the real upstream systems use (full mode only).</summary>
    public required IReadOnlyDictionary<string, IResourceBuilder<ParameterResource>> OwnerPasswords { get; init; }

    public IResourceBuilder<IResourceWithConnectionString> Database(SuiteDatabase database) => Databases[database];

    /// <summary>A database's connection string with the pool a service may use (<see cref="ConnectionBudget"/>).</summary>
    public ReferenceExpression ConnectionString(SuiteDatabase database, int maximumPoolSize) =>
        ReferenceExpression.Create($"{Databases[database].Resource.ConnectionStringExpression};Maximum Pool Size={maximumPoolSize.ToString()}");

    /// <summary>The password of the role a real upstream system logs in with, as created by <c>db-setup</c>.</summary>
    public IResourceBuilder<ParameterResource> OwnerPassword(SuiteDatabase database) =>
        database.Owner is { } owner && OwnerPasswords.TryGetValue(owner, out var password)
            ? password
            : throw new InvalidOperationException($"no owner role for {database.DatabaseName} in this mode");
}

public static class InfrastructureExtensions
{
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

        // Owner roles only where the real systems connect with them; emulators use the server's own role.
        var ownerPasswords = new Dictionary<string, IResourceBuilder<ParameterResource>>();
        var databaseSetup = builder.AddOneShot<Projects.DatabaseSetup>("db-setup")
            .WithReference(postgres, "postgres")
            .WaitFor(postgres);

        var databases = new Dictionary<SuiteDatabase, IResourceBuilder<IResourceWithConnectionString>>();
        for (var i = 0; i < SuiteDatabases.All.Length; i++)
        {
            var database = SuiteDatabases.All[i];
            IResourceBuilder<IResourceWithConnectionString> resource = postgresContainer is not null
                ? postgresContainer.AddDatabase(database.ResourceName, database.DatabaseName)
                : builder.AddConnectionString(database.ResourceName,
                    ReferenceExpression.Create($"{postgres.Resource.ConnectionStringExpression};Database={database.DatabaseName}"));
            databases[database] = resource;

            var prefix = $"Setup__Databases__{i}__";
            databaseSetup.WithEnvironment(prefix + "Name", database.DatabaseName)
                .WithEnvironment(prefix + "Extensions", database.Extensions);
            if (runsContainers && database.Owner is { } owner)
            {
                if (!ownerPasswords.TryGetValue(owner, out var ownerPassword))
                {
                    ownerPassword = ownerPasswords[owner] = builder.AddSecret($"{owner}-db-password");
                }
                databaseSetup.WithEnvironment(prefix + "Owner", owner)
                    .WithEnvironment(prefix + "OwnerPassword", ownerPassword)
                    .WithEnvironment(prefix + "OwnerConnectionLimit", database.ConnectionLimit.ToString());
            }
            if (postgresContainer is not null) databaseSetup.WaitFor(resource);
        }

        return new SuiteInfrastructure
        {
            Postgres = postgres,
            PostgresContainer = postgresContainer,
            Messaging = messaging,
            DatabaseSetup = databaseSetup,
            Databases = databases,
            OwnerPasswords = ownerPasswords,
            SigningKey = builder.AddSecret("suite-signing-key"),
        };
    }
}
