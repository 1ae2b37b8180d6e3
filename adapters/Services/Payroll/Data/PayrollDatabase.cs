using OneClickSuite.Messaging;
using Npgsql;

namespace OneClickSuite.Payroll.Data;

/// <summary>Payroll's own tables, in schema "payroll" of the suite database (connection string "suite-db").</summary>
public static class PayrollDatabase
{
    public const string ConnectionStringName = "suite-db";
    public const string Schema = "payroll";

    private const string Ddl = """
        -- Workers as the roster events describe them; employment dates drive salary proration.
        CREATE TABLE IF NOT EXISTS payroll.workers (
            worker_id        text PRIMARY KEY,
            employee_number  text NOT NULL,
            display_name     text NOT NULL,
            facility_id      text NOT NULL,
            facility_name    text NOT NULL,
            job_code         text NOT NULL,
            cadre            text NOT NULL,
            pay_kind         text NOT NULL,
            salary_amount    numeric(19,2),
            salary_currency  text,
            active           boolean NOT NULL,
            employed_from    date,
            employed_until   date,
            roster_revision  bigint NOT NULL,
            updated_at       timestamptz NOT NULL DEFAULT now());
        CREATE INDEX IF NOT EXISTS ix_workers_facility ON payroll.workers (facility_id);

        -- Where a worker is paid (WorkerAccountLinked); may arrive before the worker itself.
        CREATE TABLE IF NOT EXISTS payroll.worker_accounts (
            worker_id          text PRIMARY KEY,
            fineract_client_id bigint NOT NULL,
            savings_account_id bigint NOT NULL,
            credits_blocked    boolean NOT NULL,
            revision           bigint NOT NULL);

        -- One row per ODK submission: its latest version, and whether it counts now.
        CREATE TABLE IF NOT EXISTS payroll.activities (
            submission_id      text PRIMARY KEY,
            worker_id          text NOT NULL,
            period             date NOT NULL,
            counts             jsonb NOT NULL,
            review_state       text,
            counted            boolean NOT NULL,
            submission_version bigint NOT NULL,
            updated_at         timestamptz NOT NULL DEFAULT now());
        CREATE INDEX IF NOT EXISTS ix_activities_worker_period ON payroll.activities (worker_id, period);

        -- (worker, period) whose activity changed after a pay line was made for it: the next run adjusts it.
        CREATE TABLE IF NOT EXISTS payroll.activity_changes (
            worker_id  text NOT NULL,
            period     date NOT NULL,
            changed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (worker_id, period));

        CREATE TABLE IF NOT EXISTS payroll.pay_runs (
            id                uuid PRIMARY KEY,
            period            date NOT NULL,
            population_kind   text NOT NULL,
            population_value  text,
            rule_set_version  text NOT NULL,
            status            text NOT NULL,
            line_count        integer NOT NULL,
            total             numeric(19,2) NOT NULL,
            currency          text NOT NULL,
            created_by        text NOT NULL,
            created_at        timestamptz NOT NULL,
            submitted_by      text,
            submitted_at      timestamptz,
            approved_by       text,
            approved_at       timestamptz,
            disbursing_at     timestamptz,
            completed_at      timestamptz,
            cancelled_by      text,
            cancelled_at      timestamptz,
            cancel_reason     text,
            reconciliation    jsonb,
            reconciled_at     timestamptz);

        CREATE TABLE IF NOT EXISTS payroll.pay_lines (
            id                    uuid PRIMARY KEY,
            run_id                uuid NOT NULL REFERENCES payroll.pay_runs (id),
            worker_id             text NOT NULL,
            employee_number       text NOT NULL,
            worker_name           text NOT NULL,
            facility_id           text NOT NULL,
            cadre                 text NOT NULL,
            period                date NOT NULL,
            kind                  text NOT NULL,
            amount                numeric(19,2) NOT NULL,
            currency              text NOT NULL,
            explanation           text NOT NULL,
            submissions           text[] NOT NULL,
            status                text NOT NULL,
            payment_id            uuid,
            attempts              integer NOT NULL DEFAULT 0,
            failure_reason        text,
            written_off_by        text,
            written_off_at        timestamptz,
            write_off_reason      text,
            paid_at               timestamptz,
            fineract_transfer_id  bigint,
            run_cancelled         boolean NOT NULL DEFAULT false);
        -- The same worker is never paid twice for a period: one line per (worker, period, kind) across every run
        -- that is not cancelled. Adjustments are the exception, and at most one per run.
        CREATE UNIQUE INDEX IF NOT EXISTS ux_pay_lines_once ON payroll.pay_lines (worker_id, period, kind)
            WHERE kind <> 'adjustment' AND NOT run_cancelled;
        CREATE UNIQUE INDEX IF NOT EXISTS ux_pay_lines_per_run ON payroll.pay_lines (run_id, worker_id, period, kind);
        CREATE INDEX IF NOT EXISTS ix_pay_lines_run_status ON payroll.pay_lines (run_id, status);
        CREATE INDEX IF NOT EXISTS ix_pay_lines_worker_period ON payroll.pay_lines (worker_id, period);

        -- Every attempt to pay a line; a retry after a failure is a new payment with a new id.
        CREATE TABLE IF NOT EXISTS payroll.payments (
            payment_id            uuid PRIMARY KEY,
            line_id               uuid NOT NULL REFERENCES payroll.pay_lines (id),
            run_id                uuid NOT NULL,
            attempt               integer NOT NULL,
            amount                numeric(19,2) NOT NULL,
            currency              text NOT NULL,
            status                text NOT NULL,
            reason                text,
            fineract_status       integer,
            fineract_code         text,
            fineract_transfer_id  bigint,
            requested_at          timestamptz NOT NULL,
            settled_at            timestamptz);
        CREATE INDEX IF NOT EXISTS ix_payments_run ON payroll.payments (run_id);
        -- The transfer date sent with the request; a repeat of the request must send the same.
        ALTER TABLE payroll.payments ADD COLUMN IF NOT EXISTS pay_date date;
        -- How often the request was sent again without an outcome (the resender's spacing and limit).
        ALTER TABLE payroll.payments ADD COLUMN IF NOT EXISTS resends integer NOT NULL DEFAULT 0;

        -- The raw iHRIS records Payroll computes pay from (roles with their periods, salary records with their texts),
        -- and what the checks compare (birth date, phone).
        ALTER TABLE payroll.workers ADD COLUMN IF NOT EXISTS roles jsonb NOT NULL DEFAULT '[]';
        ALTER TABLE payroll.workers ADD COLUMN IF NOT EXISTS salaries jsonb NOT NULL DEFAULT '[]';
        ALTER TABLE payroll.workers ADD COLUMN IF NOT EXISTS birth_date text;
        ALTER TABLE payroll.workers ADD COLUMN IF NOT EXISTS phone text;
        ALTER TABLE payroll.workers ALTER COLUMN pay_kind DROP NOT NULL;
        -- Name (lower case, spaces collapsed) and birth date: two workers with the same key look like one person.
        ALTER TABLE payroll.workers ADD COLUMN IF NOT EXISTS person_key text;
        CREATE INDEX IF NOT EXISTS ix_workers_person ON payroll.workers (person_key) WHERE person_key IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ix_workers_phone ON payroll.workers (phone) WHERE phone IS NOT NULL;

        -- Why a run is for a period other than the current or the previous one; what it set aside; its pay date.
        ALTER TABLE payroll.pay_runs ADD COLUMN IF NOT EXISTS period_reason text;
        ALTER TABLE payroll.pay_runs ADD COLUMN IF NOT EXISTS warnings text[] NOT NULL DEFAULT '{}';
        ALTER TABLE payroll.pay_runs ADD COLUMN IF NOT EXISTS checks_computed_at timestamptz;
        -- The workers the run set aside (held): a leaver among them was not seen owing nothing (Leavers).
        ALTER TABLE payroll.pay_runs ADD COLUMN IF NOT EXISTS set_aside text[] NOT NULL DEFAULT '{}';

        -- Workers set aside: nothing is paid to them while a row is here. Re-evaluated whenever their roster event
        -- arrives, at every run, and on request (after the rule set changed).
        CREATE TABLE IF NOT EXISTS payroll.pay_holds (
            worker_id   text NOT NULL,
            record      text NOT NULL,
            field       text NOT NULL,
            value       text,
            reason      text NOT NULL,
            first_seen  timestamptz NOT NULL DEFAULT now(),
            last_seen   timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (worker_id, record, field));

        -- What the approver sees before approving: per line (or for the run), blocking or not, and who resolved it why.
        CREATE TABLE IF NOT EXISTS payroll.run_checks (
            id           bigserial PRIMARY KEY,
            run_id       uuid NOT NULL REFERENCES payroll.pay_runs (id),
            line_id      uuid,
            worker_id    text,
            kind         text NOT NULL,
            subject      text NOT NULL DEFAULT '',
            blocking     boolean NOT NULL,
            detail       text NOT NULL,
            computed_at  timestamptz NOT NULL,
            cleared_at   timestamptz,
            resolved_by  text,
            resolved_at  timestamptz,
            resolution   text);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_run_checks ON payroll.run_checks (run_id, kind, COALESCE(line_id, '00000000-0000-0000-0000-000000000000'::uuid), subject);

        -- One statement per paid line: what counted, what was paid, where and when.
        CREATE TABLE IF NOT EXISTS payroll.pay_statements (
            id              uuid PRIMARY KEY REFERENCES payroll.pay_lines (id),
            run_id          uuid NOT NULL,
            worker_id       text NOT NULL,
            period          date NOT NULL,
            counted         text NOT NULL,
            deductions      text NOT NULL,
            paid_to         text NOT NULL,
            paid_at         timestamptz NOT NULL,
            version         bigint NOT NULL DEFAULT 1);
        CREATE INDEX IF NOT EXISTS ix_pay_statements_worker ON payroll.pay_statements (worker_id, period);

        -- Queries about statements from workers (ODK form pay_query), answered by a clerk.
        CREATE TABLE IF NOT EXISTS payroll.disputes (
            id                  uuid PRIMARY KEY,
            submission_id       text NOT NULL UNIQUE,
            submission_version  bigint NOT NULL,
            statement_id        uuid,
            statement_text      text,
            worker_id           text,
            question            text NOT NULL,
            received_at         timestamptz NOT NULL,
            status              text NOT NULL,
            answer              text,
            outcome             text,
            answered_by         text,
            answered_at         timestamptz);

        -- Leavers paid everything owed: their account may refuse credits from then on (WorkerPayClosedV1).
        CREATE TABLE IF NOT EXISTS payroll.worker_closures (
            worker_id        text PRIMARY KEY,
            final_period     date NOT NULL,
            roster_revision  bigint NOT NULL,
            closed_at        timestamptz NOT NULL);

        -- Where each worker is paid: changes asked for by one person and decided by another. No approved row: the
        -- savings account enrolment opened (rail fineract). The approved rows, newest last, are the destination's history.
        CREATE TABLE IF NOT EXISTS payroll.payout_destinations (
            id             uuid PRIMARY KEY,
            worker_id      text NOT NULL,
            rail           text NOT NULL,
            msisdn         text,
            holder_name    text,
            status         text NOT NULL,
            requested_by   text NOT NULL,
            requested_at   timestamptz NOT NULL,
            reason         text,
            decided_by     text,
            decided_at     timestamptz,
            decision_note  text);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_payout_destinations_pending ON payroll.payout_destinations (worker_id) WHERE status = 'pending';
        CREATE INDEX IF NOT EXISTS ix_payout_destinations_approved ON payroll.payout_destinations (worker_id, decided_at) WHERE status = 'approved';

        -- The rail and destination each payment was sent to (a resend sends the same), and the provider's reference.
        ALTER TABLE payroll.payments ADD COLUMN IF NOT EXISTS rail text NOT NULL DEFAULT 'fineract';
        ALTER TABLE payroll.payments ADD COLUMN IF NOT EXISTS msisdn text;
        ALTER TABLE payroll.payments ADD COLUMN IF NOT EXISTS provider_reference text;
        ALTER TABLE payroll.pay_lines ADD COLUMN IF NOT EXISTS rail text;
        -- Payment Hub destinations: its payment mode and the payee as a party (key, value); the payee each payment went to.
        ALTER TABLE payroll.payout_destinations ADD COLUMN IF NOT EXISTS payment_mode text;
        ALTER TABLE payroll.payout_destinations ADD COLUMN IF NOT EXISTS payee_key text;
        ALTER TABLE payroll.payout_destinations ADD COLUMN IF NOT EXISTS payee_value text;
        ALTER TABLE payroll.payments ADD COLUMN IF NOT EXISTS payment_mode text;
        ALTER TABLE payroll.payments ADD COLUMN IF NOT EXISTS payee_key text;
        ALTER TABLE payroll.payments ADD COLUMN IF NOT EXISTS payee_value text;
        """;

