using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using OneClickSuite.Emulators.OdkCentral.Data;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;

namespace OneClickSuite.Emulators.OdkCentral.Endpoints;

/// <summary>The server audit log, and the per-entity and per-submission views of it (lib/resources/audits.js, lib/model/query/audits.js).</summary>
public static class AuditEndpoints
{
    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/audits", ListAudits);
    }

    private const string AuditSelect = """
        SELECT au.actor_id, au.action, au.actee_id, au.details::text, au.logged_at, au.notes,
               a.id, a.type, a.display_name, a.created_at, a.updated_at, a.deleted_at
        FROM odk.audits au LEFT JOIN odk.actors a ON a.id = au.actor_id
        """;

    /// <summary>An audit as Central writes it (lib/model/frames/audit.js readable fields); withActor adds the actor.</summary>
    public static JsonObject AuditJson(NpgsqlDataReader reader, bool withActor, Func<JsonNode?, JsonNode?>? details = null)
    {
        var body = new JsonObject
        {
            ["actorId"] = reader.IsDBNull(0) ? null : reader.GetInt32(0),
            ["action"] = reader.GetString(1),
            ["acteeId"] = reader.IsDBNull(2) ? null : reader.GetGuid(2).ToString(),
            ["details"] = (details ?? (d => d))(reader.IsDBNull(3) ? null : JsonNode.Parse(reader.GetString(3))),
            ["loggedAt"] = Http.Timestamp(reader.GetDateTime(4)),
            ["notes"] = reader.IsDBNull(5) ? null : reader.GetString(5),
        };
        if (withActor) body["actor"] = SubmissionEndpoints.ActorJson(reader, 6);
        return body;
    }

    /// <summary>
    /// GET /v1/audits (audit.read: administrators only): newest first, ?action= (a group such as nonverbose, or
    /// one action), ?start= / ?end= compared in SQL (a value that is no timestamp fails there: bare 500),
    /// ?limit= / ?offset=; X-Extended-Metadata adds the actor and the actee.
    /// </summary>
    private static async Task<IResult> ListAudits(HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var query = context.Request.Query;
        var where = new List<string> { "true" };
        var command = db.CreateCommand();
        if (query.ContainsKey("start"))
        {
            where.Add("au.logged_at >= @start::timestamptz");
            command.Parameters.AddWithValue("start", query["start"].ToString());
        }
        if (query.ContainsKey("end"))
        {
            where.Add("au.logged_at <= @end::timestamptz");
            command.Parameters.AddWithValue("end", query["end"].ToString());
        }
        if (query.ContainsKey("action"))
        {
            var action = query["action"].ToString();
            if (action == "nonverbose")
            {
                where.Add("NOT (au.action = ANY(@verbose))");
                command.Parameters.Add(new NpgsqlParameter("verbose", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = AuditLog.Verbose });
            }
            else
            {
                where.Add("au.action = ANY(@actions)");
                command.Parameters.Add(new NpgsqlParameter("actions", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = AuditLog.ActionGroup(action) ?? [action] });
            }
        }
        var paging = "";
        if (Http.TryParseIntPrefix(query["limit"], out var limit)) paging += $" LIMIT {limit}";
        if (Http.TryParseIntPrefix(query["offset"], out var offset)) paging += $" OFFSET {offset}";
        var extended = Http.IsTrue(context.Request.Headers["X-Extended-Metadata"]);
        command.CommandText = AuditSelect + " WHERE " + string.Join(" AND ", where) + " ORDER BY au.logged_at DESC, au.id DESC" + paging;

        var list = new JsonArray();
        var actees = new List<(JsonObject Row, Guid? Actee)>();
        try
        {
            await using (command)
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var row = AuditJson(reader, extended);
                    list.Add(row);
                    actees.Add((row, reader.IsDBNull(2) ? null : reader.GetGuid(2)));
                }
            }
        }
        catch (PostgresException ex) when (ex.SqlState is "22007" or "22008" or "2201X" or "2201W")
        {
            // Not a Central Problem upstream either: invalid timestamps, negative LIMIT/OFFSET.
            throw Problems.InternalServerError();
        }
        if (extended)
            foreach (var (row, actee) in actees)
                row["actee"] = actee is null ? null : await ActeeJsonAsync(db, actee.Value, ct);
        return Http.Json(list);
    }

    /// <summary>The actee of an audit for X-Extended-Metadata: the actor, form, project or entity list it belongs to.</summary>
    private static async Task<JsonNode?> ActeeJsonAsync(NpgsqlDataSource db, Guid actee, CancellationToken ct)
    {
        await using (var actor = db.CreateCommand("SELECT id, type, display_name, created_at, updated_at, deleted_at FROM odk.actors WHERE actee_id = @actee"))
        {
            actor.Parameters.AddWithValue("actee", actee);
            await using var reader = await actor.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct)) return SubmissionEndpoints.ActorJson(reader, 0);
        }
        await using (var form = db.CreateCommand("SELECT project_id, xml_form_id FROM odk.forms WHERE actee_id = @actee"))
        {
            form.Parameters.AddWithValue("actee", actee);
            await using var reader = await form.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                var row = await Catalog.FindFormAsync(db, reader.GetInt32(0), reader.GetString(1), ct);
                if (row is not null && (row.CurrentDefId ?? row.DraftDefId) is { } defId)
                    return Catalog.FormJson(row, await Catalog.GetDefAsync(db, defId, ct));
            }
        }
        await using (var project = db.CreateCommand("SELECT id, name, description, archived, created_at, updated_at, deleted_at FROM odk.projects WHERE actee_id = @actee"))
        {
            project.Parameters.AddWithValue("actee", actee);
            await using var reader = await project.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct)) return AccessEndpoints.ProjectJson(reader);
        }
        await using (var dataset = db.CreateCommand("SELECT name, created_at, project_id, approval_required, owner_only FROM odk.datasets WHERE actee_id = @actee"))
        {
            dataset.Parameters.AddWithValue("actee", actee);
            await using var reader = await dataset.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
                return new JsonObject
                {
                    ["name"] = reader.GetString(0), ["createdAt"] = Http.Timestamp(reader.GetDateTime(1)), ["projectId"] = reader.GetInt32(2),
                    ["approvalRequired"] = reader.GetBoolean(3), ["ownerOnly"] = reader.GetBoolean(4), ["deletedAt"] = null,
                };
        }
        return null;
    }

    /// <summary>lib/model/query/audits.js getBySubmissionId: the audits naming this submission, newest first.</summary>
    public static async Task<JsonArray> ForSubmissionAsync(NpgsqlDataSource db, long submissionId, bool extended, CancellationToken ct)
    {
        await using var command = db.CreateCommand(AuditSelect + " WHERE (au.details->>'submissionId')::bigint = @id ORDER BY au.logged_at DESC, au.id DESC");
        command.Parameters.AddWithValue("id", submissionId);
        var list = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(AuditJson(reader, extended));
        return list;
    }

    /// <summary>
    /// lib/model/query/audits.js getByEntityId: the entity's own events, the bulk creation it came from and bulk
    /// deletes/restores naming it; each with its actor and the source of the entity version in details.source.
    /// </summary>
    public static async Task<JsonArray> ForEntityAsync(NpgsqlDataSource db, Guid uuid, CancellationToken ct)
    {
        await using var command = db.CreateCommand(AuditSelect + """
             WHERE (au.details->'entity'->>'uuid')::uuid = @uuid
                OR (au.action IN ('entity.bulk.delete', 'entity.bulk.restore') AND au.details->'entityUuids' @> jsonb_build_array(@uuid::text))
                OR (au.action = 'entity.bulk.create' AND (au.details->>'sourceId')::bigint IN
                    (SELECT (d.source->>'sourceId')::bigint FROM odk.entity_defs d JOIN odk.entities e ON e.id = d.entity_id WHERE e.uuid = @uuid))
            ORDER BY au.logged_at DESC, au.id DESC
            """);
        command.Parameters.AddWithValue("uuid", uuid);
        var sources = new Dictionary<long, JsonObject>();
        await using (var bulk = db.CreateCommand("SELECT (d.source->>'sourceId')::bigint, d.source::text FROM odk.entity_defs d JOIN odk.entities e ON e.id = d.entity_id WHERE e.uuid = @uuid AND d.source IS NOT NULL"))
        {
            bulk.Parameters.AddWithValue("uuid", uuid);
            await using var reader = await bulk.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                if (!reader.IsDBNull(0) && JsonNode.Parse(reader.GetString(1)) is JsonObject source)
                {
                    source.Remove("sourceId");
                    sources[reader.GetInt64(0)] = source;
                }
        }
        var list = new JsonArray();
        await using var rows = await command.ExecuteReaderAsync(ct);
        while (await rows.ReadAsync(ct))
        {
            list.Add(AuditJson(rows, withActor: true, details =>
            {
                var result = details as JsonObject ?? new JsonObject();
                var source = result["sourceId"] is JsonValue id && id.TryGetValue<long>(out var sourceId) && sources.TryGetValue(sourceId, out var found)
                    ? found.DeepClone() : new JsonObject();
                result["source"] = source;
                return result;
            }));
        }
        return list;
    }
}
