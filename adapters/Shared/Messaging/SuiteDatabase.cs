using Npgsql;

namespace OneClickSuite.Messaging;

/// <summary>The service's PostgreSQL database (<c>ConnectionStrings:suite-db</c>) and its own schema in it.</summary>
public sealed class SuiteDatabase(NpgsqlDataSource dataSource, string schema)
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>The service's schema; Wolverine's envelope tables live there too.</summary>
    public string Schema { get; } = schema;

    /// <summary>Runs idempotent DDL under an advisory lock, so replicas starting together do not race.</summary>
    /// <summary>Runs one statement on a connection of its own, <paramref name="args"/> as $1, $2, … (null as NULL); answers the rows it touched.</summary>
    public async Task<int> ExecuteAsync(string sql, CancellationToken ct, params object?[] args)
    {
        await using var connection = await DataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args) command.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
        return await command.ExecuteNonQueryAsync(ct);
    }

    public async Task MigrateAsync(string ddl, CancellationToken ct = default)
    {
        await using var connection = await DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext(@key))", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", AdvisoryLocks.SchemaMigration + Schema);
            await lockCommand.ExecuteNonQueryAsync(ct);
        }
        await using (var command = new NpgsqlCommand(
            $"{CreateSchemaIfMissing(Schema)}\nSET LOCAL search_path TO \"{Schema}\";\n{ddl}", connection, transaction))
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Creates the schema only when it is missing. In a deployment it already exists, owned by the service's role,
    /// which may not create schemas; PostgreSQL checks that right before it looks at IF NOT EXISTS.
    /// </summary>
    public static string CreateSchemaIfMissing(string schema) =>
        $"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '{schema}') THEN CREATE SCHEMA \"{schema}\"; END IF; END $$;";
}
