namespace OneClickSuite.IhrisAdapter.Roster;

/// <summary>The adapter's tables: what was last published per worker, the read cursor, and the quarantine.</summary>
public static class RosterStore
{
    public static readonly string Ddl = """
        CREATE TABLE IF NOT EXISTS roster_workers (
            worker_id       text PRIMARY KEY,
            employee_number text NOT NULL,
            content_hash    text NOT NULL,
            on_roster       boolean NOT NULL,
            revision        bigint NOT NULL,
            snapshot        jsonb NOT NULL,
            updated_at      timestamptz NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX IF NOT EXISTS roster_workers_employee_number ON roster_workers (employee_number);

        CREATE TABLE IF NOT EXISTS roster_cursor (
            id              int PRIMARY KEY,
            last_updated    timestamptz,
            last_success_at timestamptz NOT NULL
        );
        -- When the read that saw everything up to last_updated started: once that is well after last_updated, the
        -- next read need not go back the overlap again.
        ALTER TABLE roster_cursor ADD COLUMN IF NOT EXISTS read_at timestamptz;

        CREATE TABLE IF NOT EXISTS quarantine (
            id          bigserial PRIMARY KEY,
            worker_id   text NOT NULL UNIQUE,
            resource    text NOT NULL,
            field       text NOT NULL,
            reason      text NOT NULL,
            first_seen  timestamptz NOT NULL DEFAULT now(),
            last_seen   timestamptz NOT NULL DEFAULT now()
        );

        -- What the portal may read (ReadAccess): the roster as published and what is set aside.
        CREATE OR REPLACE VIEW read_roster_workers AS SELECT * FROM roster_workers;
        CREATE OR REPLACE VIEW read_quarantine AS SELECT * FROM quarantine;
        """ + "\n" + Messaging.ReadAccess.GrantToPortal("ihris_adapter", "read_roster_workers", "read_quarantine");
}

public sealed record StoredWorker(string WorkerId, string EmployeeNumber, string ContentHash, bool OnRoster, long Revision, string Snapshot);

public sealed record QuarantinedWorker(long Id, string WorkerId, string Resource, string Field, string Reason, DateTime FirstSeen, DateTime LastSeen);
