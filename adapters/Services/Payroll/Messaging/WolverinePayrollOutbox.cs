using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;
using OneClickSuite.Payroll.PayRuns;

namespace OneClickSuite.Payroll.Messaging;

/// <summary>Payroll's messages through the suite's Wolverine outbox: stored by Payroll's own commit, sent after it.</summary>
public sealed class WolverinePayrollOutbox(TransactionalOutbox outbox) : IPayrollOutbox
{
    public async Task<IPayrollTransaction> BeginAsync(CancellationToken ct) => new OutboxUnit(await outbox.BeginAsync(ct));

    private sealed class OutboxUnit(OutboxTransaction inner) : IPayrollTransaction
    {
        public NpgsqlConnection Connection => inner.Connection;
        public NpgsqlTransaction Transaction => inner.Transaction;
        // Routed by the request's own type: each rail's request goes to that rail's exchange.
        public ValueTask RequestAsync(IPaymentRequest request) => inner.PublishAsync<object>(request);
        public ValueTask PublishAsync(PayStatementV1 statement) => inner.PublishAsync(statement);
        public ValueTask PublishAsync(WorkerPayClosedV1 closed) => inner.PublishAsync(closed);
        public Task CommitAsync(CancellationToken ct) => inner.CommitAsync(ct);
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
