using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using OneClickSuite.Emulators.OdkCentral.Data;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;
using OneClickSuite.Emulators.OdkCentral.OData;

namespace OneClickSuite.Emulators.OdkCentral.Endpoints;

/// <summary>Entity lists (datasets), their properties and entities, as CSV and as an OData feed.</summary>
public static partial class EntityEndpoints
{
    private static readonly string[] EntityBodyKeys = ["label", "uuid", "data"];

    private static readonly Dictionary<string, ODataColumn> EntityColumns = new()
    {
        ["__id"] = new("e.uuid", ColumnType.Uuid),
        ["__system/createdAt"] = new("e.created_at", ColumnType.Timestamp),
        ["__system/updatedAt"] = new("e.updated_at", ColumnType.Timestamp),
        ["__system/deletedAt"] = new("e.deleted_at", ColumnType.Timestamp),
        ["__system/creatorId"] = new("e.creator_id", ColumnType.Integer),
        ["__system/conflict"] = new("e.conflict", ColumnType.Text),
    };

    /// <summary>central-backend lib/data/dataset.js validateDatasetName.</summary>
    [GeneratedRegex(@"^(?!__)[\p{L}:_][\p{L}:\d_-]*$")]
    private static partial Regex DatasetNamePattern();

    /// <summary>central-backend lib/data/dataset.js validatePropertyName (applied to the lower-cased name).</summary>
    [GeneratedRegex(@"^(?!__)(?!name$)(?!label$)[\p{L}_][\p{L}\d._-]*$")]
    private static partial Regex PropertyNamePattern();

    [GeneratedRegex("^(uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$", RegexOptions.IgnoreCase)]
    private static partial Regex UuidPattern();

    public static void MapEntityEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/projects/{projectId:int}/datasets", CreateDataset);
        app.MapGet("/v1/projects/{projectId:int}/datasets", ListDatasets);
        app.MapGet("/v1/projects/{projectId:int}/datasets/{name}.svc", EntityServiceDocument);
        app.MapGet("/v1/projects/{projectId:int}/datasets/{name}.svc/$metadata", EntityMetadata);
        app.MapGet("/v1/projects/{projectId:int}/datasets/{name}.svc/Entities", EntityFeed);
        app.MapGet("/v1/projects/{projectId:int}/datasets/{name}", GetDataset);
        app.MapPost("/v1/projects/{projectId:int}/datasets/{name}/properties", CreateProperty);

