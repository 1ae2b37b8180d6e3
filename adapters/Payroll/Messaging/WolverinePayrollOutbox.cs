using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;
using OneClickSuite.Payroll.PayRuns;

namespace OneClickSuite.Payroll.Messaging;

/// <summary>Payment requests through the suite's Wolverine outbox: stored by Payroll's own commit, sent after it.</summary>
public sealed class WolverinePaymentOutbox(TransactionalOutbox outbox) : IPaymentOutbox
{
    public async Task<IPaymentTransaction> BeginAsync(CancellationToken ct) => new OutboxUnit(await outbox.BeginAsync(ct));

    private sealed class OutboxUnit(OutboxTransaction inner) : IPaymentTransaction
    {
        public NpgsqlConnection Connection => inner.Connection;
        public NpgsqlTransaction Transaction => inner.Transaction;
        public ValueTask RequestAsync(PaymentRequestedV1 request) => inner.PublishAsync(request);
        public Task CommitAsync(CancellationToken ct) => inner.CommitAsync(ct);
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
