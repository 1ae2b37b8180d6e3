using Npgsql;
using OneClickSuite.Contracts;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>
/// A database transaction whose messages leave if and only if it commits (a transactional outbox): an approved line
/// can neither be lost nor be requested without being recorded, and a statement or a leaver's closure is announced
/// exactly when it is stored.
/// </summary>
public interface IPayrollOutbox
{
    Task<IPayrollTransaction> BeginAsync(CancellationToken ct);
}

public interface IPayrollTransaction : IAsyncDisposable
{
    NpgsqlConnection Connection { get; }

    NpgsqlTransaction Transaction { get; }

    /// <summary>A payment request of any rail (<see cref="PaymentRequestedV1"/>, <see cref="WalletPaymentRequestedV1"/>, …).</summary>
    ValueTask RequestAsync(IPaymentRequest request);

    ValueTask PublishAsync(PayStatementV1 statement);

    ValueTask PublishAsync(WorkerPayClosedV1 closed);

    Task CommitAsync(CancellationToken ct);
}
