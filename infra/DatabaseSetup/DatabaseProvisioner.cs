using Microsoft.Extensions.Logging;
using Npgsql;

namespace OneClickSuite.DatabaseSetup;

/// <summary>A database the suite needs, the role that owns it and the extensions its owner requires.</summary>
public sealed class DatabaseSpec
{
    public string Name { get; set; } = "";
    /// <summary>Login role that owns the database; none keeps the server's superuser as owner.</summary>
    public string? Owner { get; set; }
    public string? OwnerPassword { get; set; }
    /// <summary>Connections the owner role may hold at once (the suite's connection budget); -1 for no limit.</summary>
    public int OwnerConnectionLimit { get; set; } = -1;
    /// <summary>Comma-separated extensions created in the database (e.g. ODK Central's citext, pg_trgm, pgrowlocks).</summary>
    public string? Extensions { get; set; }

    /// <summary>
    /// One login role per service that shares this database (the suite's own services), each owning the schema of
    /// its name and nothing else.
    /// </summary>
    public List<ServiceRoleSpec> Services { get; set; } = [];
}

/// <summary>A service's own role: the schema of the same name is its, and it may connect to this database only.</summary>
public sealed class ServiceRoleSpec
{
    public string Name { get; set; } = "";
    public string? Password { get; set; }
    public int ConnectionLimit { get; set; } = -1;
}

public static class DatabaseProvisioner
{
    public static async Task ProvisionAsync(string serverConnectionString, IReadOnlyList<DatabaseSpec> databases,
        ILogger logger, CancellationToken cancellationToken)
    {
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "postgres", Pooling = false };
        await using var admin = await OpenWithRetryAsync(server.ConnectionString, logger, cancellationToken);

        foreach (var database in databases)
        {
            Validate(database);
            if (database.Owner is { } owner)
            {
                var exists = await ScalarAsync(admin, "SELECT 1 FROM pg_roles WHERE rolname = @p", owner, cancellationToken) is not null;
                var verb = exists ? "ALTER" : "CREATE";
                // Passwords cannot be bound as parameters in DDL: quote them as literals.
                await ExecuteAsync(admin, $"{verb} ROLE {Quote(owner)} LOGIN CONNECTION LIMIT {database.OwnerConnectionLimit} PASSWORD {Literal(database.OwnerPassword ?? "")}", cancellationToken);
                logger.LogInformation("Role {Role} {State}", owner, exists ? "updated" : "created");
            }

            foreach (var service in database.Services)
            {
                var exists = await ScalarAsync(admin, "SELECT 1 FROM pg_roles WHERE rolname = @p", service.Name, cancellationToken) is not null;
                await ExecuteAsync(admin, $"{(exists ? "ALTER" : "CREATE")} ROLE {Quote(service.Name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE " +
                                          $"CONNECTION LIMIT {service.ConnectionLimit} PASSWORD {Literal(service.Password ?? "")}", cancellationToken);
            }

            if (await ScalarAsync(admin, "SELECT 1 FROM pg_database WHERE datname = @p", database.Name, cancellationToken) is null)
            {
                // template0 with UTF8: ODK Central refuses databases in any other encoding.
                await ExecuteAsync(admin, $"CREATE DATABASE {Quote(database.Name)} ENCODING 'UTF8' TEMPLATE template0", cancellationToken);
                logger.LogInformation("Database {Database} created", database.Name);
            }
            if (database.Owner is { } dbOwner)
            {
                await ExecuteAsync(admin, $"ALTER DATABASE {Quote(database.Name)} OWNER TO {Quote(dbOwner)}", cancellationToken);
                await ExecuteAsync(admin, $"GRANT ALL PRIVILEGES ON DATABASE {Quote(database.Name)} TO {Quote(dbOwner)}", cancellationToken);
            }
            if (database.Owner is not null || database.Services.Count > 0)
            {
                // Only the roles named here connect: one system's role cannot even open another's database. A service
                // may also make temporary tables (Payroll's run checks work in them), private to its own session.
                await ExecuteAsync(admin, $"REVOKE ALL ON DATABASE {Quote(database.Name)} FROM PUBLIC", cancellationToken);
                foreach (var service in database.Services)
                    await ExecuteAsync(admin, $"GRANT CONNECT, TEMPORARY ON DATABASE {Quote(database.Name)} TO {Quote(service.Name)}", cancellationToken);
            }

            var inDatabase = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database.Name };
            await using var connection = new NpgsqlConnection(inDatabase.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            if (database.Owner is { } schemaOwner)
            {
                // Fineract and HAPI create their tables in public: its owner must be able to.
                await ExecuteAsync(connection, $"GRANT ALL ON SCHEMA public TO {Quote(schemaOwner)}", cancellationToken);
                await ExecuteAsync(connection, $"ALTER SCHEMA public OWNER TO {Quote(schemaOwner)}", cancellationToken);
            }
            foreach (var extension in SplitExtensions(database.Extensions))
            {
                await ExecuteAsync(connection, $"CREATE EXTENSION IF NOT EXISTS {Quote(extension)}", cancellationToken);
            }
            if (database.Services.Count > 0)
            {
                // Nobody creates objects in public; each service only in its own schema.
                await ExecuteAsync(connection, "REVOKE CREATE ON SCHEMA public FROM PUBLIC", cancellationToken);
                foreach (var service in database.Services)
                {
                    var schema = Quote(service.Name);
                    await ExecuteAsync(connection, $"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {schema}", cancellationToken);
                    await ExecuteAsync(connection, $"ALTER SCHEMA {schema} OWNER TO {schema}", cancellationToken);
                    // Objects an earlier version created as the superuser move to the service's role.
                    await ExecuteAsync(connection, $"""
                        DO $$ DECLARE r record; BEGIN
                          FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                   WHERE n.nspname = {Literal(service.Name)} AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                                     AND pg_get_userbyid(c.relowner) <> {Literal(service.Name)} LOOP
                            EXECUTE format('ALTER TABLE %s OWNER TO %I', r.name, {Literal(service.Name)});
                          END LOOP;
                        END $$
                        """, cancellationToken);
                }
            }
            logger.LogInformation("Database {Database} ready (owner {Owner}, extensions {Extensions})",
                database.Name, database.Owner ?? "postgres", database.Extensions ?? "none");
        }
    }

    public static IEnumerable<string> SplitExtensions(string? extensions) =>
        (extensions ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void Validate(DatabaseSpec database)
    {
        if (string.IsNullOrWhiteSpace(database.Name)) throw new InvalidOperationException("Setup:Databases: a database has no Name");
        if (database.Owner is not null && string.IsNullOrEmpty(database.OwnerPassword))
            throw new InvalidOperationException($"Setup:Databases: database {database.Name}: owner {database.Owner} has no OwnerPassword");
        foreach (var service in database.Services.Where(s => string.IsNullOrEmpty(s.Password)))
            throw new InvalidOperationException($"Setup:Databases: database {database.Name}: service role {service.Name} has no Password");
    }

    private static async Task<NpgsqlConnection> OpenWithRetryAsync(string connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var connection = new NpgsqlConnection(connectionString);
            try
            {
                await connection.OpenAsync(cancellationToken);
                return connection;
            }
            catch (NpgsqlException ex) when (attempt < 30)
            {
                await connection.DisposeAsync();
                logger.LogWarning("PostgreSQL not ready ({Message}); retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, string parameter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("p", parameter);
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
    private static string Literal(string value) => "'" + value.Replace("'", "''") + "'";
}
