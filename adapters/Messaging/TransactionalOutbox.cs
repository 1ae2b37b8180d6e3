using Npgsql;
using Wolverine;
using Wolverine.RDBMS;
using Wolverine.Runtime;

namespace OneClickSuite.Messaging;

/// <summary>
/// Writes to the service's tables and publishes messages in one PostgreSQL transaction: the messages are stored in
/// Wolverine's outbox table by the same commit and sent after it, so a crash loses neither or sends nothing that
/// was rolled back.
/// </summary>
public sealed class TransactionalOutbox(IWolverineRuntime runtime, SuiteDatabase database)
{
    public async Task<OutboxTransaction> BeginAsync(CancellationToken ct = default)
    {
        var connection = await database.DataSource.OpenConnectionAsync(ct);
        try
        {
            var transaction = await connection.BeginTransactionAsync(ct);
            var context = new MessageContext(runtime);
            await context.EnlistInOutboxAsync(new DatabaseEnvelopeTransaction((IMessageDatabase)runtime.Storage, transaction));
            return new OutboxTransaction(connection, transaction, context);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}

public sealed class OutboxTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, MessageContext context) : IAsyncDisposable
{
    public NpgsqlConnection Connection { get; } = connection;

    public NpgsqlTransaction Transaction { get; } = transaction;

    /// <summary>Queues a message; it is stored by <see cref="CommitAsync"/> and sent right after.</summary>
    public ValueTask PublishAsync<T>(T message) where T : notnull => context.PublishAsync(message);

    public NpgsqlCommand Command(string sql) => new(sql, Connection, Transaction);

    public async Task CommitAsync(CancellationToken ct = default)
    {
        await Transaction.CommitAsync(ct);
        await context.FlushOutgoingMessagesAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
