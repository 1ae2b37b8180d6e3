using Npgsql;

namespace OneClickSuite.Portal.Data;

/// <summary>
/// The portal's own tables (schema "portal" of the suite database): its users, with password hashes only, the
/// audit trail and the data protection keys its cookies are protected with. Everything else the portal shows is read
/// from the services' schemas, never written.
/// </summary>
public static class PortalDatabase
{
    public const string ConnectionStringName = "suite-db";

    private const string Ddl = """
        -- In a deployment the schema exists already, owned by the portal's role, which may not create schemas.
        DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'portal') THEN CREATE SCHEMA portal; END IF; END $$;

        CREATE TABLE IF NOT EXISTS portal.users (
            name        text PRIMARY KEY,
            role        text NOT NULL,
            salt        bytea NOT NULL,
            hash        bytea NOT NULL,
            iterations  integer NOT NULL,
            updated_at  timestamptz NOT NULL DEFAULT now());
        -- A new stamp when a user's password or role changes: cookies carrying the old one stop working.
        ALTER TABLE portal.users ADD COLUMN IF NOT EXISTS stamp uuid NOT NULL DEFAULT gen_random_uuid();
        -- Wrong passwords in a row, and until when the name is locked after too many.
        ALTER TABLE portal.users ADD COLUMN IF NOT EXISTS failed_attempts integer NOT NULL DEFAULT 0;
        ALTER TABLE portal.users ADD COLUMN IF NOT EXISTS locked_until timestamptz;

        CREATE TABLE IF NOT EXISTS portal.audit (
            id          bigserial PRIMARY KEY,
            at          timestamptz NOT NULL DEFAULT now(),
            actor       text NOT NULL,
            action      text NOT NULL,
            target      text NOT NULL,
            outcome     text NOT NULL,
            detail      text);
        CREATE INDEX IF NOT EXISTS ix_audit_at ON portal.audit (at DESC);

        -- The keys protecting cookies and antiforgery tokens, shared by every replica (PostgresKeyRepository).
        CREATE TABLE IF NOT EXISTS portal.data_protection_keys (
            id            bigserial PRIMARY KEY,
            friendly_name text NOT NULL UNIQUE,
            xml           text NOT NULL,
            created_at    timestamptz NOT NULL DEFAULT now());
        """;

    public static async Task MigrateAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // Several replicas may start together: one creates the tables, the others wait.
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('portal'))", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(ct);
        }
        await using (var command = new NpgsqlCommand(Ddl, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }
}
