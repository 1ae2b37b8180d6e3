namespace OneClickSuite.Emulators.PaymentHub;

/// <summary>
/// The bulk processor's batches and the operations app's transfers (ph-ee-operations-app entities <c>Batch</c>,
/// <c>Transfer</c>), with the emulator's own bookkeeping (dispatch, callbacks, dropped duplicates).
/// </summary>
internal static class Schema
{
    public const string Ddl = """
        CREATE TABLE IF NOT EXISTS ph_batch (
            batch_id text PRIMARY KEY,
            tenant text NOT NULL,
            request_id text NOT NULL,
            purpose text,
            callback_url text,
            registering_institution_id text,
            program_id text,
            payee_dfsp_id text,
            note text,
            started_at timestamptz NOT NULL DEFAULT now(),
            completed_at timestamptz,
            phases_left int[] NOT NULL,
            duplicates int NOT NULL DEFAULT 0
        );
        ALTER TABLE ph_batch ADD COLUMN IF NOT EXISTS authorization_status text;
        ALTER TABLE ph_batch ADD COLUMN IF NOT EXISTS authorization_key text;
        CREATE TABLE IF NOT EXISTS ph_transfer (
            id bigserial PRIMARY KEY,
            batch_id text NOT NULL REFERENCES ph_batch(batch_id),
            workflow_instance_key bigint NOT NULL,
            transaction_id text NOT NULL UNIQUE,
            client_correlation_id text,
            payment_mode text,
            payer_party_id_type text,
            payer_party_id text,
            payee_party_id_type text,
            payee_party_id text,
            payee_dfsp_id text,
            amount numeric NOT NULL,
            currency text,
            note text,
            status text NOT NULL,
            error_information text,
            started_at timestamptz NOT NULL DEFAULT now(),
            completed_at timestamptz,
            dispatched boolean NOT NULL DEFAULT false,
            attempts int NOT NULL DEFAULT 0,
            provider_reference text
        );
        CREATE INDEX IF NOT EXISTS ph_transfer_batch ON ph_transfer(batch_id, id);
        CREATE INDEX IF NOT EXISTS ph_transfer_pending ON ph_transfer(id) WHERE NOT dispatched;
        CREATE TABLE IF NOT EXISTS ph_callback (
            id bigserial PRIMARY KEY,
            batch_id text NOT NULL,
            url text NOT NULL,
            body text NOT NULL,
            attempt int NOT NULL,
            outcome text NOT NULL,
            sent_at timestamptz NOT NULL DEFAULT now()
        );
        """;
}