    /// <summary>What the portal may read (ReadAccess): workers as Payroll knows them, runs, their lines and payments.</summary>
    private static readonly string ReadViews = """
        CREATE OR REPLACE VIEW payroll.read_workers AS SELECT * FROM payroll.workers;
        CREATE OR REPLACE VIEW payroll.read_pay_runs AS SELECT * FROM payroll.pay_runs;
        CREATE OR REPLACE VIEW payroll.read_pay_lines AS SELECT * FROM payroll.pay_lines;
        CREATE OR REPLACE VIEW payroll.read_payments AS SELECT * FROM payroll.payments;
        CREATE OR REPLACE VIEW payroll.read_payout_destinations AS SELECT * FROM payroll.payout_destinations;
        """ + "\n" + ReadAccess.GrantToPortal("payroll", "read_workers", "read_pay_runs", "read_pay_lines", "read_payments", "read_payout_destinations");

    public static async Task MigrateAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // Several replicas may start at once: one migrates, the others wait for it.
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_lock({AdvisoryLocks.PayrollMigration})", connection))
        {
            await lockCommand.ExecuteNonQueryAsync(ct);
        }
        try
        {
            await using var command = new NpgsqlCommand(SuiteDatabase.CreateSchemaIfMissing(Schema) + "\n" + Ddl + "\n" + ReadViews, connection);
            await command.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({AdvisoryLocks.PayrollMigration})", connection);
            await unlock.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>A command with positional parameters <c>$1, $2, …</c>.</summary>
    public static NpgsqlCommand Sql(this NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] args)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
        }
        return command;
    }
}
