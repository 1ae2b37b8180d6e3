using Npgsql;

namespace OneClickSuite.Messaging;

/// <summary>The service's PostgreSQL database (<c>ConnectionStrings:suite-db</c>) and its own schema in it.</summary>
public sealed class SuiteDatabase(NpgsqlDataSource dataSource, string schema)
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>The service's schema; Wolverine's envelope tables live there too.</summary>
    public string Schema { get; } = schema;

    /// <summary>Runs idempotent DDL under an advisory lock, so replicas starting together do not race.</summary>
    public async Task MigrateAsync(string ddl, CancellationToken ct = default)
    {
        await using var connection = await DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext(@key))", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", AdvisoryLocks.SchemaMigration + Schema);
            await lockCommand.ExecuteNonQueryAsync(ct);
        }
        await using (var command = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS \"{Schema}\";\nSET LOCAL search_path TO \"{Schema}\";\n{ddl}", connection, transaction))
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }
}