        app.MapPost("/v1/projects/{projectId:int}/datasets/{name}/entities", CreateEntities);
        app.MapGet("/v1/projects/{projectId:int}/datasets/{name}/entities", ListEntities);
        app.MapGet("/v1/projects/{projectId:int}/datasets/{name}/entities.csv", EntitiesCsv);
        app.MapGet("/v1/projects/{projectId:int}/datasets/{name}/entities/{uuid}", GetEntity);
        app.MapPatch("/v1/projects/{projectId:int}/datasets/{name}/entities/{uuid}", UpdateEntity);
        app.MapDelete("/v1/projects/{projectId:int}/datasets/{name}/entities/{uuid}", DeleteEntity);
        app.MapPost("/v1/projects/{projectId:int}/datasets/{name}/entities/{uuid}/restore", RestoreEntity);
        app.MapGet("/v1/projects/{projectId:int}/datasets/{name}/entities/{uuid}/versions", EntityVersions);
        app.MapGet("/v1/projects/{projectId:int}/datasets/{name}/entities/{uuid}/diffs", EntityDiffs);
        app.MapGet("/v1/projects/{projectId:int}/datasets/{name}/entities/{uuid}/audits", EntityAudits);
        app.MapGet("/v1/projects/{projectId:int}/datasets/{name}/entities/creators", EntityCreators);
        app.MapPost("/v1/projects/{projectId:int}/datasets/{name}/entities/bulk-delete", (int projectId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct) =>
            BulkDeleteOrRestore(projectId, name, restore: false, context, db, ct));
        app.MapPost("/v1/projects/{projectId:int}/datasets/{name}/entities/bulk-restore", (int projectId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct) =>
            BulkDeleteOrRestore(projectId, name, restore: true, context, db, ct));
    }

    private static async Task<IResult> CreateDataset(int projectId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        await Catalog.EnsureProjectAsync(db, projectId, ct);
        var body = await Http.ReadJsonObjectAsync(context.Request);
        // lib/resources/datasets.js: a missing or invalid name is 400.8 "This is not a valid dataset name."
        var nameNode = body["name"];
        var nameText = nameNode is JsonValue nv && nv.TryGetValue<string>(out var t) ? t : nameNode?.ToJsonString().Trim('"');
        if (nameNode is null || nameText is null || !DatasetNamePattern().IsMatch(nameText))
            throw Problems.UnexpectedValue("name", nameNode, "This is not a valid dataset name.");
        var name = nameText;
        // Datasets.createPublishedDataset: the same name in other capitalization is 409.16.
        await using (var similar = db.CreateCommand("SELECT name FROM odk.datasets WHERE project_id = @project AND lower(name) = lower(@name) AND name <> @name LIMIT 1"))
        {
            similar.Parameters.AddWithValue("project", projectId);
            similar.Parameters.AddWithValue("name", name);
            if (await similar.ExecuteScalarAsync(ct) is string current) throw Problems.DatasetNameConflict(current, name);
        }
        var approvalRequired = body["approvalRequired"] is JsonValue a && a.TryGetValue<bool>(out var flag) && flag;
        await using var command = db.CreateCommand("INSERT INTO odk.datasets (project_id, name, approval_required) VALUES (@project, @name, @approval)");
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("approval", approvalRequired);
        try
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw Problems.UniquenessViolation(["name", "projectId"], [name, projectId], "datasets");
        }
        var created = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "dataset.create", AuditLog.Actee.Dataset, created.Id, new JsonObject { ["properties"] = new JsonArray() }, ct);
        return Http.Json(await DatasetMetadataAsync(db, created, ct));
    }

    private static async Task<IResult> ListDatasets(int projectId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        await Catalog.EnsureProjectAsync(db, projectId, ct);
        await using var command = db.CreateCommand("""
            SELECT name, created_at, project_id, approval_required, owner_only,
                   (SELECT count(*) FROM odk.entities e WHERE e.dataset_id = ds.id AND e.deleted_at IS NULL),
                   (SELECT max(greatest(e.created_at, e.updated_at)) FROM odk.entities e WHERE e.dataset_id = ds.id AND e.deleted_at IS NULL)
            FROM odk.datasets ds WHERE project_id = @project ORDER BY name
            """);
        command.Parameters.AddWithValue("project", projectId);
        var list = new JsonArray();
        var extended = Http.IsTrue(context.Request.Headers["X-Extended-Metadata"]);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var dataset = new JsonObject
            {
                ["name"] = reader.GetString(0),
                ["createdAt"] = Http.Timestamp(reader.GetDateTime(1)),
                ["projectId"] = reader.GetInt32(2),
                ["approvalRequired"] = reader.GetBoolean(3),
                ["ownerOnly"] = reader.GetBoolean(4),
                ["deletedAt"] = null,
            };
            if (extended)
            {
                // lib/model/query/datasets.js extended: live entity count, conflicts (never, here) and the last entity.
                dataset["entities"] = reader.GetInt64(5);
                dataset["lastEntity"] = Http.Timestamp(reader.IsDBNull(6) ? null : reader.GetDateTime(6));
                dataset["conflicts"] = 0;
            }
            list.Add(dataset);
        }
        return Http.Json(list);
    }

    private static async Task<IResult> GetDataset(int projectId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        return Http.Json(await DatasetMetadataAsync(db, await Catalog.GetDatasetAsync(db, projectId, name, ct), ct));
    }

    /// <summary>The dataset with its properties and the forms that consume it (published and draft).</summary>
    private static async Task<JsonObject> DatasetMetadataAsync(NpgsqlDataSource db, DatasetRow dataset, CancellationToken ct)
    {
        var linkedForms = new JsonArray();
        var draftLinkedForms = new JsonArray();
        await using (var forms = db.CreateCommand("""
            SELECT DISTINCT f.xml_form_id, d.name, coalesce(f.draft_def_id = d.id, false) AS draft
            FROM odk.form_attachments a
            JOIN odk.form_defs d ON d.id = a.form_def_id
            JOIN odk.forms f ON f.id = d.form_id AND (f.current_def_id = d.id OR f.draft_def_id = d.id)
            WHERE a.dataset_id = @dataset AND f.deleted_at IS NULL
            ORDER BY f.xml_form_id
            """))
        {
            forms.Parameters.AddWithValue("dataset", dataset.Id);
            await using var reader = await forms.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var entry = new JsonObject { ["name"] = reader.IsDBNull(1) ? reader.GetString(0) : reader.GetString(1), ["xmlFormId"] = reader.GetString(0) };
                (reader.GetBoolean(2) ? draftLinkedForms : linkedForms).Add(entry);
            }
        }

        var properties = new JsonArray();
        DateTime lastUpdate = dataset.CreatedAt;
        await using (var props = db.CreateCommand("""
            SELECT name, published_at, NULL, (SELECT max(greatest(created_at, updated_at, deleted_at)) FROM odk.entities WHERE dataset_id = @dataset)
            FROM odk.ds_properties WHERE dataset_id = @dataset
            UNION ALL SELECT NULL, NULL, NULL, (SELECT max(greatest(created_at, updated_at, deleted_at)) FROM odk.entities WHERE dataset_id = @dataset)
            """))
        {
            props.Parameters.AddWithValue("dataset", dataset.Id);
            await using var reader = await props.ExecuteReaderAsync(ct);
            var rows = new List<(string Name, DateTime PublishedAt)>();
            while (await reader.ReadAsync(ct))
            {
                if (!reader.IsDBNull(3) && reader.GetDateTime(3) > lastUpdate) lastUpdate = reader.GetDateTime(3);
                if (reader.IsDBNull(0)) continue;
                rows.Add((reader.GetString(0), reader.GetDateTime(1)));
            }
            foreach (var (propertyName, publishedAt) in rows.OrderBy(r => r.PublishedAt))
            {
                if (publishedAt > lastUpdate) lastUpdate = publishedAt;
                properties.Add(new JsonObject
                {
                    ["name"] = propertyName,
                    ["publishedAt"] = Http.Timestamp(publishedAt),
                    ["odataName"] = Http.ODataName(propertyName),
                    ["forms"] = new JsonArray(),
                });
            }
        }

        return new JsonObject
        {
            ["name"] = dataset.Name,
            ["createdAt"] = Http.Timestamp(dataset.CreatedAt),
            ["projectId"] = dataset.ProjectId,
            ["approvalRequired"] = dataset.ApprovalRequired,
            ["ownerOnly"] = dataset.OwnerOnly,
            ["deletedAt"] = null,
            ["lastUpdate"] = Http.Timestamp(lastUpdate),
            ["linkedForms"] = linkedForms,
            ["sourceForms"] = new JsonArray(),
            ["draftLinkedForms"] = draftLinkedForms,
            ["draftSourceForms"] = new JsonArray(),
            ["properties"] = properties,
        };
    }

    private static async Task<IResult> CreateProperty(int projectId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        var body = await Http.ReadJsonObjectAsync(context.Request);
        // lib/resources/datasets.js: missing or invalid is 400.8; a non-string name fails name.toLowerCase() upstream (500).
        var nameNode = body["name"];
        if (nameNode is null) throw Problems.UnexpectedValue("name", (JsonNode?)null, "This is not a valid property name.");
        if (nameNode is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var propertyName)) throw Problems.InternalServerError();
        if (!PropertyNamePattern().IsMatch(propertyName.ToLowerInvariant()))
            throw Problems.UnexpectedValue("name", nameNode, "This is not a valid property name.");
        // Datasets.createPublishedProperty: a name equal but for capitalization is 409.3 naming the existing one.
        await using (var similar = db.CreateCommand("SELECT name FROM odk.ds_properties WHERE dataset_id = @dataset AND lower(name) = lower(@name) LIMIT 1"))
        {
            similar.Parameters.AddWithValue("dataset", dataset.Id);
            similar.Parameters.AddWithValue("name", propertyName);
            if (await similar.ExecuteScalarAsync(ct) is string existing)
                throw Problems.UniquenessViolation(["name", "datasetId"], [existing, dataset.Id], "ds_properties");
        }
        await using var command = db.CreateCommand("INSERT INTO odk.ds_properties (dataset_id, name) VALUES (@dataset, @name)");
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("name", propertyName);
        try
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw Problems.UniquenessViolation(["name", "datasetId"], [propertyName, dataset.Id], "ds_properties");
        }
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "dataset.update", AuditLog.Actee.Dataset, dataset.Id,
            new JsonObject { ["properties"] = new JsonArray(propertyName) }, ct);
        return Http.Json(Http.Success());
    }

    /// <summary>An entity as parsed from a request body (central-backend lib/data/entity.js extractEntity).</summary>
    private sealed record EntityInput(Guid Uuid, string? Label, Dictionary<string, string> Data, JsonObject DataReceived);

    /// <summary>Object.entries of a JSON value as JavaScript sees it: properties, array indices, string characters, else none.</summary>
    private static List<KeyValuePair<string, JsonNode?>> Entries(JsonNode? node) => node switch
    {
        JsonObject o => o.ToList(),
        JsonArray a => a.Select((v, i) => KeyValuePair.Create(i.ToString(), v)).ToList(),
        JsonValue v when v.TryGetValue<string>(out var text) => text.Select((c, i) => KeyValuePair.Create(i.ToString(), (JsonNode?)c.ToString())).ToList(),
        _ => [],
    };

    /// <summary>
    /// central-backend lib/data/entity.js extractEntity, with JavaScript's reading of odd bodies: unknown keys
    /// first (400.31), a truthy non-string uuid (400.11), the label (missing 400.2, not a string 400.11, blank
    /// 400.8), then data entries (non-string 400.11, unknown property 400.28). A null entity fails upstream as a
    /// TypeError (bare 500).
    /// </summary>
    private static EntityInput ParseEntity(JsonNode? node, IReadOnlyCollection<string> properties, bool isUpdate)
    {
        if (node is null) throw Problems.InternalServerError();
        var body = Entries(node).ToDictionary(p => p.Key, p => p.Value);
        var keys = body.Keys.ToArray();
        if (keys.Any(k => !EntityBodyKeys.Contains(k))) throw Problems.UnexpectedAttributes(EntityBodyKeys, keys);

        var uuid = Guid.Empty;
        if (!isUpdate)
        {
            var rawUuid = body.GetValueOrDefault("uuid");
            if (!Http.IsTruthy(rawUuid))
                uuid = Guid.NewGuid();
            else if (rawUuid is not JsonValue v || !v.TryGetValue<string>(out var text))
                throw Problems.InvalidDataType("uuid", "string");
            else
                uuid = ParseUuidOrNotFound(text);
        }

        string? label = null;
        var labelNode = body.GetValueOrDefault("label");
        if (labelNode is not null)
        {
            if (labelNode is not JsonValue lv || !lv.TryGetValue<string>(out var labelText)) throw Problems.InvalidDataType("label", "string");
            if (labelText.Trim().Length == 0) throw Problems.UnexpectedValue("label", "(empty string)", "Label cannot be blank.");
            label = labelText;
        }
        else if (!isUpdate)
        {
            throw Problems.MissingParameter("label");
        }

        var dataNode = body.GetValueOrDefault("data");
        if (dataNode is null && labelNode is null) throw Problems.InvalidEntity("No entity data or label provided.");
        var data = new Dictionary<string, string>();
        var received = new JsonObject();
        foreach (var (key, value) in Entries(dataNode))
        {
            if (value is not JsonValue jv || !jv.TryGetValue<string>(out var text)) throw Problems.InvalidDataType(key, "string");
            if (!properties.Contains(key)) throw Problems.InvalidEntity($"You specified the dataset property [{key}] which does not exist.");
            data[key] = text;
            received[key] = text;
        }
        if (label is not null) received["label"] = label;
        return new EntityInput(uuid, label, data, received);
    }

    private static async Task<IResult> CreateEntities(int projectId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        var caller = context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        var properties = await Catalog.GetPropertyNamesAsync(db, dataset.Id, ct);
        var body = await Http.ReadJsonObjectAsync(context.Request);
        var userAgent = context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null;

        if (!Http.IsTruthy(body["entities"]))
        {
            var single = ParseEntity(body, properties, isUpdate: false);
            await InsertEntitiesAsync(db, dataset, [single], caller.ActorId, userAgent, source: null, ct);
            await LogEntityEventAsync(db, caller.ActorId, "entity.create", dataset, single.Uuid, ct);
            return Http.Json(await EntityJsonAsync(db, dataset, single.Uuid, full: true, properties, ct) ?? throw Problems.NotFound());
        }

        if (body["entities"] is not JsonArray array) throw Problems.UnexpectedAttributes(["entities: [...]"], ["not an array"]);
        if (array.Count == 0) throw Problems.UnexpectedAttributes(["entities: [...]"], ["empty array"]);
        var entities = array.Select(e => ParseEntity(e, properties, isUpdate: false)).ToList();

        // lib/data/entity.js extractBulkSource: falsy source or name is 400.2; a wrong type is 400.11 naming the JavaScript type.
        var sourceNode = body["source"];
        if (!Http.IsTruthy(sourceNode)) throw Problems.MissingParameter("source");
        var sourceName = (sourceNode as JsonObject)?["name"];
        if (!Http.IsTruthy(sourceName)) throw Problems.MissingParameter("source.name");
        if (sourceName is not JsonValue sn || !sn.TryGetValue<string>(out var sourceText)) throw Problems.InvalidDataTypeOf("name", Http.TypeOf(sourceName), "string");
        var sizeNode = (sourceNode as JsonObject)?["size"];
        if (sizeNode is not null && (sizeNode is not JsonValue sv || sv.GetValueKind() != JsonValueKind.Number)) throw Problems.InvalidDataTypeOf("size", Http.TypeOf(sizeNode), "number");
        var source = new JsonObject { ["name"] = sourceText };
        if (Http.IsTruthy(sizeNode)) source["size"] = sizeNode!.DeepClone();
        source["count"] = entities.Count;
        source["userAgent"] = userAgent;
        long sourceId;
        await using (var next = db.CreateCommand("SELECT nextval('odk.entity_sources')")) sourceId = (long)(await next.ExecuteScalarAsync(ct))!;
        source["sourceId"] = sourceId;

        await InsertEntitiesAsync(db, dataset, entities, caller.ActorId, userAgent, source, ct);
        await AuditLog.WriteAsync(db, caller.ActorId, "entity.bulk.create", AuditLog.Actee.Dataset, dataset.Id, new JsonObject { ["sourceId"] = sourceId }, ct);
        return Http.Json(Http.Success());
    }

    /// <summary>One statement for any number of entities: all of them are created, or none (a duplicate uuid fails all).</summary>
    private static async Task InsertEntitiesAsync(NpgsqlDataSource db, DatasetRow dataset, List<EntityInput> entities, int creatorId,
        string? userAgent, JsonObject? source, CancellationToken ct)
    {
        // central-backend lib/model/query/entities.js createNew/createMany: a uuid of a deleted (or purged) entity
        // is refused with 409.19 before anything is inserted.
        await using (var deleted = db.CreateCommand("SELECT uuid FROM odk.entities WHERE deleted_at IS NOT NULL AND uuid = ANY(@uuids)"))
        {
            deleted.Parameters.Add(new NpgsqlParameter("uuids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = entities.Select(e => e.Uuid).Distinct().ToArray() });
            var found = new List<string>();
            await using var reader = await deleted.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) found.Add(reader.GetGuid(0).ToString());
            if (found.Count > 0) throw Problems.EntityUuidOfDeleted(found);
        }

        await using var command = db.CreateCommand("""
            WITH now AS (SELECT clock_timestamp() AS ts),
            input AS (
                SELECT * FROM unnest(@uuids, @labels, @data, @received) WITH ORDINALITY AS t(uuid, label, data, received, ord)
            ),
            created AS (
                INSERT INTO odk.entities (dataset_id, uuid, creator_id, created_at, version, label, data)
                SELECT @dataset, input.uuid, @creator, now.ts, 1, input.label, input.data
                FROM input, now ORDER BY input.ord
                RETURNING id, uuid, created_at
            )
            INSERT INTO odk.entity_defs (entity_id, version, current, label, data, data_received, creator_id, user_agent, source, created_at)
            SELECT created.id, 1, true, input.label, input.data, input.received, @creator, @agent, @source, created.created_at
            FROM created JOIN input ON input.uuid = created.uuid
            """);
        command.Parameters.Add(new NpgsqlParameter("uuids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = entities.Select(e => e.Uuid).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("labels", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = entities.Select(e => e.Label!).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = entities.Select(e => JsonSerializer.Serialize(e.Data)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("received", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = entities.Select(e => e.DataReceived.ToJsonString()).ToArray() });
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("creator", creatorId);
        command.Parameters.AddWithValue("agent", (object?)userAgent ?? DBNull.Value);
        command.Parameters.Add(new NpgsqlParameter("source", NpgsqlDbType.Jsonb) { Value = (object?)source?.ToJsonString() ?? DBNull.Value });
        try
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Central reports the key PostgreSQL names (lib/util/db.js); find it among the uuids given.
            var value = entities.GroupBy(e => e.Uuid).FirstOrDefault(g => g.Count() > 1)?.Key.ToString();
            if (value is null)
            {
                await using var existing = db.CreateCommand("SELECT uuid FROM odk.entities WHERE uuid = ANY(@uuids) LIMIT 1");
                existing.Parameters.Add(new NpgsqlParameter("uuids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = entities.Select(e => e.Uuid).ToArray() });
                value = (await existing.ExecuteScalarAsync(ct))?.ToString() ?? "";
            }
            throw Problems.UniquenessViolation(["uuid"], [value], "entities");
        }
    }

    private const string EntitySelect = """
        SELECT e.uuid, e.creator_id, e.conflict, e.created_at, e.updated_at, e.deleted_at,
               d.label, d.creator_id, d.user_agent, d.data::text, d.version, d.base_version, d.data_received::text, d.created_at,
               ea.id, ea.type, ea.display_name, ea.created_at, ea.updated_at, ea.deleted_at,
               da.id, da.type, da.display_name, da.created_at, da.updated_at, da.deleted_at
        FROM odk.entities e JOIN odk.entity_defs d ON d.entity_id = e.id AND d.current
        LEFT JOIN odk.actors ea ON ea.id = e.creator_id LEFT JOIN odk.actors da ON da.id = d.creator_id
        """;

    /// <summary>Central's entity answer; <paramref name="full"/> adds the data (GET one, create, update).</summary>
    private static JsonObject EntityJson(NpgsqlDataReader reader, bool full, IReadOnlyCollection<string> properties, bool extended = false)
    {
        var current = new JsonObject
        {
            ["current"] = true,
            ["label"] = reader.GetString(6),
            ["creatorId"] = reader.GetInt32(7),
            ["userAgent"] = reader.IsDBNull(8) ? null : reader.GetString(8),
        };
        if (full)
        {
            var data = JsonNode.Parse(reader.GetString(9))!.AsObject();
            foreach (var key in data.Select(p => p.Key).Where(k => !properties.Contains(k)).ToList()) data.Remove(key);
            current["data"] = data;
        }
        current["version"] = reader.GetInt32(10);
        current["baseVersion"] = reader.IsDBNull(11) ? null : reader.GetInt32(11);
        if (full) current["dataReceived"] = JsonNode.Parse(reader.GetString(12));
        current["conflictingProperties"] = null;
        current["createdAt"] = Http.Timestamp(reader.GetDateTime(13));
        current["branchId"] = null;
        current["trunkVersion"] = null;
        current["branchBaseVersion"] = null;
        // X-Extended-Metadata: the creators of the entity and of its current version (Entities._get extender).
        if (extended) current["creator"] = SubmissionEndpoints.ActorJson(reader, 20);

        var entity = new JsonObject
        {
            ["uuid"] = reader.GetGuid(0).ToString(),
            ["creatorId"] = reader.GetInt32(1),
            ["conflict"] = reader.IsDBNull(2) ? null : reader.GetString(2),
            ["createdAt"] = Http.Timestamp(reader.GetDateTime(3)),
            ["updatedAt"] = Http.Timestamp(reader.IsDBNull(4) ? null : reader.GetDateTime(4)),
            ["deletedAt"] = Http.Timestamp(reader.IsDBNull(5) ? null : reader.GetDateTime(5)),
            ["currentVersion"] = current,
        };
        if (extended) entity["creator"] = SubmissionEndpoints.ActorJson(reader, 14);
        return entity;
    }

    private static async Task<JsonObject?> EntityJsonAsync(NpgsqlDataSource db, DatasetRow dataset, Guid uuid, bool full,
        IReadOnlyCollection<string> properties, CancellationToken ct, bool deleted = false, bool extended = false)
    {
        await using var command = db.CreateCommand(EntitySelect + $" WHERE e.dataset_id = @dataset AND e.uuid = @uuid AND e.deleted_at IS {(deleted ? "NOT " : "")}NULL");
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("uuid", uuid);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? EntityJson(reader, full, properties, extended) : null;
    }

    /// <summary>central-backend lib/data/entity.js normalizeUuid: blank is 400.2, anything but a v4 uuid 400.11.</summary>
    private static Guid ParseUuidOrNotFound(string uuid)
    {
        if (string.IsNullOrWhiteSpace(uuid)) throw Problems.MissingParameter("uuid");
        return UuidPattern().Match(uuid) is { Success: true } match
            ? Guid.Parse(match.Groups[2].Value)
            : throw Problems.InvalidDataType("uuid", "valid version 4 UUID");
    }

    private static async Task<IResult> ListEntities(int projectId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        var deleted = Http.IsTrue(context.Request.Query["deleted"]);
        await using var command = db.CreateCommand(EntitySelect + $" WHERE e.dataset_id = @dataset AND e.deleted_at IS {(deleted ? "NOT " : "")}NULL ORDER BY e.created_at DESC, e.id DESC");
        command.Parameters.AddWithValue("dataset", dataset.Id);
        var list = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(ct);
        var extended = Http.IsTrue(context.Request.Headers["X-Extended-Metadata"]);
        while (await reader.ReadAsync(ct)) list.Add(EntityJson(reader, full: false, [], extended));
        return Http.Json(list);
    }

    private static async Task<IResult> GetEntity(int projectId, string name, string uuid, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        var properties = await Catalog.GetPropertyNamesAsync(db, dataset.Id, ct);
        // Entities.getById with argData: ?deleted=true reads a deleted entity (and only a deleted one).
        var deleted = Http.IsTrue(context.Request.Query["deleted"]);
        return Http.Json(await EntityJsonAsync(db, dataset, ParseUuidOrNotFound(uuid), full: true, properties, ct, deleted,
            Http.IsTrue(context.Request.Headers["X-Extended-Metadata"])) ?? throw Problems.NotFound());
    }

    /// <summary>A new version on top of the current one; a stale baseVersion is 409.15 unless ?force=true.</summary>
    private static async Task<IResult> UpdateEntity(int projectId, string name, string uuid, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        var caller = context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        var properties = await Catalog.GetPropertyNamesAsync(db, dataset.Id, ct);
        var entityUuid = ParseUuidOrNotFound(uuid);
        var body = await Http.ReadJsonObjectAsync(context.Request);
        var userAgent = context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null;

        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            long entityId;
            int version;
            string label;
            Dictionary<string, string> data;
            await using (var locking = new NpgsqlCommand("""
                SELECT e.id, e.version, e.label, e.data::text FROM odk.entities e
                WHERE e.dataset_id = @dataset AND e.uuid = @uuid AND e.deleted_at IS NULL FOR UPDATE
                """, connection, tx))
            {
                locking.Parameters.AddWithValue("dataset", dataset.Id);
                locking.Parameters.AddWithValue("uuid", entityUuid);
                await using var reader = await locking.ExecuteReaderAsync(ct);
                if (!await reader.ReadAsync(ct)) throw Problems.NotFound();
                entityId = reader.GetInt64(0);
                version = reader.GetInt32(1);
                label = reader.GetString(2);
                data = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(3)) ?? [];
            }

            // lib/resources/entities.js PATCH: ?resolve=true on an entity without a conflict is 400.32 (the
            // emulator never makes conflicts), before the version is checked.
            if (Http.IsTrue(context.Request.Query["resolve"])) throw Problems.NoConflictEntity();
            var baseVersion = context.Request.Query["baseVersion"];
            var provided = baseVersion.Count > 0 ? baseVersion.ToString() : null;
            if (provided != version.ToString() && !Http.IsTrue(context.Request.Query["force"]))
                throw Problems.EntityVersionConflict(version.ToString(), provided);

            var input = ParseEntity(body, properties, isUpdate: true);
            foreach (var (key, value) in input.Data) data[key] = value;
            label = input.Label ?? label;

            await using var update = new NpgsqlCommand("""
                WITH now AS (SELECT clock_timestamp() AS ts),
                old AS (UPDATE odk.entity_defs SET current = false WHERE entity_id = @id AND current),
                entity AS (
                    UPDATE odk.entities SET version = @version, label = @label, data = @data, updated_at = now.ts, updates = updates + 1
                    FROM now WHERE id = @id RETURNING updated_at
                )
                INSERT INTO odk.entity_defs (entity_id, version, current, label, data, data_received, creator_id, user_agent, base_version, created_at)
                SELECT @id, @version, true, @label, @data, @received, @creator, @agent, @base, entity.updated_at FROM entity
                """, connection, tx);
            update.Parameters.AddWithValue("id", entityId);
            update.Parameters.AddWithValue("version", version + 1);
            update.Parameters.AddWithValue("label", label);
            update.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(data) });
            update.Parameters.Add(new NpgsqlParameter("received", NpgsqlDbType.Jsonb) { Value = input.DataReceived.ToJsonString() });
            update.Parameters.AddWithValue("creator", caller.ActorId);
            update.Parameters.AddWithValue("agent", (object?)userAgent ?? DBNull.Value);
            update.Parameters.AddWithValue("base", version);
            await update.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
        }
        await LogEntityEventAsync(db, caller.ActorId, "entity.update.version", dataset, entityUuid, ct);

        return Http.Json(await EntityJsonAsync(db, dataset, entityUuid, full: true, properties, ct) ?? throw Problems.NotFound());
    }

    private sealed record EntityDef(long Id, int Version, int? BaseVersion, string Label, JsonObject Data, JsonObject DataReceived, int CreatorId,
        string? UserAgent, DateTime CreatedAt, bool Current, JsonObject? Source, JsonObject? Creator);

    /// <summary>Every version of a live entity of the list, oldest first (lib/model/query/entities.js getAllDefs).</summary>
    private static async Task<List<EntityDef>> DefsAsync(NpgsqlDataSource db, DatasetRow dataset, Guid uuid, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT d.id, d.version, d.base_version, d.label, d.data::text, d.data_received::text, d.creator_id, d.user_agent, d.created_at, d.current, d.source::text,
                   a.id, a.type, a.display_name, a.created_at, a.updated_at, a.deleted_at
            FROM odk.entities e JOIN odk.entity_defs d ON d.entity_id = e.id LEFT JOIN odk.actors a ON a.id = d.creator_id
            WHERE e.dataset_id = @dataset AND e.uuid = @uuid AND e.deleted_at IS NULL
            ORDER BY d.created_at, d.id
            """);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("uuid", uuid);
        var defs = new List<EntityDef>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var source = reader.IsDBNull(10) ? null : JsonNode.Parse(reader.GetString(10)) as JsonObject;
            source?.Remove("sourceId");
            defs.Add(new EntityDef(reader.GetInt64(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.GetString(3),
                JsonNode.Parse(reader.GetString(4))!.AsObject(), JsonNode.Parse(reader.GetString(5))!.AsObject(), reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetDateTime(8), reader.GetBoolean(9), source,
                SubmissionEndpoints.ActorJson(reader, 11)));
        }
        return defs;
    }

    /// <summary>lib/data/entity.js getDiffProp: received keys absent from, or different in, the other version (label included).</summary>
    private static JsonArray DiffProps(JsonObject received, EntityDef other)
    {
        var diff = new JsonArray();
        foreach (var (key, value) in received)
        {
            var otherValue = key == "label" ? other.Label : other.Data[key]?.GetValue<string>();
            var mine = value?.GetValue<string>();
            if ((key != "label" && !other.Data.ContainsKey(key)) || mine != otherValue) diff.Add(key);
        }
        return diff;
    }

    /// <summary>
    /// lib/resources/entities.js GET :uuid/versions with lib/data/entity.js getWithConflictDetails. The emulator
    /// makes no conflicting versions, so conflict is null, nothing is resolved or relevant to a conflict (and
    /// ?relevantToConflict=true lists nothing), the last version is the last good one; baseDiff/serverDiff
    /// compare what was received with the base and the previous version.
    /// </summary>
    private static async Task<IResult> EntityVersions(int projectId, string name, string uuid, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        var defs = await DefsAsync(db, dataset, ParseUuidOrNotFound(uuid), ct);
        if (defs.Count == 0) throw Problems.NotFound();
        var properties = await Catalog.GetPropertyNamesAsync(db, dataset.Id, ct);
        var extended = Http.IsTrue(context.Request.Headers["X-Extended-Metadata"]);
        var list = new JsonArray();
        foreach (var def in defs)
        {
            var data = def.Data.DeepClone().AsObject();
            if (def.Current)
                foreach (var key in data.Select(p => p.Key).Where(k => !properties.Contains(k)).ToList()) data.Remove(key);
            var version = new JsonObject
            {
                ["label"] = def.Label,
                ["data"] = data,
                ["dataReceived"] = def.DataReceived.DeepClone(),
                ["creatorId"] = def.CreatorId,
                ["userAgent"] = def.UserAgent,
                ["version"] = def.Version,
                ["baseVersion"] = def.BaseVersion,
                ["conflictingProperties"] = null,
                ["createdAt"] = Http.Timestamp(def.CreatedAt),
                ["current"] = def.Current,
                ["branchId"] = null,
                ["trunkVersion"] = null,
                ["branchBaseVersion"] = null,
                ["source"] = def.Source?.DeepClone() ?? new JsonObject(),
                ["conflict"] = null,
                ["resolved"] = false,
                ["baseDiff"] = def.Version > 1 && def.BaseVersion is { } b && b >= 1 && b <= defs.Count ? DiffProps(def.DataReceived, defs[b - 1]) : new JsonArray(),
                ["serverDiff"] = def.Version > 1 ? DiffProps(def.DataReceived, defs[def.Version - 2]) : new JsonArray(),
                ["lastGoodVersion"] = ReferenceEquals(def, defs[^1]),
                ["relevantToConflict"] = false,
            };
            if (extended) version["creator"] = def.Creator;
            list.Add(version);
        }
        return Http.Json(Http.IsTrue(context.Request.Query["relevantToConflict"]) ? new JsonArray() : list);
    }

    /// <summary>lib/data/entity.js diffEntityData: for each version after the first, what changed from the one before.</summary>
    private static async Task<IResult> EntityDiffs(int projectId, string name, string uuid, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        var defs = await DefsAsync(db, dataset, ParseUuidOrNotFound(uuid), ct);
        if (defs.Count == 0) throw Problems.NotFound();
        JsonObject Flat(EntityDef d)
        {
            var flat = new JsonObject { ["label"] = d.Label };
            foreach (var (k, v) in d.Data) flat[k] = v?.DeepClone();
            return flat;
        }
        var diffs = new JsonArray();
        for (var i = 1; i < defs.Count; i++)
        {
            var current = Flat(defs[i]);
            var previous = Flat(defs[i - 1]);
            var diff = new JsonArray();
            foreach (var (key, value) in current)
            {
                var old = previous[key];
                if (old?.ToJsonString() == value?.ToJsonString() && previous.ContainsKey(key)) continue;
                var change = new JsonObject();
                if (previous.ContainsKey(key)) change["old"] = old?.DeepClone();
                change["new"] = value?.DeepClone();
                change["propertyName"] = key;
                diff.Add(change);
            }
            diffs.Add(diff);
        }
        return Http.Json(diffs);
    }

    /// <summary>lib/resources/entities.js GET :uuid/audits: the live entity's audits with actors (Audits.getByEntityId).</summary>
    private static async Task<IResult> EntityAudits(int projectId, string name, string uuid, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        var entityUuid = ParseUuidOrNotFound(uuid);
        if (await EntityJsonAsync(db, dataset, entityUuid, full: false, [], ct) is null) throw Problems.NotFound();
        return Http.Json(await AuditEndpoints.ForEntityAsync(db, entityUuid, ct));
    }

    /// <summary>lib/model/query/entities.js getAllCreators: the actors who created live entities of the list, by name.</summary>
    private static async Task<IResult> EntityCreators(int projectId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        await using var command = db.CreateCommand("""
            SELECT a.id, a.type, a.display_name, a.created_at, a.updated_at, a.deleted_at FROM odk.actors a
            WHERE a.id IN (SELECT creator_id FROM odk.entities WHERE deleted_at IS NULL AND dataset_id = @dataset)
            ORDER BY a.display_name
            """);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        var list = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(SubmissionEndpoints.ActorJson(reader, 0));
        return Http.Json(list);
    }

    /// <summary>entity.create / entity.update.version details (lib/model/query/entities.js): the entity, its row and current version.</summary>
    private static async Task LogEntityEventAsync(NpgsqlDataSource db, int actorId, string action, DatasetRow dataset, Guid uuid, CancellationToken ct)
    {
        await using var ids = db.CreateCommand("SELECT e.id, d.id FROM odk.entities e JOIN odk.entity_defs d ON d.entity_id = e.id AND d.current WHERE e.uuid = @uuid");
        ids.Parameters.AddWithValue("uuid", uuid);
        long entityId, defId;
        await using (var reader = await ids.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return;
            entityId = reader.GetInt64(0);
            defId = reader.GetInt64(1);
        }
        await AuditLog.WriteAsync(db, actorId, action, AuditLog.Actee.Dataset, dataset.Id, new JsonObject
        {
            ["entity"] = new JsonObject { ["uuid"] = uuid.ToString(), ["dataset"] = dataset.Name },
            ["entityId"] = entityId,
            ["entityDefId"] = defId,
        }, ct);
    }

    /// <summary>Central soft-deletes: the entity leaves lists, feeds and CSVs, and its uuid stays taken.</summary>
    private static async Task<IResult> DeleteEntity(int projectId, string name, string uuid, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        await using var command = db.CreateCommand("""
            UPDATE odk.entities SET deleted_at = clock_timestamp() WHERE dataset_id = @dataset AND uuid = @uuid AND deleted_at IS NULL
            """);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        var entityUuid = ParseUuidOrNotFound(uuid);
        command.Parameters.AddWithValue("uuid", entityUuid);
        if (await command.ExecuteNonQueryAsync(ct) == 0) throw Problems.NotFound();
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "entity.delete", AuditLog.Actee.Dataset, dataset.Id,
            new JsonObject { ["entity"] = new JsonObject { ["uuid"] = entityUuid.ToString() } }, ct);
        return Http.Json(Http.Success());
    }

    /// <summary>
    /// central-backend lib/resources/entities.js restore: only a deleted entity of this list is found (else 404.1);
    /// deletedAt is cleared and updatedAt bumped (Entities.restore); the answer is {"success":true}.
    /// </summary>
    private static async Task<IResult> RestoreEntity(int projectId, string name, string uuid, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        await using var command = db.CreateCommand("""
            UPDATE odk.entities SET deleted_at = NULL, updated_at = clock_timestamp()
            WHERE dataset_id = @dataset AND uuid = @uuid AND deleted_at IS NOT NULL
            """);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        var entityUuid = ParseUuidOrNotFound(uuid);
        command.Parameters.AddWithValue("uuid", entityUuid);
        if (await command.ExecuteNonQueryAsync(ct) == 0) throw Problems.NotFound();
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "entity.restore", AuditLog.Actee.Dataset, dataset.Id,
            new JsonObject { ["entity"] = new JsonObject { ["uuid"] = entityUuid.ToString() } }, ct);
        return Http.Json(Http.Success());
    }

    /// <summary>
    /// central-backend lib/resources/entities.js bulk-delete / bulk-restore: {"ids":[...]} answers {"count":N}, the
    /// entities of this list actually changed (deleteByIds / restoreByIds; restoring leaves updatedAt alone).
    /// </summary>
    private static async Task<IResult> BulkDeleteOrRestore(int projectId, string name, bool restore, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        var body = await Http.ReadJsonObjectAsync(context.Request);
        // Upstream hands a missing ids array straight to SQL, which fails as a plain 500.
        if (body["ids"] is not JsonArray ids) throw Problems.InternalServerError();
        var uuids = new List<Guid>();
        foreach (var id in ids)
        {
            if (id is not JsonValue v || !v.TryGetValue<string>(out var text) || !Guid.TryParse(text, out var g)) throw Problems.InternalServerError();
            uuids.Add(g);
        }
        await using var command = db.CreateCommand(restore
            ? "UPDATE odk.entities SET deleted_at = NULL WHERE deleted_at IS NOT NULL AND uuid = ANY(@uuids) AND dataset_id = @dataset RETURNING uuid"
            : "UPDATE odk.entities SET deleted_at = now() WHERE deleted_at IS NULL AND uuid = ANY(@uuids) AND dataset_id = @dataset RETURNING uuid");
        command.Parameters.Add(new NpgsqlParameter("uuids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = uuids.ToArray() });
        command.Parameters.AddWithValue("dataset", dataset.Id);
        var changed = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) changed.Add(reader.GetGuid(0).ToString());
        // deleteByIds/restoreByIds.audit: one entity logs like a single delete/restore, several log the bulk action.
        var caller = context.Caller()!.ActorId;
        if (changed.Count == 1)
            await AuditLog.WriteAsync(db, caller, restore ? "entity.restore" : "entity.delete", AuditLog.Actee.Dataset, dataset.Id,
                new JsonObject { ["entity"] = new JsonObject { ["uuid"] = changed[0] } }, ct);
        else if (changed.Count > 1)
            await AuditLog.WriteAsync(db, caller, restore ? "entity.bulk.restore" : "entity.bulk.delete", AuditLog.Actee.Dataset, dataset.Id,
                new JsonObject { ["entityUuids"] = new JsonArray(changed.Select(u => (JsonNode?)u).ToArray()) }, ct);
        return Http.Json(new JsonObject { ["count"] = changed.Count });
    }

    private static async Task<IResult> EntitiesCsv(int projectId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        // lib/resources/datasets.js entities.csv: a strong ETag of the list's OpenRosa hash (the one the manifest
        // gives); a matching If-None-Match is 304.
        // With a $filter (system fields only, as in the feed) there is no ETag.
        var filter = context.Request.Query["$filter"].ToString();
        var parameters = new List<NpgsqlParameter>();
        var where = context.Request.Query.ContainsKey("$filter") ? ODataFilter.ToSql(filter, EntityColumns, parameters) : null;
        if (where is null)
        {
            var hash = Http.Md5(await EntityCsv.AttachmentAsync(db, dataset, ct));
            if (Http.WithEtag(context, hash, weak: false)) return Http.NotModified();
        }
        var csv = await EntityCsv.ExportAsync(db, dataset, ct, where, parameters);
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}.csv\"";
        return Results.Text(csv, "text/csv; charset=utf-8", Encoding.UTF8);
    }

    private static async Task<IResult> EntityServiceDocument(int projectId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        await Catalog.GetDatasetAsync(db, projectId, name, ct);
        return Http.Json(new JsonObject
        {
            ["@odata.context"] = $"{Http.PublicOrigin(context)}/v1/projects/{projectId}/datasets/{Uri.EscapeDataString(name)}.svc/$metadata",
            ["value"] = new JsonArray(new JsonObject { ["name"] = "Entities", ["kind"] = "EntitySet", ["url"] = "Entities" }),
        });
    }

    private static async Task<IResult> EntityMetadata(int projectId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        var properties = await Catalog.GetPropertyNamesAsync(db, dataset.Id, ct);
        var xml = new StringBuilder("""
            <?xml version="1.0" encoding="UTF-8"?>
            <edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
              <edmx:DataServices>
                <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="org.opendatakit.entity">
                  <EntityType Name="Entities">
                    <Key><PropertyRef Name="__id"/></Key>
                    <Property Name="__id" Type="Edm.String"/>
                    <Property Name="label" Type="Edm.String"/>

            """);
        foreach (var property in properties) xml.Append($"        <Property Name=\"{Http.XmlEscape(Http.ODataName(property))}\" Type=\"Edm.String\"/>\n");
        xml.Append("""
                  </EntityType>
                  <EntityContainer Name="org.opendatakit.entity">
                    <EntitySet Name="Entities" EntityType="org.opendatakit.entity.Entities"/>
                  </EntityContainer>
                </Schema>
              </edmx:DataServices>
            </edmx:Edmx>
            """);
        return Http.Xml(xml.ToString(), contentType: "application/xml; charset=utf-8");
    }

    /// <summary>
    /// The Entities feed (lib/resources/odata-entities.js, lib/data/entity.js streamEntityOdata): system-field
    /// $filter, $search, $top/$skip/$count, $skiptoken paging, $select and $orderby, checked in Central's order.
    /// A next link is given while rows remain past this page: skiptoken ? rowsAfterCursor - top : count - (top + skip).
    /// </summary>
    private static async Task<IResult> EntityFeed(int projectId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        await Catalog.EnsureProjectAsync(db, projectId, ct);
        var dataset = await Catalog.GetDatasetAsync(db, projectId, name, ct);
        var properties = await Catalog.GetPropertyNamesAsync(db, dataset.Id, ct);
        var query = context.Request.Query;
        var paging = ODataPaging.From(query);
        var order = query["$orderby"].ToString();
        if (query.ContainsKey("$orderby") && paging.Skiptoken is not null) throw Problems.NotImplemented("using $orderby and $skiptoken together");

        var filter = query["$filter"].ToString();
        var parameters = new List<NpgsqlParameter>();
        var where = ODataFilter.ToSql(filter, EntityColumns, parameters);
        if (!ODataFilter.MentionsDeletedAt(filter)) where += " AND e.deleted_at IS NULL";
        if (query.ContainsKey("$search"))
        {
            // Entities searchClause: PostgreSQL full-text search over the string values and the label.
            where += " AND (jsonb_to_tsvector('simple', e.data, '[\"string\"]') || to_tsvector('simple', e.label)) @@ websearch_to_tsquery('simple', @search)";
            parameters.Add(new NpgsqlParameter("search", query["$search"].ToString()));
        }

        var cursor = "";
        if (paging.Skiptoken is not null)
        {
            // The cursor's uuid goes to SQL as ::uuid: missing is a bare 500, malformed a 400.11 cast error.
            if (paging.Skiptoken["uuid"] is not JsonValue u || !u.TryGetValue<string>(out var cursorText)) throw Problems.InternalServerError();
            if (!Guid.TryParse(cursorText, out var cursorUuid)) throw Problems.InvalidInputSyntax(cursorText, "type uuid");
            parameters.Add(new NpgsqlParameter("cursor", cursorUuid));
            cursor = " AND e.created_at <= (SELECT created_at FROM odk.entities WHERE uuid = @cursor) AND e.id < (SELECT id FROM odk.entities WHERE uuid = @cursor)";
        }
        paging.CheckNumbers();
        var orderBy = order.Length > 0 ? ODataFilter.OrderBy(order, EntityColumns, "e.id") : "ORDER BY e.created_at DESC, e.id DESC";

        HashSet<string>? selected = null;
        if (query["$select"].ToString() is { Length: > 0 } select && select != "*")
        {
            selected = select.Split(',').Select(s => s.Trim()).ToHashSet();
            foreach (var p in selected.Where(p => p != "__id" && p != "__system" && !EntityColumns.ContainsKey(p) && !properties.Contains(p)))
                throw Problems.PropertyNotFound(p);
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        long total, remainingAfterCursor;
        await using (var countCommand = new NpgsqlCommand($"""
            SELECT (SELECT count(*) FROM odk.entities e WHERE e.dataset_id = @dataset AND {where}),
                   (SELECT count(*) FROM odk.entities e WHERE e.dataset_id = @dataset AND {where}{cursor})
            """, connection))
        {
            countCommand.Parameters.AddWithValue("dataset", dataset.Id);
            foreach (var p in parameters) countCommand.Parameters.Add(p.Clone());
            await using var reader = await countCommand.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            total = reader.GetInt64(0);
            remainingAfterCursor = reader.GetInt64(1);
        }

        await using var command = new NpgsqlCommand($"""
            SELECT e.uuid, e.label, e.data::text, e.created_at, e.creator_id, a.display_name, e.updates, e.updated_at, e.deleted_at, e.version, e.conflict
            FROM odk.entities e LEFT JOIN odk.actors a ON a.id = e.creator_id
            WHERE e.dataset_id = @dataset AND {where}{cursor}
            {orderBy}
            LIMIT @limit OFFSET @offset
            """, connection);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        foreach (var p in parameters) command.Parameters.Add(p.Clone());
        command.Parameters.AddWithValue("limit", paging.Top ?? long.MaxValue);
        command.Parameters.AddWithValue("offset", paging.Skip);

        var rows = new JsonArray();
        string? lastUuid = null;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                lastUuid = reader.GetGuid(0).ToString();
                rows.Add(EntityRow(reader, lastUuid, properties, selected));
            }
        }

        var result = new JsonObject
        {
            ["value"] = rows,
            ["@odata.context"] = $"{Http.PublicOrigin(context)}/v1/projects/{projectId}/datasets/{Uri.EscapeDataString(name)}.svc/$metadata#Entities",
        };
        var remaining = paging.Top is not { } top ? -1
            : paging.Skiptoken is not null ? remainingAfterCursor - top : total - (top + paging.Skip);
        if (remaining > 0)
        {
            var token = new JsonObject();
            if (lastUuid is not null) token["uuid"] = lastUuid;
            result["@odata.nextLink"] = ODataPaging.NextLink(context, ODataFilter.Skiptoken(token.ToJsonString()));
        }
        if (paging.Count) result["@odata.count"] = total;
        return Http.Json(result);
    }

    private static JsonObject EntityRow(NpgsqlDataReader reader, string uuid, List<string> properties, HashSet<string>? selected)
    {
        var row = new JsonObject();
        if (selected is null || selected.Contains("__id")) row["__id"] = uuid;
        if (selected is null || selected.Contains("label")) row["label"] = reader.GetString(1);
        var system = new JsonObject
        {
            ["createdAt"] = Http.Timestamp(reader.GetDateTime(3)),
            ["creatorId"] = reader.GetInt32(4).ToString(),
            ["creatorName"] = reader.IsDBNull(5) ? null : reader.GetString(5),
            ["updates"] = reader.GetInt32(6),
            ["updatedAt"] = Http.Timestamp(reader.IsDBNull(7) ? null : reader.GetDateTime(7)),
            ["deletedAt"] = Http.Timestamp(reader.IsDBNull(8) ? null : reader.GetDateTime(8)),
            ["version"] = reader.GetInt32(9),
            ["conflict"] = reader.IsDBNull(10) ? null : reader.GetString(10),
        };
        if (selected is null || selected.Contains("__system"))
        {
            row["__system"] = system;
        }
        else
        {
            var picked = new JsonObject();
            foreach (var p in selected.Where(p => p.StartsWith("__system/", StringComparison.Ordinal)))
                picked[p["__system/".Length..]] = system[p["__system/".Length..]]?.DeepClone();
            if (picked.Count > 0) row["__system"] = picked;
        }

        var data = JsonNode.Parse(reader.GetString(2))!.AsObject();
        foreach (var property in properties)
            if (selected is null || selected.Contains(property))
                row[Http.ODataName(property)] = data[property]?.DeepClone() ?? "";
        return row;
    }
}

/// <summary>The CSV renderings of an entity list: the export (entities.csv) and the form attachment.</summary>
public static class EntityCsv
{
    public static async Task<string> ExportAsync(NpgsqlDataSource db, DatasetRow dataset, CancellationToken ct,
        string? where = null, List<NpgsqlParameter>? parameters = null)
    {
        var properties = await Catalog.GetPropertyNamesAsync(db, dataset.Id, ct);
        var csv = new StringBuilder();
        csv.AppendJoin(',', new[] { "__id", "label" }.Concat(properties.Select(Http.CsvField))
            .Concat(["__createdAt", "__creatorId", "__creatorName", "__updates", "__updatedAt", "__version"])).Append('\n');
        await using var command = db.CreateCommand($"""
            SELECT e.uuid, e.label, e.data::text, e.created_at, e.creator_id, a.display_name, e.updates, e.updated_at, e.version
            FROM odk.entities e LEFT JOIN odk.actors a ON a.id = e.creator_id
            WHERE e.dataset_id = @dataset AND e.deleted_at IS NULL AND {where ?? "true"} ORDER BY e.created_at DESC, e.id DESC
            """);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        foreach (var p in parameters ?? []) command.Parameters.Add(p.Clone());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var data = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(2)) ?? [];
            csv.Append(reader.GetGuid(0)).Append(',').Append(Http.CsvField(reader.GetString(1)));
            foreach (var property in properties) csv.Append(',').Append(Http.CsvField(data.GetValueOrDefault(property)));
            csv.Append(',').Append(Http.Timestamp(reader.GetDateTime(3)))
               .Append(',').Append(reader.GetInt32(4))
               .Append(',').Append(Http.CsvField(reader.IsDBNull(5) ? null : reader.GetString(5)))
               .Append(',').Append(reader.GetInt32(6))
               .Append(',').Append(reader.IsDBNull(7) ? "" : Http.Timestamp(reader.GetDateTime(7)))
               .Append(',').Append(reader.GetInt32(8))
               .Append('\n');
        }
        return csv.ToString();
    }

    /// <summary>What a form downloads: name (the entity uuid), label, __version, then the properties.</summary>
    public static async Task<string> AttachmentAsync(NpgsqlDataSource db, DatasetRow dataset, CancellationToken ct)
    {
        var properties = await Catalog.GetPropertyNamesAsync(db, dataset.Id, ct);
        var csv = new StringBuilder();
        csv.AppendJoin(',', new[] { "name", "label", "__version" }.Concat(properties.Select(Http.CsvField))).Append('\n');
        await using var command = db.CreateCommand("""
            SELECT uuid, label, version, data::text FROM odk.entities
            WHERE dataset_id = @dataset AND deleted_at IS NULL ORDER BY created_at DESC, id DESC
            """);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var data = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(3)) ?? [];
            csv.Append(reader.GetGuid(0)).Append(',').Append(Http.CsvField(reader.GetString(1))).Append(',').Append(reader.GetInt32(2));
            foreach (var property in properties) csv.Append(',').Append(Http.CsvField(data.GetValueOrDefault(property)));
            csv.Append('\n');
        }
        return csv.ToString();
    }
}
