namespace OneClickSuite.Emulators.Ihris.Fhir;

/// <summary>
/// Tables of the FHIR store. Every write is a row in <c>fhir_resource</c> (one row per version); the current version
/// is the one not yet superseded, <c>pid</c> is the seq of a resource's first version (HAPI's resource PID, which
/// orders unsorted searches). <c>fhir_clock</c> hands out the ordering sequence and lastUpdated under a row lock, so
/// commits happen in sequence order and a reader never sees seq N+1 before seq N. <c>fhir_search</c> keeps HAPI's
/// paged searches (the <c>_getpages</c> ids) with the snapshot they read.
/// </summary>
public static class FhirSchema
{
    public const string Ddl = """
        CREATE TABLE IF NOT EXISTS fhir_clock (
            id int PRIMARY KEY,
            seq bigint NOT NULL,
            last_updated timestamptz NOT NULL);
        INSERT INTO fhir_clock (id, seq, last_updated) VALUES (1, 0, '2000-01-01T00:00:00Z') ON CONFLICT DO NOTHING;

        CREATE SEQUENCE IF NOT EXISTS fhir_server_id;

        CREATE TABLE IF NOT EXISTS fhir_resource (
            seq bigint PRIMARY KEY,
            res_type text NOT NULL,
            res_id text NOT NULL,
            version int NOT NULL,
            last_updated timestamptz NOT NULL,
            deleted boolean NOT NULL,
            superseded_seq bigint,
            body text,
            UNIQUE (res_type, res_id, version));
        ALTER TABLE fhir_resource ADD COLUMN IF NOT EXISTS pid bigint;
        ALTER TABLE fhir_resource ADD COLUMN IF NOT EXISTS content_hash text;
        UPDATE fhir_resource r SET pid = f.seq FROM fhir_resource f
            WHERE r.pid IS NULL AND f.res_type = r.res_type AND f.res_id = r.res_id AND f.version = 1;
        CREATE UNIQUE INDEX IF NOT EXISTS fhir_resource_current ON fhir_resource (res_type, res_id) WHERE superseded_seq IS NULL;
        CREATE INDEX IF NOT EXISTS fhir_resource_type_time ON fhir_resource (res_type, last_updated, seq);
        CREATE INDEX IF NOT EXISTS fhir_resource_type_pid ON fhir_resource (res_type, pid, seq);
        CREATE INDEX IF NOT EXISTS fhir_resource_time ON fhir_resource (last_updated, seq);

        CREATE TABLE IF NOT EXISTS fhir_token (
            res_type text NOT NULL,
            res_id text NOT NULL,
            param text NOT NULL,
            system text,
            value text NOT NULL);
        CREATE INDEX IF NOT EXISTS fhir_token_value ON fhir_token (res_type, param, value, res_id);
        CREATE INDEX IF NOT EXISTS fhir_token_owner ON fhir_token (res_type, res_id);

        CREATE TABLE IF NOT EXISTS fhir_string (
            res_type text NOT NULL,
            res_id text NOT NULL,
            param text NOT NULL,
            normalized text NOT NULL,
            exact text NOT NULL);
        CREATE INDEX IF NOT EXISTS fhir_string_value ON fhir_string (res_type, param, normalized text_pattern_ops);
        CREATE INDEX IF NOT EXISTS fhir_string_owner ON fhir_string (res_type, res_id);

        CREATE TABLE IF NOT EXISTS fhir_reference (
            res_type text NOT NULL,
            res_id text NOT NULL,
            param text NOT NULL,
            target_type text NOT NULL,
            target_id text NOT NULL);
        CREATE INDEX IF NOT EXISTS fhir_reference_target ON fhir_reference (target_id, param, res_type, target_type);
        CREATE INDEX IF NOT EXISTS fhir_reference_owner ON fhir_reference (res_type, res_id);

        CREATE TABLE IF NOT EXISTS fhir_search (
            uuid text PRIMARY KEY,
            kind text NOT NULL,
            res_type text,
            res_id text,
            query text NOT NULL,
            cache_key text NOT NULL,
            snapshot bigint NOT NULL,
            total int NOT NULL,
            created timestamptz NOT NULL,
            last_returned timestamptz NOT NULL);
        CREATE INDEX IF NOT EXISTS fhir_search_cache ON fhir_search (cache_key, created);
        CREATE INDEX IF NOT EXISTS fhir_search_returned ON fhir_search (last_returned);

        CREATE TABLE IF NOT EXISTS fhir_search_cursor (
            uuid text NOT NULL,
            page_offset int NOT NULL,
            after_ts timestamptz,
            after_key bigint NOT NULL,
            PRIMARY KEY (uuid, page_offset));

        CREATE TABLE IF NOT EXISTS ihris_setting (
            name text PRIMARY KEY,
            value text NOT NULL);
        """;
}
