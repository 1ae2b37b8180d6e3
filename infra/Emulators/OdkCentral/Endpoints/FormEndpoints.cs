using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using OneClickSuite.Emulators.OdkCentral.Data;
using OneClickSuite.Emulators.OdkCentral.Forms;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;

namespace OneClickSuite.Emulators.OdkCentral.Endpoints;

/// <summary>Forms, drafts, attachments and the OpenRosa form list and manifest.</summary>
public static class FormEndpoints
{
    private static readonly string[] SpreadsheetTypes =
    [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel",
    ];

    public static void MapFormEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/projects/{projectId:int}/forms", CreateForm);
        app.MapGet("/v1/projects/{projectId:int}/forms", ListForms);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}.xml", GetFormXml);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}", GetForm);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/fields", GetFields);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/versions", ListVersions);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/versions/{version}.xml", (int projectId, string xmlFormId, string version, HttpContext context, NpgsqlDataSource db, CancellationToken ct) =>
            GetVersion(projectId, xmlFormId, version, xml: true, context, db, ct));
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/versions/{version}", (int projectId, string xmlFormId, string version, HttpContext context, NpgsqlDataSource db, CancellationToken ct) =>
            GetVersion(projectId, xmlFormId, version, xml: false, context, db, ct));
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/assignments", ListAssignments);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/attachments", (int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct) =>
            ListAttachments(projectId, xmlFormId, draft: false, context, db, ct));
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/attachments/{name}", DownloadAttachment);

        app.MapPost("/v1/projects/{projectId:int}/forms/{xmlFormId}/draft", CreateDraft);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/draft", GetDraft);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/draft/attachments", (int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct) =>
            ListAttachments(projectId, xmlFormId, draft: true, context, db, ct));
        app.MapPatch("/v1/projects/{projectId:int}/forms/{xmlFormId}/draft/attachments/{name}", LinkDraftAttachment);
        app.MapPost("/v1/projects/{projectId:int}/forms/{xmlFormId}/draft/publish", PublishDraft);

        app.MapGet("/v1/projects/{projectId:int}/formList", FormList);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/manifest", Manifest);
    }

    private static async Task<IResult> CreateForm(int projectId, HttpContext context, NpgsqlDataSource db,
        IHttpClientFactory httpClients, IConfiguration configuration, CancellationToken ct)
    {
        context.RequireUser();
        await Catalog.EnsureProjectAsync(db, projectId, ct);
        var xml = await ReadFormXmlAsync(context, httpClients, configuration, ct);
        var xform = XForm.Parse(xml);
        var publish = Http.IsTrue(context.Request.Query["publish"]);

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        int formId;
        await using (var insertForm = new NpgsqlCommand(
            "INSERT INTO odk.forms (project_id, xml_form_id) VALUES (@project, @form) RETURNING id", connection, tx))
        {
            insertForm.Parameters.AddWithValue("project", projectId);
            insertForm.Parameters.AddWithValue("form", xform.XmlFormId);
            try
            {
                formId = (int)(await insertForm.ExecuteScalarAsync(ct))!;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw Problems.UniquenessViolation(["xmlFormId", "projectId"], [xform.XmlFormId, projectId.ToString()], "forms");
            }
        }

        var defId = await InsertDefAsync(connection, tx, formId, projectId, xml, xform, publish, ct);
        await using (var point = new NpgsqlCommand(
            publish ? "UPDATE odk.forms SET current_def_id = @def WHERE id = @form" : "UPDATE odk.forms SET draft_def_id = @def WHERE id = @form",
            connection, tx))
        {
            point.Parameters.AddWithValue("def", defId);
            point.Parameters.AddWithValue("form", formId);
            await point.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "form.create", AuditLog.Actee.Form, formId, null, ct);

        var form = await Catalog.GetFormAsync(db, projectId, xform.XmlFormId, ct);
        return Http.Json(Catalog.FormJson(form, await Catalog.GetDefAsync(db, defId, ct)));
    }

    /// <summary>XForm XML as given, or an XLSForm converted by pyxform-http when one is configured.</summary>
    private static async Task<string> ReadFormXmlAsync(HttpContext context, IHttpClientFactory httpClients, IConfiguration configuration, CancellationToken ct)
    {
        var contentType = context.Request.ContentType?.Split(';')[0].Trim() ?? "";
        if (!SpreadsheetTypes.Contains(contentType, StringComparer.OrdinalIgnoreCase))
            return await Http.ReadTextAsync(context.Request);

        var pyxformUrl = configuration["Odk:PyxformUrl"];
        if (string.IsNullOrWhiteSpace(pyxformUrl))
            throw Problems.XlsformNotAvailable(new JsonObject
            {
                ["errno"] = -111, ["code"] = "ECONNREFUSED", ["syscall"] = "connect", ["address"] = "pyxform", ["port"] = 80,
            });

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, pyxformUrl.TrimEnd('/') + "/api/v1/convert")
        {
            Content = new ByteArrayContent(buffer.ToArray()),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.TryAddWithoutValidation("X-XlsForm-FormId-Fallback", context.Request.Headers["X-XlsForm-FormId-Fallback"].ToString());
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient("pyxform").SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            throw Problems.XlsformNotAvailable(new JsonObject { ["code"] = "ECONNREFUSED", ["message"] = ex.Message });
        }

        using (response)
        {
            JsonObject? body;
            try { body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) as JsonObject; }
            catch (JsonException) { body = null; }
            if (body is null) throw Problems.XlsformNotAvailable(new JsonObject { ["status"] = (int)response.StatusCode });
            if (!response.IsSuccessStatusCode) throw Problems.XlsformNotValid(body["error"], body["warnings"]);
            return body["result"]?.GetValue<string>() ?? throw Problems.XlsformNotValid(body["error"], body["warnings"]);
        }
    }

    private static async Task<int> InsertDefAsync(NpgsqlConnection connection, NpgsqlTransaction tx, int formId, int projectId,
        string xml, XForm xform, bool publish, CancellationToken ct)
    {
        int defId;
        await using (var insertDef = new NpgsqlCommand("""
            INSERT INTO odk.form_defs (form_id, xml, name, version, hash, sha, sha256, draft_token, fields, published_at)
            VALUES (@form, @xml, @name, @version, @hash, @sha, @sha256, @token, @fields::jsonb, CASE WHEN @publish THEN clock_timestamp() END)
            RETURNING id
            """, connection, tx))
        {
            insertDef.Parameters.AddWithValue("form", formId);
            insertDef.Parameters.AddWithValue("xml", xml);
            insertDef.Parameters.AddWithValue("name", (object?)xform.Name ?? DBNull.Value);
            insertDef.Parameters.AddWithValue("version", xform.Version);
            insertDef.Parameters.AddWithValue("hash", xform.Md5);
            insertDef.Parameters.AddWithValue("sha", xform.Sha1);
            insertDef.Parameters.AddWithValue("sha256", xform.Sha256);
            insertDef.Parameters.AddWithValue("token", publish ? DBNull.Value : Tokens.New());
            insertDef.Parameters.AddWithValue("fields", JsonSerializer.Serialize(xform.Fields));
            insertDef.Parameters.AddWithValue("publish", publish);
            defId = (int)(await insertDef.ExecuteScalarAsync(ct))!;
        }

        // A CSV attachment named like an entity list of the project is linked to it, as Central does on upload.
        foreach (var attachment in xform.Attachments)
        {
            await using var insertAttachment = new NpgsqlCommand("""
                INSERT INTO odk.form_attachments (form_def_id, name, type, dataset_id)
                VALUES (@def, @name, @type,
                    (SELECT id FROM odk.datasets WHERE project_id = @project AND @name LIKE '%.csv' AND name = left(@name, -4)))
                """, connection, tx);
            insertAttachment.Parameters.AddWithValue("def", defId);
            insertAttachment.Parameters.AddWithValue("name", attachment.Name);
            insertAttachment.Parameters.AddWithValue("type", attachment.Type);
            insertAttachment.Parameters.AddWithValue("project", projectId);
            await insertAttachment.ExecuteNonQueryAsync(ct);
        }
        return defId;
    }

    private static async Task<IResult> ListForms(int projectId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        await Catalog.EnsureProjectAsync(db, projectId, ct);
        await using var command = db.CreateCommand("""
            SELECT xml_form_id FROM odk.forms WHERE project_id = @project AND deleted_at IS NULL ORDER BY xml_form_id
            """);
        command.Parameters.AddWithValue("project", projectId);
        var ids = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));

        var list = new JsonArray();
        var extended = Http.IsTrue(context.Request.Headers["X-Extended-Metadata"]);
        foreach (var id in ids)
        {
            var form = await Catalog.GetFormAsync(db, projectId, id, ct);
            var json = Catalog.FormJson(form, await Catalog.GetDefAsync(db, (form.CurrentDefId ?? form.DraftDefId)!.Value, ct));
            if (extended) await AddExtendedAsync(db, form, json, ct);
            list.Add(json);
        }
        return Http.Json(list);
    }

    /// <summary>lib/resources/forms.js formResource: the form at its current version, or its draft when never published (Form.AnyVersion); app users assigned to it may read it.</summary>
    private static async Task<IResult> GetForm(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await EnsureCanReadAsync(context, db, form, ct);
        var json = Catalog.FormJson(form, await Catalog.GetDefAsync(db, (form.CurrentDefId ?? form.DraftDefId)!.Value, ct));
        if (Http.IsTrue(context.Request.Headers["X-Extended-Metadata"]) && context.Caller()!.IsUser)
        {
            await AddExtendedAsync(db, form, json, ct);
            json["publishNotes"] = null;
        }
        return Http.Json(json);
    }

    /// <summary>
    /// X-Extended-Metadata on forms (lib/model/query/forms.js Form.Extended): submission counts by review state,
    /// the last submission, the creator (from the form.create audit), public links, entity relation, no XLSForm.
    /// </summary>
    private static async Task AddExtendedAsync(NpgsqlDataSource db, FormRow form, JsonObject json, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT count(*), max(created_at),
                   count(*) FILTER (WHERE review_state IS NULL), count(*) FILTER (WHERE review_state = 'hasIssues'),
                   count(*) FILTER (WHERE review_state = 'edited'),
                   EXISTS (SELECT 1 FROM odk.form_attachments a JOIN odk.form_defs d ON d.id = a.form_def_id
                           WHERE d.form_id = @form AND a.dataset_id IS NOT NULL)
            FROM odk.submissions WHERE form_id = @form AND deleted_at IS NULL
            """);
        command.Parameters.AddWithValue("form", form.Id);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            json["submissions"] = reader.GetInt64(0);
            json["lastSubmission"] = Http.Timestamp(reader.IsDBNull(1) ? null : reader.GetDateTime(1));
            json["reviewStates"] = new JsonObject { ["received"] = reader.GetInt64(2), ["hasIssues"] = reader.GetInt64(3), ["edited"] = reader.GetInt64(4) };
            json["entityRelated"] = reader.GetBoolean(5);
        }
        await using var creator = db.CreateCommand("""
            SELECT a.id, a.type, a.display_name, a.created_at, a.updated_at, a.deleted_at
            FROM odk.audits au JOIN odk.actors a ON a.id = au.actor_id
            WHERE au.action = 'form.create' AND au.actee_id = (SELECT actee_id FROM odk.forms WHERE id = @form)
            ORDER BY au.id LIMIT 1
            """);
        creator.Parameters.AddWithValue("form", form.Id);
        await using (var reader = await creator.ExecuteReaderAsync(ct))
            json["createdBy"] = await reader.ReadAsync(ct) ? SubmissionEndpoints.ActorJson(reader, 0) : null;
        json["publicLinks"] = 0;
        json["excelContentType"] = null;
    }

    private static async Task<IResult> GetFormXml(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await EnsureCanReadAsync(context, db, form, ct);
        var def = await Catalog.GetDefAsync(db, (form.CurrentDefId ?? form.DraftDefId)!.Value, ct);
        return Http.Xml(def.Xml, contentType: "application/xml; charset=utf-8");
    }

    /// <summary>lib/resources/forms.js GET fields: each field with its path and type (?odata=true sanitizes names).</summary>
    private static async Task<IResult> GetFields(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await EnsureCanReadAsync(context, db, form, ct);
        var def = await Catalog.GetDefAsync(db, (form.CurrentDefId ?? form.DraftDefId)!.Value, ct);
        var odata = Http.IsTrue(context.Request.Query["odata"]);
        var list = new JsonArray();
        void Walk(IEnumerable<FormField> fields, string prefix)
        {
            foreach (var field in fields)
            {
                var name = odata ? Http.ODataName(field.Name) : field.Name;
                var path = prefix + "/" + name;
                list.Add(new JsonObject
                {
                    ["path"] = path, ["name"] = name, ["type"] = field.Type,
                    ["binary"] = null, ["selectMultiple"] = null,
                });
                if (field.Children is not null) Walk(field.Children, path);
            }
        }
        Walk(def.Fields, "");
        return Http.Json(list);
    }

    /// <summary>lib/model/query/forms.js getVersions: every published version, newest first, each as the form at that version.</summary>
    private static async Task<IResult> ListVersions(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await EnsureCanReadAsync(context, db, form, ct);
        await using var command = db.CreateCommand("SELECT id FROM odk.form_defs WHERE form_id = @form AND published_at IS NOT NULL ORDER BY published_at DESC, id DESC");
        command.Parameters.AddWithValue("form", form.Id);
        var ids = new List<int>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt32(0));
        var list = new JsonArray();
        foreach (var id in ids) list.Add(Catalog.FormJson(form, await Catalog.GetDefAsync(db, id, ct)));
        return Http.Json(list);
    }

    /// <summary>lib/resources/forms.js versions/:version(.xml): a published version by its version string, else 404.1.</summary>
    private static async Task<IResult> GetVersion(int projectId, string xmlFormId, string version, bool xml, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await EnsureCanReadAsync(context, db, form, ct);
        await using var command = db.CreateCommand("SELECT id FROM odk.form_defs WHERE form_id = @form AND published_at IS NOT NULL AND version = @version ORDER BY id DESC LIMIT 1");
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("version", version);
        var id = await command.ExecuteScalarAsync(ct) as int? ?? throw Problems.NotFound();
        var def = await Catalog.GetDefAsync(db, id, ct);
        return xml ? Http.Xml(def.Xml, contentType: "application/xml; charset=utf-8") : Http.Json(Catalog.FormJson(form, def));
    }

    /// <summary>lib/resources/assignments.js GET: the form's role assignments as {actorId, roleId}.</summary>
    private static async Task<IResult> ListAssignments(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await using var command = db.CreateCommand("SELECT actor_id, role FROM odk.form_assignments WHERE form_id = @form ORDER BY actor_id");
        command.Parameters.AddWithValue("form", form.Id);
        var list = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new JsonObject { ["actorId"] = reader.GetInt32(0), ["roleId"] = AccessEndpoints.RoleId(reader.GetString(1)) });
        return Http.Json(list);
    }

    private static async Task<IResult> CreateDraft(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db,
        IHttpClientFactory httpClients, IConfiguration configuration, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        var xml = await ReadFormXmlAsync(context, httpClients, configuration, ct);
        if (string.IsNullOrWhiteSpace(xml))
        {
            if (form.CurrentDefId is null) throw Problems.NotFound();
            xml = (await Catalog.GetDefAsync(db, form.CurrentDefId.Value, ct)).Xml;
        }
        var xform = XForm.Parse(xml);
        if (xform.XmlFormId != xmlFormId)
            throw Problems.UnexpectedValue("xmlFormId", xform.XmlFormId, "The XForm you have uploaded has a different formId than the one you are trying to update.");

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var defId = await InsertDefAsync(connection, tx, form.Id, projectId, xml, xform, publish: false, ct);
        await using (var point = new NpgsqlCommand("UPDATE odk.forms SET draft_def_id = @def, updated_at = clock_timestamp() WHERE id = @form", connection, tx))
        {
            point.Parameters.AddWithValue("def", defId);
            point.Parameters.AddWithValue("form", form.Id);
            await point.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "form.update.draft.set", AuditLog.Actee.Form, form.Id,
            new JsonObject { ["newDraftDefId"] = defId, ["oldDraftDefId"] = form.DraftDefId }, ct);
        return Http.Json(Http.Success());
    }

    private static async Task<IResult> GetDraft(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        if (form.DraftDefId is null) throw Problems.NotFound();
        return Http.Json(Catalog.FormJson(form, await Catalog.GetDefAsync(db, form.DraftDefId.Value, ct)));
    }

    private static async Task<IResult> ListAttachments(int projectId, string xmlFormId, bool draft, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        var defId = (draft ? form.DraftDefId : form.CurrentDefId ?? form.DraftDefId) ?? throw Problems.NotFound();
        await using var command = db.CreateCommand("SELECT name, type, dataset_id FROM odk.form_attachments WHERE form_def_id = @def ORDER BY name");
        command.Parameters.AddWithValue("def", defId);
        var list = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(AttachmentJson(reader.GetString(0), reader.GetString(1), !reader.IsDBNull(2)));
        return Http.Json(list);
    }

    private static JsonObject AttachmentJson(string name, string type, bool datasetExists) => new()
    {
        ["name"] = name,
        ["type"] = type,
        ["hash"] = null,
        ["exists"] = datasetExists,
        ["blobExists"] = false,
        ["datasetExists"] = datasetExists,
    };

    private static async Task<IResult> LinkDraftAttachment(int projectId, string xmlFormId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        var defId = form.DraftDefId ?? throw Problems.NotFound();
        var body = await Http.ReadJsonObjectAsync(context.Request);
        // lib/resources/forms.js: the list named like the file must exist (404.1), as must the attachment;
        // body.dataset is read as JavaScript truthiness.
        var link = Http.IsTruthy(body["dataset"]);
        var datasetName = name.EndsWith(".csv", StringComparison.Ordinal) ? name[..^4] : name;
        var dataset = await Catalog.GetDatasetAsync(db, projectId, datasetName, ct);

        await using var find = db.CreateCommand("SELECT type FROM odk.form_attachments WHERE form_def_id = @def AND name = @name");
        find.Parameters.AddWithValue("def", defId);
        find.Parameters.AddWithValue("name", name);
        var type = await find.ExecuteScalarAsync(ct) as string ?? throw Problems.NotFound();
        if (type != "file" && link) throw Problems.DatasetLinkNotAllowed();
        int? datasetId = link ? dataset.Id : null;

        await using var update = db.CreateCommand("UPDATE odk.form_attachments SET dataset_id = @dataset WHERE form_def_id = @def AND name = @name");
        update.Parameters.AddWithValue("dataset", (object?)datasetId ?? DBNull.Value);
        update.Parameters.AddWithValue("def", defId);
        update.Parameters.AddWithValue("name", name);
        int? oldDatasetId;
        await using (var old = db.CreateCommand("SELECT dataset_id FROM odk.form_attachments WHERE form_def_id = @def AND name = @name"))
        {
            old.Parameters.AddWithValue("def", defId);
            old.Parameters.AddWithValue("name", name);
            oldDatasetId = await old.ExecuteScalarAsync(ct) is int o ? o : null;
        }
        await update.ExecuteNonQueryAsync(ct);
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "form.attachment.update", AuditLog.Actee.Form, form.Id, new JsonObject
        {
            ["name"] = name, ["formDefId"] = defId, ["newBlobId"] = null, ["oldBlobId"] = null,
            ["newDatasetId"] = datasetId, ["oldDatasetId"] = oldDatasetId,
        }, ct);
        // lib/resources/forms.js answers the updated attachment row: no hash, with its updatedAt.
        return Http.Json(new JsonObject
        {
            ["name"] = name, ["type"] = type, ["exists"] = datasetId is not null, ["blobExists"] = false,
            ["datasetExists"] = datasetId is not null, ["updatedAt"] = Http.Timestamp(DateTime.UtcNow),
        });
    }

    private static async Task<IResult> PublishDraft(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        var draftId = form.DraftDefId ?? throw Problems.NotFound();
        var draft = await Catalog.GetDefAsync(db, draftId, ct);
        var version = context.Request.Query["version"].ToString() is { Length: > 0 } requested ? requested : draft.Version;

        await using var command = db.CreateCommand("""
            WITH clash AS (
                SELECT 1 FROM odk.form_defs WHERE form_id = @form AND published_at IS NOT NULL AND version = @version AND id <> @def
            ), def AS (
                UPDATE odk.form_defs SET published_at = clock_timestamp(), draft_token = NULL, version = @version
                WHERE id = @def AND NOT EXISTS (SELECT 1 FROM clash) RETURNING id
            )
            UPDATE odk.forms SET current_def_id = def.id, draft_def_id = NULL,
                updated_at = CASE WHEN current_def_id IS NULL THEN updated_at ELSE clock_timestamp() END
            FROM def WHERE odk.forms.id = @form
            """);
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("def", draftId);
        command.Parameters.AddWithValue("version", version);
        if (await command.ExecuteNonQueryAsync(ct) == 0) throw Problems.VersionUniquenessViolation(xmlFormId, version);
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "form.update.publish", AuditLog.Actee.Form, form.Id,
            new JsonObject { ["newDefId"] = draftId, ["oldDefId"] = form.CurrentDefId }, ct);
        return Http.Json(Http.Success());
    }

    /// <summary>App users reach only the forms assigned to them; web users reach all.</summary>
    public static async Task EnsureCanReadAsync(HttpContext context, NpgsqlDataSource db, FormRow form, CancellationToken ct)
    {
        var caller = context.RequireAnyCaller();
        if (caller.IsUser) return;
        if (caller.ProjectId != form.ProjectId) throw Problems.InsufficientRights();
        await using var command = db.CreateCommand("SELECT 1 FROM odk.form_assignments WHERE form_id = @form AND actor_id = @actor");
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("actor", caller.ActorId);
        if (await command.ExecuteScalarAsync(ct) is null) throw Problems.InsufficientRights();
    }

    private static string OpenRosaBase(HttpContext context, int projectId) =>
        Http.PublicOrigin(context) + (context.KeyToken() is { } key ? $"/v1/key/{key}" : "/v1") + $"/projects/{projectId}";

    private static async Task<IResult> FormList(int projectId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        Http.BeginOpenRosa(context);
        var caller = context.RequireAnyCaller();
        await Catalog.EnsureProjectAsync(db, projectId, ct);
        await using var command = db.CreateCommand("""
            SELECT f.xml_form_id, d.name, d.version, d.hash,
                   EXISTS (SELECT 1 FROM odk.form_attachments a WHERE a.form_def_id = d.id)
            FROM odk.forms f JOIN odk.form_defs d ON d.id = f.current_def_id
            WHERE f.project_id = @project AND f.deleted_at IS NULL AND f.state <> 'closed'
              AND (@isUser OR EXISTS (SELECT 1 FROM odk.form_assignments fa WHERE fa.form_id = f.id AND fa.actor_id = @actor))
            ORDER BY f.xml_form_id
            """);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("isUser", caller.IsUser);
        command.Parameters.AddWithValue("actor", caller.ActorId);
        var basePath = OpenRosaBase(context, projectId);
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n  <xforms xmlns=\"http://openrosa.org/xforms/xformsList\">\n");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetString(0);
            var urlId = Uri.EscapeDataString(id);
            xml.Append("    <xform>\n")
               .Append($"      <formID>{Http.XmlEscape(id)}</formID>\n")
               .Append($"      <name>{Http.XmlEscape(reader.IsDBNull(1) ? id : reader.GetString(1))}</name>\n")
               .Append($"      <version>{Http.XmlEscape(reader.GetString(2))}</version>\n")
               .Append($"      <hash>md5:{reader.GetString(3)}</hash>\n")
               .Append($"      <downloadUrl>{Http.XmlEscape($"{basePath}/forms/{urlId}.xml")}</downloadUrl>\n");
            if (reader.GetBoolean(4))
                xml.Append($"      <manifestUrl>{Http.XmlEscape($"{basePath}/forms/{urlId}/manifest")}</manifestUrl>\n");
            xml.Append("    </xform>\n");
        }
        xml.Append("  </xforms>");
        return Http.Xml(xml.ToString());
    }

    private static async Task<IResult> Manifest(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        Http.BeginOpenRosa(context);
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await EnsureCanReadAsync(context, db, form, ct);
        var defId = form.CurrentDefId ?? throw Problems.NotFound();
        await using var command = db.CreateCommand("""
            SELECT a.name, d.id, d.name FROM odk.form_attachments a JOIN odk.datasets d ON d.id = a.dataset_id
            WHERE a.form_def_id = @def ORDER BY a.name
            """);
        command.Parameters.AddWithValue("def", defId);
        var linked = new List<(string File, DatasetRow Dataset)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                linked.Add((reader.GetString(0), new DatasetRow(reader.GetInt32(1), projectId, reader.GetString(2), false, false, default)));

        var basePath = OpenRosaBase(context, projectId);
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n  <manifest xmlns=\"http://openrosa.org/xforms/xformsManifest\">\n");
        foreach (var (file, dataset) in linked)
        {
            var csv = await EntityCsv.AttachmentAsync(db, dataset, ct);
            var hash = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(csv)));
            xml.Append("    <mediaFile type=\"entityList\">\n")
               .Append($"      <filename>{Http.XmlEscape(file)}</filename>\n")
               .Append($"      <hash>md5:{hash}</hash>\n")
               .Append($"      <downloadUrl>{Http.XmlEscape($"{basePath}/forms/{Uri.EscapeDataString(xmlFormId)}/attachments/{Uri.EscapeDataString(file)}")}</downloadUrl>\n")
               .Append($"      <integrityUrl>{Http.XmlEscape($"{basePath}/datasets/{Uri.EscapeDataString(dataset.Name)}/integrity")}</integrityUrl>\n")
               .Append("    </mediaFile>\n");
        }
        xml.Append("  </manifest>");
        return Http.Xml(xml.ToString());
    }

    private static async Task<IResult> DownloadAttachment(int projectId, string xmlFormId, string name, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await EnsureCanReadAsync(context, db, form, ct);
        var defId = form.CurrentDefId ?? form.DraftDefId ?? throw Problems.NotFound();
        await using var command = db.CreateCommand("""
            SELECT d.id, d.name FROM odk.form_attachments a JOIN odk.datasets d ON d.id = a.dataset_id
            WHERE a.form_def_id = @def AND a.name = @name
            """);
        command.Parameters.AddWithValue("def", defId);
        command.Parameters.AddWithValue("name", name);
        DatasetRow dataset;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) throw Problems.NotFound();
            dataset = new DatasetRow(reader.GetInt32(0), projectId, reader.GetString(1), false, false, default);
        }
        var csv = await EntityCsv.AttachmentAsync(db, dataset, ct);
        // lib/resources/forms.js streamAttachment: strong ETag of the attachment's OpenRosa hash (the manifest's md5).
        if (Http.WithEtag(context, Http.Md5(csv), weak: false)) return Http.NotModified();
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        return Results.Text(csv, "text/csv; charset=utf-8", Encoding.UTF8);
    }
}
