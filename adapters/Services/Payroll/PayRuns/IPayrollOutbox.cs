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

    ValueTask RequestAsync(PaymentRequestedV1 request);

    ValueTask RequestAsync(WalletPaymentRequestedV1 request);

    ValueTask PublishAsync(PayStatementV1 statement);

    ValueTask PublishAsync(WorkerPayClosedV1 closed);

    Task CommitAsync(CancellationToken ct);
}
