using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace OneClickSuite.Emulators.OdkCentral.Data;

/// <summary>
/// Central's audit log (lib/model/query/audits.js log): who did what to which actee, with the details each action
/// records upstream. The emulator writes the actions it performs; the actee is the object's acteeId.
/// </summary>
public static class AuditLog
{
    public enum Actee { Actor, Project, Form, Dataset }

    public static async Task WriteAsync(NpgsqlDataSource db, int? actorId, string action, Actee kind, long acteeRowId, JsonNode? details,
        CancellationToken ct)
    {
        var table = kind switch { Actee.Actor => "actors", Actee.Project => "projects", Actee.Form => "forms", _ => "datasets" };
        await using var command = db.CreateCommand($"""
            INSERT INTO odk.audits (actor_id, action, actee_id, details)
            VALUES (@actor, @action, (SELECT actee_id FROM odk.{table} WHERE id = @actee), @details)
            """);
        command.Parameters.AddWithValue("actor", (object?)actorId ?? DBNull.Value);
        command.Parameters.AddWithValue("action", action);
        command.Parameters.AddWithValue("actee", acteeRowId);
        command.Parameters.Add(new NpgsqlParameter("details", NpgsqlDbType.Jsonb) { Value = (object?)details?.ToJsonString() ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>lib/model/query/audits.js actionCondition: the named groups, else one action.</summary>
    public static string[]? ActionGroup(string action) => action switch
    {
        "user" => ["user.create", "user.update", "user.delete", "user.assignment.create", "user.assignment.delete", "user.session.create"],
        "field_key" => ["field_key.create", "field_key.assignment.create", "field_key.assignment.delete", "field_key.session.end", "field_key.delete", "field_key.property.set"],
        "public_link" => ["public_link.create", "public_link.assignment.create", "public_link.assignment.delete", "public_link.session.end", "public_link.delete", "public_link.property.set"],
        "project" => ["project.create", "project.update", "project.delete", "actor_property.create"],
        "form" => ["form.create", "form.update", "form.delete", "form.restore", "form.purge", "form.attachment.update", "form.submission.export", "form.update.draft.set", "form.update.draft.delete", "form.update.draft.replace", "form.update.publish"],
        "submission" => ["submission.create", "submission.update", "submission.update.version", "submission.attachment.update", "submission.backlog.hold", "submission.backlog.reprocess", "submission.backlog.force", "submission.delete", "submission.restore", "submission.purge"],
        "dataset" => ["dataset.create", "dataset.update", "entity.bulk.delete", "entity.bulk.restore", "dataset.delete", "dataset.update.property.delete"],
        "entity" => ["entity.create", "entity.bulk.create", "entity.error", "entity.update.version", "entity.update.resolve", "entity.delete", "entity.restore", "entity.purge", "entity.bulk.delete", "entity.bulk.restore"],
        "upgrade" => ["upgrade.server", "upgrade.process.form", "upgrade.process.form.draft", "upgrade.process.form.entities_version"],
        "config" => ["config.set"],
        _ => null,
    };

    public static readonly string[] Verbose =
    [
        "entity.create", "entity.bulk.create", "entity.error", "entity.update.version", "entity.update.resolve", "entity.delete", "entity.restore",
        "entity.purge", "submission.create", "submission.update", "submission.update.version", "submission.attachment.update",
        "submission.backlog.hold", "submission.backlog.reprocess", "submission.backlog.force", "submission.delete", "submission.restore",
        "user.preference.update", "user.preference.delete", "backup", "analytics",
    ];
}
