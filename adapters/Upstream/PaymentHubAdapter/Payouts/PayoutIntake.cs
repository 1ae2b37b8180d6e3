using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.PaymentHubAdapter.Payouts;

/// <summary>Handles Payroll's Payment Hub payment requests: each is recorded once, by its payment id, to be batched.</summary>
public sealed class HubPaymentRequestedHandler(PayoutIntake intake)
{
    public Task Handle(HubPaymentRequestedV1 request, CancellationToken ct) => intake.AcceptAsync(request, ct);
}

/// <summary>
/// Records a payment to be sent in the next batch. A redelivered or resent request finds its row and changes nothing;
/// if that payment already has an outcome, the outcome is published again (Payroll resends only what it has no outcome
/// for, and ignores a repeat). A request Payment Hub could not pay (a mode it is not sent, a payee that does not fit the
/// mode, an amount that is not positive) fails at once with the field and the payment named.
/// </summary>
public sealed class PayoutIntake(TransactionalOutbox outbox, SuiteDatabase database, BatchDispatcher dispatcher, TimeProvider clock,
    ILogger<PayoutIntake> logger)
{
    /// <summary>Why Payment Hub could not take this request, or null. Commas are refused: PH-EE turns every batch into CSV.</summary>
    public static string? Problem(HubPaymentRequestedV1 request) =>
        HubPaymentModes.PayeeKeyOf(request.PaymentMode) is not { } key ? $"paymentMode: \"{request.PaymentMode}\" is not GSMA or CLOSEDLOOP"
        : request.PayeeKey != key ? $"payeeKey: \"{request.PayeeKey}\" does not go with payment mode {request.PaymentMode} (it takes {key})"
        : request.PaymentMode == HubPaymentModes.Gsma && Msisdn.Problem(request.PayeeValue) is { } msisdn ? $"payeeValue: {msisdn}"
        : request.PaymentMode == HubPaymentModes.ClosedLoop && (string.IsNullOrEmpty(request.PayeeValue) || !request.PayeeValue.All(char.IsAsciiDigit))
            ? $"payeeValue: \"{request.PayeeValue}\" is not an account number (digits only)"
        : request.Amount <= 0 ? $"amount: {request.Amount} is not a positive amount"
        : string.IsNullOrWhiteSpace(request.Currency) || !request.Currency.All(char.IsAsciiLetterUpper) ? $"currency: \"{request.Currency}\" is not a currency code"
        : null;

    public async Task AcceptAsync(HubPaymentRequestedV1 request, CancellationToken ct)
    {
        var problem = Problem(request);
        var reason = problem is null ? null : $"payment {request.Reference} of worker {request.WorkerId}: {problem}";
        await using var unit = await outbox.BeginAsync(ct);
        await using (var insert = unit.Command($"""
            INSERT INTO "{database.Schema}".payouts (payment_id, reference, run_id, worker_id, worker_name, payment_mode, payee_key, payee_value,
                amount, currency, period, requested_at, status, reason, settled_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            ON CONFLICT (payment_id) DO NOTHING
            """))
        {
            var now = clock.GetUtcNow();
            foreach (var value in new object?[] { request.PaymentId, request.Reference, request.PayRunId, request.WorkerId, request.WorkerName,
                         request.PaymentMode ?? "", request.PayeeKey ?? "", request.PayeeValue ?? "", request.Amount, request.Currency ?? "", request.Period,
                         request.RequestedAt, problem is null ? PayoutStatus.Queued : PayoutStatus.Failed, reason, problem is null ? null : now })
            {
                insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = value ?? DBNull.Value });
            }
            if (await insert.ExecuteNonQueryAsync(ct) == 1)
            {
                if (reason is not null)
                {
                    logger.LogWarning("Payment Hub payment {Reference} of worker {Worker} refused: {Problem}", request.Reference, request.WorkerId, problem);
                    await unit.PublishAsync(new PaymentFailedV1(request.PaymentId, reason, null, "invalid-request", now));
                }
                await unit.CommitAsync(ct);
                if (reason is null) dispatcher.Wake();
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
                    PayoutStatus.Failed => new PaymentFailedV1(request.PaymentId, r.IsDBNull(2) ? "failed by Payment Hub" : r.GetString(2), null,
                        "failed", settledAt),
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
    /// <summary>Settled on the Payment Hub rail; <paramref name="providerReference"/> is PH-EE's transfer (transaction) id.</summary>
    public static PaymentSettledV1 Settled(Guid paymentId, string? providerReference, DateTimeOffset settledAt) =>
        new(paymentId, PaymentReference.For(paymentId), null, settledAt, providerReference, PayoutRails.PaymentHub);
}
