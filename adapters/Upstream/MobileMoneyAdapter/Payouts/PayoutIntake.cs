using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.MobileMoneyAdapter.Payouts;

/// <summary>Handles Payroll's wallet payment requests: each is recorded once, by its payment id, to be batched.</summary>
public sealed class WalletPaymentRequestedHandler(PayoutIntake intake)
{
    public Task Handle(WalletPaymentRequestedV1 request, CancellationToken ct) => intake.AcceptAsync(request, ct);
}

/// <summary>
/// Records a wallet payment to be sent in the next batch. A redelivered or resent request finds its row and changes
/// nothing; if that payment already has an outcome, the outcome is published again (Payroll resends only what it has
/// no outcome for, and ignores a repeat). A request that no provider could pay (no valid wallet number, an amount that
/// is not positive) fails at once with the field and the payment named.
/// </summary>
public sealed class PayoutIntake(TransactionalOutbox outbox, SuiteDatabase database, BatchDispatcher dispatcher, TimeProvider clock,
    ILogger<PayoutIntake> logger)
{
    public async Task AcceptAsync(WalletPaymentRequestedV1 request, CancellationToken ct)
    {
        var problem = Msisdn.Problem(request.Msisdn) is { } msisdn ? $"msisdn: {msisdn}"
            : request.Amount <= 0 ? $"amount: {request.Amount} is not a positive amount"
            : string.IsNullOrWhiteSpace(request.Currency) ? "currency: missing" : null;
        await using var unit = await outbox.BeginAsync(ct);
        await using (var insert = unit.Command($"""
            INSERT INTO "{database.Schema}".payouts (payment_id, reference, run_id, worker_id, worker_name, msisdn, amount, currency, requested_at,
                status, reason, settled_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (payment_id) DO NOTHING
            """))
        {
            var now = clock.GetUtcNow();
            foreach (var value in new object?[] { request.PaymentId, request.Reference, request.PayRunId, request.WorkerId, request.WorkerName,
                         request.Msisdn ?? "", request.Amount, request.Currency, request.RequestedAt, problem is null ? PayoutStatus.Queued : PayoutStatus.Rejected,
                         problem is null ? null : $"payment {request.Reference} of worker {request.WorkerId}: {problem}", problem is null ? null : now })
            {
                insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = value ?? DBNull.Value });
            }
            if (await insert.ExecuteNonQueryAsync(ct) == 1)
            {
                if (problem is not null)
                {
                    logger.LogWarning("Wallet payment {Reference} of worker {Worker} refused: {Problem}", request.Reference, request.WorkerId, problem);
                    await unit.PublishAsync(new PaymentFailedV1(request.PaymentId, $"payment {request.Reference} of worker {request.WorkerId}: {problem}",
                        null, "invalid-request", now));
                }
                await unit.CommitAsync(ct);
                if (problem is null) dispatcher.Wake();
                return;
            }
        }
        // Seen before: tell Payroll again what became of it, if anything has.
        await using (var read = unit.Command($"""
            SELECT status, provider_reference, reason, settled_at FROM "{database.Schema}".payouts WHERE payment_id = $1
            """))
        {
            read.Parameters.Add(new Npgsql.NpgsqlParameter { Value = request.PaymentId });
            await using var r = await read.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct))
            {
                var (status, settledAt) = (r.GetString(0), r.IsDBNull(3) ? clock.GetUtcNow() : r.GetFieldValue<DateTimeOffset>(3));
                object? outcome = status switch
                {
                    PayoutStatus.Completed => PayoutOutcomes.Settled(request.PaymentId, r.IsDBNull(1) ? null : r.GetString(1), settledAt),
                    PayoutStatus.Rejected => new PaymentFailedV1(request.PaymentId, r.IsDBNull(2) ? "rejected by the mobile money provider" : r.GetString(2),
                        null, "rejected", settledAt),
                    _ => null,
                };
                await r.DisposeAsync();
                if (outcome is not null) await unit.PublishAsync(outcome);
            }
        }
        await unit.CommitAsync(ct);
    }
}

public static class PayoutOutcomes
{
    public static PaymentSettledV1 Settled(Guid paymentId, string? providerReference, DateTimeOffset settledAt) =>
        new(paymentId, PaymentReference.For(paymentId), null, settledAt, providerReference, PayoutRails.MobileMoney);
}
