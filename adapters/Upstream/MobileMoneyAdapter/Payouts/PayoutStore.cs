namespace OneClickSuite.MobileMoneyAdapter.Payouts;

/// <summary>
/// The adapter's own books: one row per payment (its id from Payroll, so a redelivered request is the same row) and
/// one per batch sent to the provider. A batch's key is the X-CorrelationID of the request that creates it: written
/// here before the request leaves, so after any crash the adapter asks the provider about that key
/// (<c>GET /responses/{clientCorrelationId}</c>) instead of sending the payments a second time.
/// </summary>
public static class PayoutStore
{
    public static readonly string Ddl = """
        CREATE TABLE IF NOT EXISTS payouts (
            payment_id          uuid PRIMARY KEY,
            reference           text NOT NULL UNIQUE,
            run_id              uuid NOT NULL,
            worker_id           text NOT NULL,
            worker_name         text NOT NULL,
            msisdn              text NOT NULL,
            amount              numeric(19,4) NOT NULL,
            currency            text NOT NULL,
            requested_at        timestamptz NOT NULL,
            received_at         timestamptz NOT NULL DEFAULT now(),
            status              text NOT NULL,
            batch_key           uuid,
            provider_reference  text,
            reason              text,
            settled_at          timestamptz);
        CREATE INDEX IF NOT EXISTS ix_payouts_queued ON payouts (currency, received_at) WHERE status = 'queued';
        CREATE INDEX IF NOT EXISTS ix_payouts_batch ON payouts (batch_key);

        CREATE TABLE IF NOT EXISTS batches (
            batch_key              uuid PRIMARY KEY,
            created_at             timestamptz NOT NULL,
            currency               text NOT NULL,
            payouts                integer NOT NULL,
            total                  numeric(19,4) NOT NULL,
            state                  text NOT NULL,
            callback_token         text NOT NULL,
            server_correlation_id  text,
            batch_id               text,
            approve_key            uuid,
            next_check_at          timestamptz NOT NULL,
            checks                 integer NOT NULL DEFAULT 0,
            completed_count        integer,
            rejection_count        integer,
            last_error             text,
            updated_at             timestamptz NOT NULL DEFAULT now());
        CREATE INDEX IF NOT EXISTS ix_batches_due ON batches (next_check_at) WHERE state NOT IN ('settled', 'failed');

        -- What the portal may read (ReadAccess): each payout and each batch's progress.
        CREATE OR REPLACE VIEW read_payouts AS
            SELECT payment_id, reference, run_id, worker_id, msisdn, amount, currency, status, batch_key, provider_reference, reason,
                   received_at, settled_at FROM payouts;
        CREATE OR REPLACE VIEW read_batches AS
            SELECT batch_key, created_at, currency, payouts, total, state, batch_id, completed_count, rejection_count, last_error, updated_at
            FROM batches;
        """ + "\n" + Messaging.ReadAccess.GrantToPortal("mobile_money_adapter", "read_payouts", "read_batches");
}

/// <summary>A payout's life: queued until a batch takes it, batched until the provider completes or rejects it.</summary>
public static class PayoutStatus
{
    public const string Queued = "queued";
    public const string Batched = "batched";
    public const string Completed = "completed";
    public const string Rejected = "rejected";
}

/// <summary>
/// A batch's life at the provider. <c>new</c>: recorded, not yet (surely) sent; <c>unsure</c>: sent, answer lost, ask
/// the provider by its key; <c>submitted</c>: the provider is parsing it; <c>created</c>: waiting for our approval;
/// <c>approved</c>: executing; <c>settled</c>: every payout completed or rejected; <c>failed</c>: the provider refused
/// the whole batch (nothing paid).
/// </summary>
public static class BatchState
{
    public const string New = "new";
    public const string Unsure = "unsure";
    public const string Submitted = "submitted";
    public const string Created = "created";
    public const string Approved = "approved";
    public const string Settled = "settled";
    public const string Failed = "failed";
}
