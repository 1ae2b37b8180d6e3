namespace OneClickSuite.PaymentHubAdapter.Payouts;

/// <summary>
/// The adapter's own books: one row per payment (its id from Payroll, so a redelivered request is the same row) and
/// one per batch. A batch is marked <c>unsure</c> and its send time written here BEFORE its request leaves: Payment Hub
/// keeps no record of a batch's X-CorrelationID that could stop a second copy, so after any crash, lost answer or
/// error the adapter looks the batch's payments up by their requestIds instead of sending them again.
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
            payment_mode        text NOT NULL,
            payee_key           text NOT NULL,
            payee_value         text NOT NULL,
            amount              numeric(19,4) NOT NULL,
            currency            text NOT NULL,
            period              date NOT NULL,
            requested_at        timestamptz NOT NULL,
            received_at         timestamptz NOT NULL DEFAULT now(),
            status              text NOT NULL,
            batch_key           uuid,
            sends               integer NOT NULL DEFAULT 0,
            provider_reference  text,
            reason              text,
            settled_at          timestamptz);
        CREATE INDEX IF NOT EXISTS ix_payouts_queued ON payouts (currency, received_at) WHERE status = 'queued';
        CREATE INDEX IF NOT EXISTS ix_payouts_batch ON payouts (batch_key);

        CREATE TABLE IF NOT EXISTS batches (
            batch_key        uuid PRIMARY KEY,
            created_at       timestamptz NOT NULL,
            currency         text NOT NULL,
            payouts          integer NOT NULL,
            total            numeric(19,4) NOT NULL,
            state            text NOT NULL,
            callback_token   text NOT NULL,
            sent_at          timestamptz,
            batch_id         text,
            recovered_at     timestamptz,
            refusal          text,
            next_check_at    timestamptz NOT NULL,
            checks           integer NOT NULL DEFAULT 0,
            completed_count  integer,
            failed_count     integer,
            resent_count     integer,
            last_error       text,
            updated_at       timestamptz NOT NULL DEFAULT now());
        CREATE INDEX IF NOT EXISTS ix_batches_due ON batches (next_check_at) WHERE state NOT IN ('settled', 'failed', 'abandoned');

        -- Payment Hub's batch authorization requests (BatchAuthorizations): each decided once, answered until taken.
        CREATE TABLE IF NOT EXISTS authorizations (
            client_correlation_id  text PRIMARY KEY,
            batch_id               text NOT NULL,
            payer_identifier       text,
            currency               text,
            amount                 numeric(19,4) NOT NULL,
            callback_url           text NOT NULL,
            received_at            timestamptz NOT NULL,
            authorized             boolean,
            reason                 text,
            batch_key              uuid,
            decided_at             timestamptz,
            answered_at            timestamptz,
            attempts               integer NOT NULL DEFAULT 0,
            next_attempt_at        timestamptz NOT NULL,
            last_error             text);
        CREATE INDEX IF NOT EXISTS ix_authorizations_due ON authorizations (next_attempt_at) WHERE answered_at IS NULL;

        -- What the portal may read (ReadAccess): each payout and each batch's progress.
        CREATE OR REPLACE VIEW read_payouts AS
            SELECT payment_id, reference, run_id, worker_id, payment_mode, payee_key, payee_value, amount, currency, status, batch_key,
                   sends, provider_reference, reason, received_at, settled_at FROM payouts;
        CREATE OR REPLACE VIEW read_batches AS
            SELECT batch_key, created_at, currency, payouts, total, state, sent_at, batch_id, recovered_at, completed_count, failed_count,
                   resent_count, last_error, updated_at,
                   (SELECT a.authorized FROM authorizations a WHERE a.batch_key = batches.batch_key ORDER BY a.decided_at DESC LIMIT 1) AS authorized
            FROM batches;
        CREATE OR REPLACE VIEW read_authorizations AS
            SELECT client_correlation_id, batch_id, batch_key, currency, amount, received_at, authorized, reason, decided_at, answered_at, attempts, last_error
            FROM authorizations;
        """ + "\n" + Messaging.ReadAccess.GrantToPortal("payment_hub_adapter", "read_payouts", "read_batches", "read_authorizations");
}

/// <summary>A payout's life: queued until a batch takes it, batched until Payment Hub completes or fails it.</summary>
public static class PayoutStatus
{
    public const string Queued = "queued";
    public const string Batched = "batched";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>
/// A batch's life at Payment Hub. <c>new</c>: recorded, never sent; <c>unsure</c>: its request may have left and no
/// batch id came back (lost 202, timeout, 5xx, crash): its payments are looked up by requestId; <c>submitted</c>: the
/// batch id is known, its transfers are followed until each is COMPLETED or FAILED; <c>settled</c>: every payment has
/// its outcome; <c>failed</c>: Payment Hub refused the request (nothing paid); <c>abandoned</c>: none of its payments
/// reached Payment Hub within the grace period: they were queued again for another batch.
/// </summary>
public static class BatchState
{
    public const string New = "new";
    public const string Unsure = "unsure";
    public const string Submitted = "submitted";
    public const string Settled = "settled";
    public const string Failed = "failed";
    public const string Abandoned = "abandoned";
}
