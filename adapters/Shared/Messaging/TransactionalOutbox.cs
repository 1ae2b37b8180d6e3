using Npgsql;
using Wolverine;
using Wolverine.Persistence.Durability;
using Wolverine.RDBMS;
using Wolverine.Runtime;

namespace OneClickSuite.Messaging;

/// <summary>
/// Writes to the service's tables and publishes messages in one PostgreSQL transaction: the messages are stored in
/// Wolverine's outbox table by the same commit and sent after it, so a crash loses neither or sends nothing that
/// was rolled back. Outgoing envelopes are buffered and stored with one command just before the commit, so a
/// transaction that publishes a thousand messages costs one round trip for them, not a thousand.
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
            var envelopes = new BufferedEnvelopeTransaction(new DatabaseEnvelopeTransaction((IMessageDatabase)runtime.Storage, transaction));
            await context.EnlistInOutboxAsync(envelopes);
            return new OutboxTransaction(connection, transaction, context, envelopes);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}

public sealed class OutboxTransaction(
    NpgsqlConnection connection, NpgsqlTransaction transaction, MessageContext context, BufferedEnvelopeTransaction envelopes) : IAsyncDisposable
{
    public NpgsqlConnection Connection { get; } = connection;

    public NpgsqlTransaction Transaction { get; } = transaction;

    /// <summary>Queues a message; it is stored by <see cref="CommitAsync"/> and sent right after.</summary>
    public ValueTask PublishAsync<T>(T message) where T : notnull => context.PublishAsync(message);

    public NpgsqlCommand Command(string sql) => new(sql, Connection, Transaction);

    public async Task CommitAsync(CancellationToken ct = default)
    {
        await envelopes.StoreBufferedAsync();
        await Transaction.CommitAsync(ct);
        await context.FlushOutgoingMessagesAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}

/// <summary>
/// Holds the outgoing envelopes of one transaction and stores them together (Wolverine writes them as one batched
/// command) when <see cref="StoreBufferedAsync"/> is called right before the commit.
/// </summary>
public sealed class BufferedEnvelopeTransaction(DatabaseEnvelopeTransaction inner) : IEnvelopeTransaction
{
    private readonly List<Envelope> _outgoing = [];

    public Task PersistOutgoingAsync(Envelope envelope)
    {
        lock (_outgoing) _outgoing.Add(envelope);
        return Task.CompletedTask;
    }

    public Task PersistOutgoingAsync(Envelope[] envelopes)
    {
        lock (_outgoing) _outgoing.AddRange(envelopes);
        return Task.CompletedTask;
    }

    public async Task StoreBufferedAsync()
    {
        Envelope[] pending;
        lock (_outgoing)
        {
            pending = [.. _outgoing];
            _outgoing.Clear();
        }
        await inner.PersistOutgoingAsync(pending);
    }

    public Task PersistIncomingAsync(Envelope envelope) => inner.PersistIncomingAsync(envelope);

    public ValueTask RollbackAsync()
    {
        lock (_outgoing) _outgoing.Clear();
        return inner.RollbackAsync();
    }

    public Task<bool> TryMakeEagerIdempotencyCheckAsync(Envelope envelope, DurabilitySettings settings, CancellationToken cancellation) =>
        inner.TryMakeEagerIdempotencyCheckAsync(envelope, settings, cancellation);
}
