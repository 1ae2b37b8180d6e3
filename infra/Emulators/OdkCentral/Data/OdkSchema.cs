namespace OneClickSuite.Emulators.OdkCentral.Data;

/// <summary>
/// The emulator's tables, in schema <c>odk</c>. Timestamps keep milliseconds only, as Central's do since its
/// 2022 "reduce tz precision" migration; that also keeps $skiptoken cursors exact.
/// </summary>
public static class OdkSchema
{
    public const string Ddl = """
        CREATE SCHEMA IF NOT EXISTS odk;

        CREATE TABLE IF NOT EXISTS odk.actors (
            id            serial PRIMARY KEY,
            type          text NOT NULL,
            display_name  text NOT NULL,
            project_id    int,
            created_at    timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
            updated_at    timestamptz(3),
            deleted_at    timestamptz(3)
        );

        CREATE TABLE IF NOT EXISTS odk.users (
            actor_id       int PRIMARY KEY REFERENCES odk.actors(id),
            email          text NOT NULL,
            password_hash  text,
            last_login_at  timestamptz(3)
        );
        CREATE UNIQUE INDEX IF NOT EXISTS users_email_unique ON odk.users (lower(email));

        CREATE TABLE IF NOT EXISTS odk.sessions (
            token       text PRIMARY KEY,
            actor_id    int NOT NULL REFERENCES odk.actors(id),
            csrf        text NOT NULL,
            expires_at  timestamptz(3) NOT NULL,
            created_at  timestamptz(3) NOT NULL DEFAULT clock_timestamp()
        );

        CREATE TABLE IF NOT EXISTS odk.projects (
            id           serial PRIMARY KEY,
            name         text NOT NULL,
            description  text,
            archived     boolean,
            created_at   timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
            updated_at   timestamptz(3),
            deleted_at   timestamptz(3)
        );

        CREATE TABLE IF NOT EXISTS odk.forms (
            id                serial PRIMARY KEY,
            project_id        int NOT NULL REFERENCES odk.projects(id),
            xml_form_id       text NOT NULL,
            state             text NOT NULL DEFAULT 'open',
            current_def_id    int,
            draft_def_id      int,
            created_at        timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
            updated_at        timestamptz(3),
            deleted_at        timestamptz(3),
            UNIQUE (project_id, xml_form_id)
        );

        CREATE TABLE IF NOT EXISTS odk.form_defs (
            id            serial PRIMARY KEY,
            form_id       int NOT NULL REFERENCES odk.forms(id),
            xml           text NOT NULL,
            name          text,
            version       text NOT NULL,
            hash          text NOT NULL,
            sha           text NOT NULL,
            sha256        text NOT NULL,
            draft_token   text,
            fields        jsonb NOT NULL,
            created_at    timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
            published_at  timestamptz(3)
        );

        CREATE TABLE IF NOT EXISTS odk.form_attachments (
            form_def_id  int NOT NULL REFERENCES odk.form_defs(id),
            name         text NOT NULL,
            type         text NOT NULL,
            dataset_id   int,
            PRIMARY KEY (form_def_id, name)
        );

        CREATE TABLE IF NOT EXISTS odk.form_assignments (
            form_id   int NOT NULL REFERENCES odk.forms(id),
            actor_id  int NOT NULL REFERENCES odk.actors(id),
            role      text NOT NULL,
            PRIMARY KEY (form_id, actor_id, role)
        );

        CREATE TABLE IF NOT EXISTS odk.datasets (
            id                 serial PRIMARY KEY,
            project_id         int NOT NULL REFERENCES odk.projects(id),
            name               text NOT NULL,
            approval_required  boolean NOT NULL DEFAULT false,
            owner_only         boolean NOT NULL DEFAULT false,
            created_at         timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
            UNIQUE (project_id, name)
        );

        CREATE TABLE IF NOT EXISTS odk.ds_properties (
            id            serial PRIMARY KEY,
            dataset_id    int NOT NULL REFERENCES odk.datasets(id),
            name          text NOT NULL,
            published_at  timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
            UNIQUE (dataset_id, name)
        );

        -- uuid is unique across the whole server, as in Central.
        CREATE TABLE IF NOT EXISTS odk.entities (
            id          bigserial PRIMARY KEY,
            dataset_id  int NOT NULL REFERENCES odk.datasets(id),
            uuid        uuid NOT NULL UNIQUE,
            creator_id  int NOT NULL,
            created_at  timestamptz(3) NOT NULL,
            updated_at  timestamptz(3),
            deleted_at  timestamptz(3),
            conflict    text,
            version     int NOT NULL,
            label       text NOT NULL,
            data        jsonb NOT NULL,
            updates     int NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS entities_dataset_order ON odk.entities (dataset_id, created_at DESC, id DESC);

        CREATE TABLE IF NOT EXISTS odk.entity_defs (
            id             bigserial PRIMARY KEY,
            entity_id      bigint NOT NULL REFERENCES odk.entities(id),
            version        int NOT NULL,
            current        boolean NOT NULL,
            label          text NOT NULL,
            data           jsonb NOT NULL,
            data_received  jsonb NOT NULL,
            creator_id     int NOT NULL,
            user_agent     text,
            base_version   int,
            source         jsonb,
            created_at     timestamptz(3) NOT NULL
        );
        CREATE INDEX IF NOT EXISTS entity_defs_entity ON odk.entity_defs (entity_id, version);

        -- One row per logical submission; instance_id is the first instanceID, current_instance_id the latest edit.
        CREATE TABLE IF NOT EXISTS odk.submissions (
            id                   bigserial PRIMARY KEY,
            form_id              int NOT NULL REFERENCES odk.forms(id),
            instance_id          text NOT NULL,
            current_instance_id  text NOT NULL,
            form_version         text NOT NULL,
            submitter_id         int,
            device_id            text,
            user_agent           text,
            xml                  text NOT NULL,
            odata                text NOT NULL,
            created_at           timestamptz(3) NOT NULL,
            updated_at           timestamptz(3),
            review_state         text,
            deleted_at           timestamptz(3),
            edits                int NOT NULL DEFAULT 0,
            UNIQUE (form_id, instance_id)
        );
        CREATE INDEX IF NOT EXISTS submissions_form_order ON odk.submissions (form_id, created_at DESC, id DESC);

        CREATE TABLE IF NOT EXISTS odk.submission_defs (
            id             bigserial PRIMARY KEY,
            submission_id  bigint NOT NULL REFERENCES odk.submissions(id),
            form_id        int NOT NULL,
            instance_id    text NOT NULL,
            xml            text NOT NULL,
            submitter_id   int,
            current        boolean NOT NULL,
            created_at     timestamptz(3) NOT NULL,
            CONSTRAINT submission_defs_instance_unique UNIQUE (form_id, instance_id)
        );
        -- Central's actees: every auditable object has a uuid the audit log points at.
        ALTER TABLE odk.actors ADD COLUMN IF NOT EXISTS actee_id uuid NOT NULL DEFAULT gen_random_uuid();
        ALTER TABLE odk.projects ADD COLUMN IF NOT EXISTS actee_id uuid NOT NULL DEFAULT gen_random_uuid();
        ALTER TABLE odk.forms ADD COLUMN IF NOT EXISTS actee_id uuid NOT NULL DEFAULT gen_random_uuid();
        ALTER TABLE odk.datasets ADD COLUMN IF NOT EXISTS actee_id uuid NOT NULL DEFAULT gen_random_uuid();

        CREATE TABLE IF NOT EXISTS odk.audits (
            id         bigserial PRIMARY KEY,
            actor_id   int,
            action     text NOT NULL,
            actee_id   uuid,
            details    jsonb,
            notes      text,
            logged_at  timestamptz(3) NOT NULL DEFAULT clock_timestamp()
        );
        CREATE INDEX IF NOT EXISTS audits_order ON odk.audits (logged_at DESC, id DESC);
        CREATE SEQUENCE IF NOT EXISTS odk.entity_sources;

        ALTER TABLE odk.submission_defs ADD COLUMN IF NOT EXISTS device_id text;
        ALTER TABLE odk.submission_defs ADD COLUMN IF NOT EXISTS user_agent text;
        ALTER TABLE odk.submission_defs ADD COLUMN IF NOT EXISTS instance_name text;

        -- The emulator's own worker page finds a worker's entities by their worker_id property.
        CREATE INDEX IF NOT EXISTS entities_worker_id ON odk.entities ((data->>'worker_id'));
        """;
}
