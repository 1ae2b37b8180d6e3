namespace OneClickSuite.Emulators.Ihris.Fhir;

/// <summary>
/// Tables of the FHIR store. Every write is a row in <c>fhir_resource</c> (one row per version); the current version
/// is the one not yet superseded. <c>fhir_clock</c> hands out the ordering sequence and lastUpdated under a row lock,
/// so commits happen in sequence order and a reader never sees seq N+1 before seq N.
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
        CREATE UNIQUE INDEX IF NOT EXISTS fhir_resource_current ON fhir_resource (res_type, res_id) WHERE superseded_seq IS NULL;
        CREATE INDEX IF NOT EXISTS fhir_resource_type_time ON fhir_resource (res_type, last_updated, seq);
        CREATE INDEX IF NOT EXISTS fhir_resource_time ON fhir_resource (last_updated, seq);

        CREATE TABLE IF NOT EXISTS fhir_token (
            res_type text NOT NULL,
            res_id text NOT NULL,
            param text NOT NULL,
            system text,
            value text NOT NULL);
        CREATE INDEX IF NOT EXISTS fhir_token_value ON fhir_token (res_type, param, value, res_id);
        CREATE INDEX IF NOT EXISTS fhir_token_owner ON fhir_token (res_type, res_id);

        CREATE TABLE IF NOT EXISTS fhir_reference (
            res_type text NOT NULL,
            res_id text NOT NULL,
            param text NOT NULL,
            target_type text NOT NULL,
            target_id text NOT NULL);
        CREATE INDEX IF NOT EXISTS fhir_reference_target ON fhir_reference (target_id, param, res_type, target_type);
        CREATE INDEX IF NOT EXISTS fhir_reference_owner ON fhir_reference (res_type, res_id);

        CREATE TABLE IF NOT EXISTS ihris_setting (
            name text PRIMARY KEY,
            value text NOT NULL);
        """;
}
