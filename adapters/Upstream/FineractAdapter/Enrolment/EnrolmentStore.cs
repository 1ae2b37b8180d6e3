namespace OneClickSuite.FineractAdapter.Enrolment;

/// <summary>The worker ↔ Fineract client ↔ savings account mapping, with the last roster revision applied.</summary>
public static class EnrolmentStore
{
    public static readonly string Ddl = """
        CREATE TABLE IF NOT EXISTS worker_accounts (
            worker_id          text PRIMARY KEY,
            employee_number    text NOT NULL,
            client_id          bigint,
            savings_account_id bigint,
            credits_blocked    boolean NOT NULL DEFAULT false,
            applied_revision   bigint NOT NULL,
            updated_at         timestamptz NOT NULL DEFAULT now()
        );
        -- A hash of the name and phone last written to the client: a change of anything else needs no call.
        ALTER TABLE worker_accounts ADD COLUMN IF NOT EXISTS client_fields text;

        -- Leavers Payroll has paid everything owed (WorkerPayClosedV1), at the roster revision it saw: their credits are
        -- blocked once this adapter has applied that leaving, whichever of the two messages arrives first.
        CREATE TABLE IF NOT EXISTS pay_closures (
            worker_id        text PRIMARY KEY,
            roster_revision  bigint NOT NULL,
            closed_at        timestamptz NOT NULL DEFAULT now()
        );
        -- What the portal may read (ReadAccess): each worker's client and account.
        CREATE OR REPLACE VIEW read_worker_accounts AS
            SELECT worker_id, employee_number, client_id, savings_account_id, credits_blocked, applied_revision, updated_at
            FROM worker_accounts;
        """ + "\n" + Messaging.ReadAccess.GrantToPortal("fineract_adapter", "read_worker_accounts");
}

public sealed record WorkerAccount(
    string WorkerId, string EmployeeNumber, long? ClientId, long? SavingsAccountId, bool CreditsBlocked, long AppliedRevision,
    string? ClientFields);
