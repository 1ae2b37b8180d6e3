using Npgsql;
using OneClickSuite.Contracts;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>
/// A database transaction whose payment requests leave if and only if it commits (a transactional outbox), so an
/// approved line can neither be lost nor be requested without being recorded.
/// </summary>
public interface IPaymentOutbox
{
    Task<IPaymentTransaction> BeginAsync(CancellationToken ct);
}

public interface IPaymentTransaction : IAsyncDisposable
{
    NpgsqlConnection Connection { get; }

    NpgsqlTransaction Transaction { get; }

    ValueTask RequestAsync(PaymentRequestedV1 request);

    Task CommitAsync(CancellationToken ct);
}
