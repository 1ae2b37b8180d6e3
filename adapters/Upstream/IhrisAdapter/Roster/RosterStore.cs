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

        -- When the whole roster was last read: at least daily (Roster:FullReadEvery), so that end dates passing without
        -- any edit in iHRIS are noticed.
        ALTER TABLE roster_cursor ADD COLUMN IF NOT EXISTS last_full_read_at timestamptz;

        -- Full reads that would have retired more than Roster:MassLeavingShare of the roster: held until a person
        -- confirms (then only those still missing in a fresh read leave) or dismisses them. One open hold at a time.
        CREATE TABLE IF NOT EXISTS roster_holds (
            id           bigserial PRIMARY KEY,
            held_at      timestamptz NOT NULL DEFAULT now(),
            roster_size  integer NOT NULL,
            missing      integer NOT NULL,
            worker_ids   text[] NOT NULL,
            status       text NOT NULL DEFAULT 'held',
            decided_by   text,
            decided_at   timestamptz,
            reason       text,
            retired      integer
        );
        CREATE UNIQUE INDEX IF NOT EXISTS roster_holds_one_open ON roster_holds (status) WHERE status = 'held';

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

/// <summary>A held full read: who would have left, out of how many on the roster, and what a person decided.</summary>
public sealed record RosterHold(long Id, DateTime HeldAt, int RosterSize, int Missing, string[] WorkerIds, string Status, string? DecidedBy,
    DateTime? DecidedAt, string? Reason, int? Retired)
{
    public const string Held = "held";
    public const string Confirmed = "confirmed";
    public const string Dismissed = "dismissed";
    /// <summary>A later full read found few enough missing to retire them without asking.</summary>
    public const string Superseded = "superseded";
}

public sealed record QuarantinedWorker(long Id, string WorkerId, string Resource, string Field, string Reason, DateTime FirstSeen, DateTime LastSeen);
