namespace OneClickSuite.OdkAdapter.Roster;

/// <summary>
/// The entity list as it should be (from roster events) next to what was last written to ODK Central. A row is
/// pending while <c>revision &gt; synced_revision</c>.
/// </summary>
public static class EntityListStore
{
    public static readonly string Ddl = """
        CREATE TABLE IF NOT EXISTS roster_entities (
            worker_id        text PRIMARY KEY,
            entity_uuid      uuid NOT NULL UNIQUE,
            generation       int NOT NULL DEFAULT 0,
            revision         bigint NOT NULL,
            present          boolean NOT NULL,
            label            text NOT NULL,
            data             jsonb NOT NULL,
            trace_parent     text,
            synced_revision  bigint NOT NULL DEFAULT 0,
            odk_version      int,
            attempts         int NOT NULL DEFAULT 0,
            next_attempt_at  timestamptz NOT NULL DEFAULT now(),
            last_error       text,
            updated_at       timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX IF NOT EXISTS roster_entities_pending ON roster_entities (next_attempt_at) WHERE revision > synced_revision;

        -- What the portal may read (ReadAccess): each worker's entity and whether it reached Central.
        CREATE OR REPLACE VIEW read_roster_entities AS SELECT * FROM roster_entities;
        """ + "\n" + Messaging.ReadAccess.GrantToPortal("odk_adapter", "read_roster_entities");
}

public sealed record PendingEntity(
    string WorkerId, Guid EntityUuid, long Revision, bool Present, string Label, string Data, string? TraceParent,
    int? OdkVersion, int Attempts);
