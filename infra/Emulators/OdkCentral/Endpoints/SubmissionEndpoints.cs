using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using OneClickSuite.Emulators.OdkCentral.Data;
using OneClickSuite.Emulators.OdkCentral.Forms;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;
using OneClickSuite.Emulators.OdkCentral.OData;
using OneClickSuite.Emulators.OdkCentral.Submissions;

namespace OneClickSuite.Emulators.OdkCentral.Endpoints;

/// <summary>Submissions over REST and OpenRosa, edits, review states, and the OData Submissions feed.</summary>
public static class SubmissionEndpoints
{
    private static readonly string[] ReviewStates = ["hasIssues", "edited", "approved", "rejected"];

    private static readonly Dictionary<string, ODataColumn> SubmissionColumns = BuildColumns();

    private static Dictionary<string, ODataColumn> BuildColumns()
    {
        var columns = new Dictionary<string, ODataColumn>
        {
            ["__id"] = new("s.instance_id", ColumnType.Text),
            ["__system/submissionDate"] = new("s.created_at", ColumnType.Timestamp),
            ["__system/updatedAt"] = new("s.updated_at", ColumnType.Timestamp),
            ["__system/submitterId"] = new("s.submitter_id", ColumnType.Integer),
            ["__system/reviewState"] = new("s.review_state", ColumnType.Text),
            ["__system/deletedAt"] = new("s.deleted_at", ColumnType.Timestamp),
        };
        foreach (var (name, column) in columns.ToList()) columns["$root/Submissions/" + name] = column;
        return columns;
    }

    public static void MapSubmissionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/projects/{projectId:int}/submission", OpenRosaSubmission);
        app.MapMethods("/v1/projects/{projectId:int}/submission", ["HEAD", "GET"], async (int projectId, HttpContext context, NpgsqlDataSource db, CancellationToken ct) =>
        {
            Http.BeginOpenRosa(context);
            await Catalog.EnsureProjectAsync(db, projectId, ct);
            return Results.NoContent();
        });

        app.MapPost("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions", RestSubmission);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions", ListSubmissions);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{instanceId}.xml", GetSubmissionXml);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{instanceId}", GetSubmission);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{instanceId}/versions", ListVersions);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{rootId}/versions/{instanceId}.xml", (int projectId, string xmlFormId, string rootId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct) =>
            GetVersion(projectId, xmlFormId, rootId, instanceId, xml: true, context, db, ct));
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{rootId}/versions/{instanceId}", (int projectId, string xmlFormId, string rootId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct) =>
            GetVersion(projectId, xmlFormId, rootId, instanceId, xml: false, context, db, ct));
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{instanceId}/attachments", EmptyListForSubmission);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{instanceId}/audits", SubmissionAudits);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{instanceId}/comments", EmptyListForSubmission);
        app.MapPut("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{instanceId}", RestEdit);
        app.MapPatch("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{instanceId}", Review);
        app.MapDelete("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{instanceId}", DeleteSubmission);
        app.MapPost("/v1/projects/{projectId:int}/forms/{xmlFormId}/submissions/{instanceId}/restore", RestoreSubmission);

        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}.svc", ServiceDocument);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}.svc/$metadata", Metadata);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}.svc/Submissions", SubmissionFeed);
        app.MapGet("/v1/projects/{projectId:int}/forms/{xmlFormId}.svc/Submissions('{instanceId}')", SubmissionRow);
    }

    /// <summary>The form and the version the submission names; Central refuses unknown versions and closed forms.</summary>
    private static async Task<(FormRow Form, List<FormField> Fields)> FormForSubmissionAsync(NpgsqlDataSource db, int projectId,
        SubmissionXml submission, CancellationToken ct, string? xmlFormId = null)
    {
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId ?? submission.XmlFormId, ct);
        await using var command = db.CreateCommand("""
            SELECT fields::text FROM odk.form_defs WHERE form_id = @form AND published_at IS NOT NULL AND version = @version
            ORDER BY id DESC LIMIT 1
            """);
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("version", submission.Version);
        if (await command.ExecuteScalarAsync(ct) is not string fields) throw Problems.FormVersionNotFound(submission.Version);
        if (form.State != "open") throw Problems.NotAcceptingSubmissions();
        return (form, JsonSerializer.Deserialize<List<FormField>>(fields) ?? []);
    }

    private static async Task<IResult> RestSubmission(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        // lib/resources/submissions.js restSubmission: parse, find the URL's form at the submission's version
        // (404.1, 404.6, 409.2), check rights (an app user assigned to the form may submit), then the form id.
        var caller = context.RequireAnyCaller();
        var submission = SubmissionXml.Parse(await Http.ReadTextAsync(context.Request));
        var (form, fields) = await FormForSubmissionAsync(db, projectId, submission, ct, xmlFormId);
        await FormEndpoints.EnsureCanReadAsync(context, db, form, ct);
        if (submission.XmlFormId != xmlFormId)
            throw Problems.UnexpectedValue("form id", submission.XmlFormId, "did not match the form ID in the URL");
        await CreateAsync(db, form, fields, submission, caller, context, ct);
        return Http.Json(await SubmissionJsonAsync(db, form, submission.InstanceId, SubmissionShape.Created, context, ct));
    }

    private static async Task CreateAsync(NpgsqlDataSource db, FormRow form, List<FormField> fields, SubmissionXml submission,
        Caller caller, HttpContext context, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            WITH submission AS (
                INSERT INTO odk.submissions (form_id, instance_id, current_instance_id, form_version, submitter_id, device_id, user_agent, xml, odata, created_at)
                VALUES (@form, @instance, @instance, @version, @submitter, @device, @agent, @xml, @odata, clock_timestamp())
                RETURNING id, created_at
            )
            INSERT INTO odk.submission_defs (submission_id, form_id, instance_id, xml, submitter_id, current, created_at, device_id, user_agent, instance_name)
            SELECT id, @form, @instance, @xml, @submitter, true, created_at, @device, @agent, @name FROM submission
            RETURNING submission_id, id
            """);
        command.Parameters.AddWithValue("name", (object?)submission.InstanceName ?? DBNull.Value);
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("instance", submission.InstanceId);
        command.Parameters.AddWithValue("version", submission.Version);
        command.Parameters.AddWithValue("submitter", caller.ActorId);
        command.Parameters.AddWithValue("device", (object?)NonBlank(context.Request.Query["deviceID"]) ?? DBNull.Value);
        command.Parameters.AddWithValue("agent", (object?)NonBlank(context.Request.Headers.UserAgent) ?? DBNull.Value);
        command.Parameters.AddWithValue("xml", submission.Xml);
        command.Parameters.AddWithValue("odata", submission.ToODataFields(fields));
        long submissionId, defId;
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            submissionId = reader.GetInt64(0);
            defId = reader.GetInt64(1);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            if (ex.ConstraintName == "submission_defs_instance_unique") throw Problems.InstanceIdUniquenessViolation(submission.InstanceId);
            throw Problems.UniquenessViolation(["formId", "instanceId", "draft"], [form.Id.ToString(), submission.InstanceId, "f"], "submissions");
        }
        await AuditLog.WriteAsync(db, caller.ActorId, "submission.create", AuditLog.Actee.Form, form.Id, new JsonObject
        {
            ["instanceId"] = submission.InstanceId, ["submissionId"] = submissionId, ["submissionDefId"] = defId,
        }, ct);
    }

    private static string? NonBlank(Microsoft.Extensions.Primitives.StringValues value) =>
        value.ToString() is { Length: > 0 } text ? text : null;

    /// <summary>
    /// OpenRosa: a resend of identical XML is accepted again; a deprecatedID makes an edit; the answer is
    /// the OpenRosa XML message with 201.
    /// </summary>
    private static async Task<IResult> OpenRosaSubmission(int projectId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        Http.BeginOpenRosa(context);
        var caller = context.RequireAnyCaller();
        string xml;
        try
        {
            if (!context.Request.HasFormContentType) throw Problems.MissingMultipartField("xml_submission_file");
            var formData = await context.Request.ReadFormAsync(ct);
            var file = formData.Files.GetFile("xml_submission_file");
            if (file is not null)
            {
                using var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8);
                xml = await reader.ReadToEndAsync(ct);
            }
            else
            {
                xml = formData["xml_submission_file"].ToString() is { Length: > 0 } text ? text : throw Problems.MissingMultipartField("xml_submission_file");
            }
        }
        catch (InvalidDataException)
        {
            throw new OdkProblem(400.39, "Multipart form content failed to parse.");
        }

        var submission = SubmissionXml.Parse(xml);
        var (form, fields) = await FormForSubmissionAsync(db, projectId, submission, ct);
        try
        {
            await FormEndpoints.EnsureCanReadAsync(context, db, form, ct);
        }
        catch (OdkProblem problem) when (problem.Code == 403.1)
        {
            throw Problems.AuthenticationFailed();
        }

        if (submission.DeprecatedId is not null)
        {
            var deprecated = await FindDefAsync(db, form.Id, submission.DeprecatedId, ct) ?? throw Problems.DeprecatedIdNotFound(submission.DeprecatedId);
            if (!deprecated.Current)
            {
                var usurper = await FindDefAsync(db, form.Id, submission.InstanceId, ct);
                if (usurper is null || !usurper.Current) throw Problems.DeprecatingOldSubmission(submission.DeprecatedId);
                if (usurper.Xml != submission.Xml) throw Problems.XmlConflict();
            }
            else
            {
                await CreateVersionAsync(db, form, fields, submission, caller, context, ct);
            }
        }
        else
        {
            var extant = await FindDefAsync(db, form.Id, submission.InstanceId, ct);
            if (extant is not null)
            {
                if (!extant.Current) throw Problems.DeprecatingOldSubmission(submission.InstanceId);
                if (extant.Xml != submission.Xml) throw Problems.XmlConflict();
            }
            else
            {
                await CreateAsync(db, form, fields, submission, caller, context, ct);
            }
        }

        return Http.Xml(Http.OpenRosaMessage("full submission upload was successful!"), 201);
    }

    private sealed record DefRow(long SubmissionId, bool Current, string Xml);

    private static async Task<DefRow?> FindDefAsync(NpgsqlDataSource db, int formId, string instanceId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT d.submission_id, d.current, d.xml FROM odk.submission_defs d JOIN odk.submissions s ON s.id = d.submission_id
            WHERE d.form_id = @form AND d.instance_id = @instance AND s.deleted_at IS NULL
            """);
        command.Parameters.AddWithValue("form", formId);
        command.Parameters.AddWithValue("instance", instanceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new DefRow(reader.GetInt64(0), reader.GetBoolean(1), reader.GetString(2)) : null;
    }

    /// <summary>
    /// An edit: a new version of the logical submission, which keeps its first instanceID as its id, becomes
    /// reviewState "edited" and counts one more edit (Central's Submissions.createVersion).
    /// </summary>
    private static async Task CreateVersionAsync(NpgsqlDataSource db, FormRow form, List<FormField> fields, SubmissionXml submission,
        Caller caller, HttpContext context, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        long submissionId;
        await using (var locking = new NpgsqlCommand("""
            SELECT id, current_instance_id FROM odk.submissions s
            WHERE form_id = @form AND deleted_at IS NULL
              AND id = (SELECT submission_id FROM odk.submission_defs WHERE form_id = @form AND instance_id = @deprecated)
            FOR UPDATE
            """, connection, tx))
        {
            locking.Parameters.AddWithValue("form", form.Id);
            locking.Parameters.AddWithValue("deprecated", submission.DeprecatedId!);
            await using var reader = await locking.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) throw Problems.DeprecatedIdNotFound(submission.DeprecatedId!);
            submissionId = reader.GetInt64(0);
            if (reader.GetString(1) != submission.DeprecatedId) throw Problems.DeprecatingOldSubmission(submission.DeprecatedId!);
        }

        await using var command = new NpgsqlCommand("""
            WITH old AS (
                UPDATE odk.submission_defs SET current = false WHERE submission_id = @submission AND current
            ), def AS (
                INSERT INTO odk.submission_defs (submission_id, form_id, instance_id, xml, submitter_id, current, created_at, device_id, user_agent, instance_name)
                VALUES (@submission, @form, @instance, @xml, @submitter, true, clock_timestamp(), @device, @agent, @name)
                RETURNING id, created_at
            )
            UPDATE odk.submissions SET current_instance_id = @instance, xml = @xml, odata = @odata,
                updated_at = def.created_at, review_state = 'edited', edits = edits + 1
            FROM def WHERE odk.submissions.id = @submission
            RETURNING def.id
            """, connection, tx);
        command.Parameters.AddWithValue("submission", submissionId);
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("instance", submission.InstanceId);
        command.Parameters.AddWithValue("xml", submission.Xml);
        command.Parameters.AddWithValue("submitter", caller.ActorId);
        command.Parameters.AddWithValue("odata", submission.ToODataFields(fields));
        command.Parameters.AddWithValue("device", (object?)NonBlank(context.Request.Query["deviceID"]) ?? DBNull.Value);
        command.Parameters.AddWithValue("agent", (object?)NonBlank(context.Request.Headers.UserAgent) ?? DBNull.Value);
        command.Parameters.AddWithValue("name", (object?)submission.InstanceName ?? DBNull.Value);
        long defId;
        try
        {
            defId = (long)(await command.ExecuteScalarAsync(ct))!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw Problems.InstanceIdUniquenessViolation(submission.InstanceId);
        }
        await tx.CommitAsync(ct);
        await AuditLog.WriteAsync(db, caller.ActorId, "submission.update.version", AuditLog.Actee.Form, form.Id, new JsonObject
        {
            ["instanceId"] = submission.InstanceId, ["submissionId"] = submissionId, ["submissionDefId"] = defId,
        }, ct);
    }

    /// <summary>REST edit: PUT to the logical instanceId with XML naming the current version as deprecatedID.</summary>
    private static async Task<IResult> RestEdit(int projectId, string xmlFormId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        var caller = context.RequireUser();
        var submission = SubmissionXml.Parse(await Http.ReadTextAsync(context.Request));
        if (submission.XmlFormId != xmlFormId)
            throw Problems.UnexpectedValue("form id", submission.XmlFormId, "did not match the form ID in the URL");
        var deprecatedId = submission.DeprecatedId ?? throw Problems.ExpectedDeprecation();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await using (var current = db.CreateCommand("SELECT current_instance_id FROM odk.submissions WHERE form_id = @form AND instance_id = @instance AND deleted_at IS NULL"))
        {
            current.Parameters.AddWithValue("form", form.Id);
            current.Parameters.AddWithValue("instance", instanceId);
            var currentId = await current.ExecuteScalarAsync(ct) as string ?? throw Problems.NotFound();
            if (currentId != deprecatedId) throw Problems.DeprecatingOldSubmission(deprecatedId);
        }
        var (_, fields) = await FormForSubmissionAsync(db, projectId, submission, ct);
        await CreateVersionAsync(db, form, fields, submission, caller, context, ct);
        return Http.Json(await SubmissionJsonAsync(db, form, instanceId, SubmissionShape.Full, context, ct));
    }

    private enum SubmissionShape { Created, Full }

    /// <summary>The submission, its current version (def) and both submitters, as lib/model/query/submissions.js _get reads them.</summary>
    private const string SubmissionSelect = """
        SELECT s.instance_id, s.submitter_id, s.device_id, s.created_at, s.updated_at, s.review_state, s.user_agent, s.deleted_at,
               d.instance_id, d.submitter_id, d.device_id, d.user_agent, d.created_at, d.instance_name,
               sa.id, sa.type, sa.display_name, sa.created_at, sa.updated_at, sa.deleted_at,
               da.id, da.type, da.display_name, da.created_at, da.updated_at, da.deleted_at
        FROM odk.submissions s
        JOIN odk.submission_defs d ON d.submission_id = s.id AND d.current
        LEFT JOIN odk.actors sa ON sa.id = s.submitter_id
        LEFT JOIN odk.actors da ON da.id = d.submitter_id
        """;

    /// <summary>An actor as Central writes it (lib/model/frames/actor.js readable fields).</summary>
    public static JsonObject? ActorJson(NpgsqlDataReader reader, int offset) => reader.IsDBNull(offset) ? null : new JsonObject
    {
        ["id"] = reader.GetInt32(offset),
        ["type"] = reader.GetString(offset + 1),
        ["displayName"] = reader.GetString(offset + 2),
        ["createdAt"] = Http.Timestamp(reader.GetDateTime(offset + 3)),
        ["updatedAt"] = Http.Timestamp(reader.IsDBNull(offset + 4) ? null : reader.GetDateTime(offset + 4)),
        ["deletedAt"] = Http.Timestamp(reader.IsDBNull(offset + 5) ? null : reader.GetDateTime(offset + 5)),
    };

    /// <summary>
    /// A submission as Central answers it (lib/model/frames/submission.js readable fields). A fresh one from
    /// POST has no reviewState/deletedAt (Submissions.createNew builds it without them); GET, lists and PUT
    /// carry them; X-Extended-Metadata adds the submitters.
    /// </summary>
    private static JsonObject SubmissionJson(NpgsqlDataReader reader, SubmissionShape shape, bool extended)
    {
        var current = new JsonObject
        {
            ["instanceId"] = reader.GetString(8),
            ["submitterId"] = reader.IsDBNull(9) ? null : reader.GetInt32(9),
            ["deviceId"] = reader.IsDBNull(10) ? null : reader.GetString(10),
            ["userAgent"] = reader.IsDBNull(11) ? null : reader.GetString(11),
            ["createdAt"] = Http.Timestamp(reader.GetDateTime(12)),
            ["instanceName"] = reader.IsDBNull(13) ? null : reader.GetString(13),
            ["current"] = true,
        };
        if (extended) current["submitter"] = ActorJson(reader, 20);
        var body = new JsonObject
        {
            ["instanceId"] = reader.GetString(0),
            ["submitterId"] = reader.IsDBNull(1) ? null : reader.GetInt32(1),
            ["deviceId"] = reader.IsDBNull(2) ? null : reader.GetString(2),
            ["createdAt"] = Http.Timestamp(reader.GetDateTime(3)),
            ["updatedAt"] = Http.Timestamp(reader.IsDBNull(4) ? null : reader.GetDateTime(4)),
        };
        if (shape == SubmissionShape.Full) body["reviewState"] = reader.IsDBNull(5) ? null : reader.GetString(5);
        body["userAgent"] = reader.IsDBNull(6) ? null : reader.GetString(6);
        if (shape == SubmissionShape.Full) body["deletedAt"] = Http.Timestamp(reader.IsDBNull(7) ? null : reader.GetDateTime(7));
        body["currentVersion"] = current;
        if (extended) body["submitter"] = ActorJson(reader, 14);
        return body;
    }

    private static bool Extended(HttpContext context) => Http.IsTrue(context.Request.Headers["X-Extended-Metadata"]);

    private static async Task<JsonObject> SubmissionJsonAsync(NpgsqlDataSource db, FormRow form, string instanceId, SubmissionShape shape,
        HttpContext context, CancellationToken ct)
    {
        await using var command = db.CreateCommand(SubmissionSelect + " WHERE s.form_id = @form AND s.instance_id = @instance AND s.deleted_at IS NULL");
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("instance", instanceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) throw Problems.NotFound();
        return SubmissionJson(reader, shape, shape == SubmissionShape.Full && Extended(context));
    }

    private static async Task<IResult> ListSubmissions(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        // Submissions.getAllForFormByIds: ?deleted=true lists only the deleted ones, otherwise only live ones.
        var deleted = Http.IsTrue(context.Request.Query["deleted"]);
        var paging = "";
        if (Http.TryParseIntPrefix(context.Request.Query["limit"], out var limit)) paging += $" LIMIT {Math.Max(0, limit)}";
        if (Http.TryParseIntPrefix(context.Request.Query["offset"], out var offset)) paging += $" OFFSET {Math.Max(0, offset)}";
        await using var command = db.CreateCommand(SubmissionSelect + $" WHERE s.form_id = @form AND s.deleted_at IS {(deleted ? "NOT " : "")}NULL ORDER BY s.created_at DESC, s.id DESC" + paging);
        command.Parameters.AddWithValue("form", form.Id);
        var list = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(SubmissionJson(reader, SubmissionShape.Full, Extended(context)));
        // lib/resources/submissions.js: a weak ETag of the selection; the same selection unchanged is 304.
        if (Http.WithEtag(context, Http.Md5(list.ToJsonString()), weak: true)) return Http.NotModified();
        return Http.Json(list);
    }

    private static async Task<IResult> GetSubmission(int projectId, string xmlFormId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        return Http.Json(await SubmissionJsonAsync(db, form, instanceId, SubmissionShape.Full, context, ct));
    }

    /// <summary>lib/resources/submissions.js GET :instanceId.xml: the current version's XML.</summary>
    private static async Task<IResult> GetSubmissionXml(int projectId, string xmlFormId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await using var command = db.CreateCommand("""
            SELECT d.xml FROM odk.submissions s JOIN odk.submission_defs d ON d.submission_id = s.id AND d.current
            WHERE s.form_id = @form AND s.instance_id = @instance AND s.deleted_at IS NULL
            """);
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("instance", instanceId);
        var xml = await command.ExecuteScalarAsync(ct) as string ?? throw Problems.NotFound();
        return Http.Xml(xml, contentType: "application/xml; charset=utf-8");
    }

    private const string VersionSelect = """
        SELECT d.instance_id, d.submitter_id, d.device_id, d.user_agent, d.created_at, d.instance_name, d.current, d.xml,
               a.id, a.type, a.display_name, a.created_at, a.updated_at, a.deleted_at
        FROM odk.submission_defs d JOIN odk.submissions s ON s.id = d.submission_id AND s.deleted_at IS NULL
        LEFT JOIN odk.actors a ON a.id = d.submitter_id
        """;

    /// <summary>A submission version (lib/model/frames/submission.js Submission.Def readable fields).</summary>
    private static JsonObject VersionJson(NpgsqlDataReader reader, bool extended)
    {
        var body = new JsonObject
        {
            ["instanceId"] = reader.GetString(0),
            ["submitterId"] = reader.IsDBNull(1) ? null : reader.GetInt32(1),
            ["deviceId"] = reader.IsDBNull(2) ? null : reader.GetString(2),
            ["userAgent"] = reader.IsDBNull(3) ? null : reader.GetString(3),
            ["createdAt"] = Http.Timestamp(reader.GetDateTime(4)),
            ["instanceName"] = reader.IsDBNull(5) ? null : reader.GetString(5),
            ["current"] = reader.GetBoolean(6),
        };
        if (extended) body["submitter"] = ActorJson(reader, 8);
        return body;
    }

    /// <summary>lib/resources/submissions.js GET :rootId/versions: every version, newest first (getDefsByFormAndLogicalId).</summary>
    private static async Task<IResult> ListVersions(int projectId, string xmlFormId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await using var command = db.CreateCommand(VersionSelect + " WHERE s.form_id = @form AND s.instance_id = @instance ORDER BY d.id DESC");
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("instance", instanceId);
        var list = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(VersionJson(reader, Extended(context)));
        if (list.Count == 0) throw Problems.NotFound();
        return Http.Json(list);
    }

    /// <summary>lib/resources/submissions.js GET :rootId/versions/:instanceId(.xml): the root must exist, the version is looked up in the form.</summary>
    private static async Task<IResult> GetVersion(int projectId, string xmlFormId, string rootId, string instanceId, bool xml, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await using (var root = db.CreateCommand("SELECT 1 FROM odk.submissions WHERE form_id = @form AND instance_id = @instance AND deleted_at IS NULL"))
        {
            root.Parameters.AddWithValue("form", form.Id);
            root.Parameters.AddWithValue("instance", rootId);
            if (await root.ExecuteScalarAsync(ct) is null) throw Problems.NotFound();
        }
        await using var command = db.CreateCommand(VersionSelect + " WHERE s.form_id = @form AND d.instance_id = @instance");
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("instance", instanceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) throw Problems.NotFound();
        return xml ? Http.Xml(reader.GetString(7), contentType: "application/xml; charset=utf-8") : Http.Json(VersionJson(reader, Extended(context)));
    }

    /// <summary>
    /// Attachments and comments of an existing submission: the emulator stores neither (forms with media fields
    /// and comments are not emulated), so Central's answer for such a submission, [], is the only one.
    /// </summary>
    private static async Task<IResult> EmptyListForSubmission(int projectId, string xmlFormId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await SubmissionJsonAsync(db, form, instanceId, SubmissionShape.Full, context, ct);
        return Http.Json(new JsonArray());
    }

    /// <summary>lib/resources/submissions.js GET :instanceId/audits: the submission's audits (Audits.getBySubmissionId).</summary>
    private static async Task<IResult> SubmissionAudits(int projectId, string xmlFormId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await using var command = db.CreateCommand("SELECT id FROM odk.submissions WHERE form_id = @form AND instance_id = @instance AND deleted_at IS NULL");
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("instance", instanceId);
        var id = await command.ExecuteScalarAsync(ct) as long? ?? throw Problems.NotFound();
        return Http.Json(await AuditEndpoints.ForSubmissionAsync(db, id, Extended(context), ct));
    }

    private static async Task<IResult> Review(int projectId, string xmlFormId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        var body = await Http.ReadJsonObjectAsync(context.Request);
        // Submission.fromApi takes reviewState when the key is there; null clears it.
        var given = body.ContainsKey("reviewState");
        var state = body["reviewState"];
        if (state is not null && (state is not JsonValue value || !value.TryGetValue<string>(out var text) || !ReviewStates.Contains(text)))
            throw Problems.UnexpectedValue("reviewState", state.ToJsonString(), "not a recognized review state");

        // Submissions.update (lib/util/db.js updater): no writable field given changes nothing and answers {};
        // otherwise the updated row, which has no userAgent (that lives on the submission's first version).
        await using var command = db.CreateCommand("""
            UPDATE odk.submissions s SET review_state = CASE WHEN @set THEN @state ELSE review_state END,
                updated_at = CASE WHEN @set THEN clock_timestamp() ELSE updated_at END
            WHERE s.form_id = @form AND s.instance_id = @instance AND s.deleted_at IS NULL
            RETURNING s.instance_id, s.submitter_id, s.device_id, s.created_at, s.updated_at, s.review_state, s.deleted_at, s.id,
                (SELECT d.id FROM odk.submission_defs d WHERE d.submission_id = s.id AND d.current)
            """);
        command.Parameters.AddWithValue("set", given);
        command.Parameters.Add(new NpgsqlParameter("state", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)state?.GetValue<string>() ?? DBNull.Value });
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("instance", instanceId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) throw Problems.NotFound();
        // Submissions.update.audit: submission.update with the ids and the fields given.
        var details = new JsonObject { ["submissionId"] = reader.GetInt64(7), ["submissionDefId"] = reader.GetInt64(8) };
        if (given) details["reviewState"] = state?.DeepClone();
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "submission.update", AuditLog.Actee.Form, form.Id, details, ct);
        if (!given) return Http.Json(new JsonObject());
        return Http.Json(new JsonObject
        {
            ["instanceId"] = reader.GetString(0),
            ["submitterId"] = reader.IsDBNull(1) ? null : reader.GetInt32(1),
            ["deviceId"] = reader.IsDBNull(2) ? null : reader.GetString(2),
            ["createdAt"] = Http.Timestamp(reader.GetDateTime(3)),
            ["updatedAt"] = Http.Timestamp(reader.IsDBNull(4) ? null : reader.GetDateTime(4)),
            ["reviewState"] = reader.IsDBNull(5) ? null : reader.GetString(5),
            ["deletedAt"] = Http.Timestamp(reader.IsDBNull(6) ? null : reader.GetDateTime(6)),
        });
    }

    /// <summary>
    /// central-backend lib/resources/submissions.js DELETE: a live submission gets deletedAt (markDeleted: now(),
    /// updatedAt untouched) and answers {"success":true}; it then leaves the REST list and the OData feed unless
    /// asked for (?deleted=true, or a $filter on __system/deletedAt). Unknown or already deleted: 404.1.
    /// </summary>
    private static async Task<IResult> DeleteSubmission(int projectId, string xmlFormId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await using var command = db.CreateCommand("UPDATE odk.submissions SET deleted_at = now() WHERE form_id = @form AND instance_id = @instance AND deleted_at IS NULL RETURNING id");
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("instance", instanceId);
        var id = await command.ExecuteScalarAsync(ct) as long? ?? throw Problems.NotFound();
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "submission.delete", AuditLog.Actee.Form, form.Id,
            new JsonObject { ["instanceId"] = instanceId, ["submissionId"] = id }, ct);
        return Http.Json(Http.Success());
    }

    /// <summary>
    /// central-backend lib/resources/submissions.js restore: only a deleted submission is found (Submissions.getDeleted,
    /// else 404.1); markUndeleted clears deletedAt and leaves updatedAt alone; answers {"success":true}.
    /// </summary>
    private static async Task<IResult> RestoreSubmission(int projectId, string xmlFormId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        await using var command = db.CreateCommand("UPDATE odk.submissions SET deleted_at = NULL WHERE form_id = @form AND instance_id = @instance AND deleted_at IS NOT NULL RETURNING id");
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("instance", instanceId);
        var id = await command.ExecuteScalarAsync(ct) as long? ?? throw Problems.NotFound();
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "submission.restore", AuditLog.Actee.Form, form.Id,
            new JsonObject { ["instanceId"] = instanceId, ["submissionId"] = id }, ct);
        return Http.Json(Http.Success());
    }

    private static async Task<IResult> ServiceDocument(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        var def = await Catalog.GetDefAsync(db, (form.CurrentDefId ?? form.DraftDefId)!.Value, ct);
        var sets = new JsonArray(new JsonObject { ["name"] = "Submissions", ["kind"] = "EntitySet", ["url"] = "Submissions" });
        foreach (var repeat in Repeats(def.Fields, ""))
            sets.Add(new JsonObject { ["name"] = $"Submissions.{repeat}", ["kind"] = "EntitySet", ["url"] = $"Submissions.{repeat}" });
        return Http.Json(new JsonObject
        {
            ["@odata.context"] = $"{Http.PublicOrigin(context)}/v1/projects/{projectId}/forms/{Uri.EscapeDataString(xmlFormId)}.svc/$metadata",
            ["value"] = sets,
        });
    }

    private static IEnumerable<string> Repeats(IEnumerable<FormField> fields, string prefix)
    {
        foreach (var field in fields)
        {
            var name = prefix.Length == 0 ? field.Name : prefix + "." + field.Name;
            if (field.Type == "repeat") yield return name;
            if (field.Children is not null)
                foreach (var nested in Repeats(field.Children, name)) yield return nested;
        }
    }

    private static async Task<IResult> Metadata(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        var def = await Catalog.GetDefAsync(db, (form.CurrentDefId ?? form.DraftDefId)!.Value, ct);
        var xml = new StringBuilder("""
            <?xml version="1.0" encoding="UTF-8"?>
            <edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
              <edmx:DataServices>
                <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="org.opendatakit.user">
                  <EntityType Name="Submissions">
                    <Key><PropertyRef Name="__id"/></Key>
                    <Property Name="__id" Type="Edm.String"/>
                    <Property Name="__system" Type="org.opendatakit.submission.metadata"/>

            """);
        foreach (var field in def.Fields)
        {
            var type = field.Type switch { "int" => "Edm.Int64", "decimal" => "Edm.Decimal", "date" => "Edm.Date", "structure" or "repeat" => "Edm.ComplexType", _ => "Edm.String" };
            xml.Append($"        <Property Name=\"{Http.XmlEscape(field.Name)}\" Type=\"{type}\"/>\n");
        }
        xml.Append("""
                  </EntityType>
                  <EntityContainer Name="org.opendatakit.user">
                    <EntitySet Name="Submissions" EntityType="org.opendatakit.user.Submissions"/>
                  </EntityContainer>
                </Schema>
              </edmx:DataServices>
            </edmx:Edmx>
            """);
        return Http.Xml(xml.ToString(), contentType: "application/xml; charset=utf-8");
    }

    /// <summary>
    /// The OData feed (lib/resources/odata.js, lib/formats/odata.js rowStreamToOData), checked in Central's
    /// order: $skiptoken, $orderby with $skiptoken (501.1), $top=0 count-only answers, $select against the form's
    /// fields (400.23), $filter, then the SQL's own failures ($top/$skip, cursor). Rows newest first; the
    /// $skiptoken names the last row delivered. With paging, a next link is given while
    /// (skiptoken ? rowsAfterCursor : count) - rowsDelivered is positive, as upstream computes it.
    /// </summary>
    private static async Task<IResult> SubmissionFeed(int projectId, string xmlFormId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        if (form.CurrentDefId is null) throw Problems.NotFound();
        var query = context.Request.Query;
        var paging = ODataPaging.From(query);
        var order = query["$orderby"].ToString();
        if (query.ContainsKey("$orderby") && paging.Skiptoken is not null) throw Problems.NotImplemented("using $orderby and $skiptoken together");
        var serviceRoot = $"{Http.PublicOrigin(context)}/v1/projects/{projectId}/forms/{Uri.EscapeDataString(xmlFormId)}.svc";

        var filter = query["$filter"].ToString();
        var parameters = new List<NpgsqlParameter>();
        var where = ODataFilter.ToSql(filter, SubmissionColumns, parameters);
        if (!ODataFilter.MentionsDeletedAt(filter)) where += " AND s.deleted_at IS NULL";

        await using var connection = await db.OpenConnectionAsync(ct);
        async Task<long> CountAsync(string extra)
        {
            await using var countCommand = new NpgsqlCommand($"SELECT count(*) FROM odk.submissions s WHERE s.form_id = @form AND {where}{extra}", connection);
            countCommand.Parameters.AddWithValue("form", form.Id);
            foreach (var p in parameters) countCommand.Parameters.Add(p.Clone());
            return (long)(await countCommand.ExecuteScalarAsync(ct))!;
        }

        // countOnlyToOData: $top=0 answers no rows and no next link, with the count only when asked for.
        if (paging.TopGiven && paging.Top == 0)
        {
            var countOnly = new StringBuilder("{\"value\":[],\"@odata.context\":").Append(JsonSerializer.Serialize(serviceRoot + "/$metadata#Submissions"));
            if (paging.Count) countOnly.Append(",\"@odata.count\":").Append(await CountAsync(""));
            return Results.Text(countOnly.Append('}').ToString(), "application/json; charset=utf-8", Encoding.UTF8);
        }

        var def = await Catalog.GetDefAsync(db, form.CurrentDefId.Value, ct);
        var selection = Selection.Parse(query["$select"].ToString());
        selection.Validate(def.Fields);

        var cursor = "";
        if (paging.Skiptoken is not null)
        {
            // joinOnSkiptoken puts the instanceId into SQL as given: missing is a bare 500; an unknown one matches nothing.
            if (paging.Skiptoken["instanceId"] is not JsonValue id || !id.TryGetValue<string>(out var cursorId)) throw Problems.InternalServerError();
            parameters.Add(new NpgsqlParameter("cursor", cursorId));
            cursor = """
                 AND EXISTS (SELECT 1 FROM odk.submissions c WHERE c.form_id = @form AND c.instance_id = @cursor
                    AND (s.created_at < c.created_at OR (s.created_at = c.created_at AND s.id < c.id)))
                """;
        }
        paging.CheckNumbers();
        var orderBy = order.Length > 0 ? ODataFilter.OrderBy(order, SubmissionColumns, "s.id") : "ORDER BY s.created_at DESC, s.id DESC";

        await using var command = new NpgsqlCommand($"""
            SELECT s.instance_id, s.odata, s.created_at, s.updated_at, s.submitter_id, a.display_name, s.review_state,
                   s.device_id, s.edits, s.form_version, s.deleted_at
            FROM odk.submissions s LEFT JOIN odk.actors a ON a.id = s.submitter_id
            WHERE s.form_id = @form AND {where}{cursor}
            {orderBy}
            LIMIT @limit OFFSET @offset
            """, connection);
        command.Parameters.AddWithValue("form", form.Id);
        foreach (var p in parameters) command.Parameters.Add(p.Clone());
        command.Parameters.AddWithValue("limit", paging.Top ?? long.MaxValue);
        command.Parameters.AddWithValue("offset", paging.Skip);

        var body = new StringBuilder("{\"value\":[");
        string? lastId = null;
        var rows = 0;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (rows > 0) body.Append(',');
                lastId = reader.GetString(0);
                AppendRow(body, reader, lastId, selection);
                rows++;
            }
        }

        long? count = null;
        long remaining = 0;
        if (paging.HasPaging)
        {
            count = await CountAsync("");
            remaining = (paging.Skiptoken is null ? count.Value : await CountAsync(cursor)) - rows;
        }
        else if (paging.Count)
        {
            count = rows;
        }

        body.Append("],\"@odata.context\":").Append(JsonSerializer.Serialize(serviceRoot + "/$metadata#Submissions"));
        if (remaining > 0)
        {
            var token = ODataFilter.Skiptoken(new JsonObject { ["instanceId"] = lastId }.ToJsonString());
            body.Append(",\"@odata.nextLink\":").Append(JsonSerializer.Serialize(ODataPaging.NextLink(context, token)));
        }
        if (paging.Count) body.Append(",\"@odata.count\":").Append(count ?? rows);
        body.Append('}');
        // lib/resources/odata.js: a weak ETag of the selection; an unchanged selection is 304.
        var text = body.ToString();
        if (Http.WithEtag(context, Http.Md5(text), weak: true)) return Http.NotModified();
        return Results.Text(text, "application/json; charset=utf-8", Encoding.UTF8);
    }

    /// <summary>lib/resources/odata.js single row (singleRowToOData): {value:[row]} for a live submission, else 404.1.</summary>
    private static async Task<IResult> SubmissionRow(int projectId, string xmlFormId, string instanceId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        if (form.CurrentDefId is null) throw Problems.NotFound();
        var def = await Catalog.GetDefAsync(db, form.CurrentDefId.Value, ct);
        var selection = Selection.Parse(context.Request.Query["$select"].ToString());
        selection.Validate(def.Fields);
        await using var command = db.CreateCommand("""
            SELECT s.instance_id, s.odata, s.created_at, s.updated_at, s.submitter_id, a.display_name, s.review_state,
                   s.device_id, s.edits, s.form_version, s.deleted_at
            FROM odk.submissions s LEFT JOIN odk.actors a ON a.id = s.submitter_id
            WHERE s.form_id = @form AND s.instance_id = @instance AND s.deleted_at IS NULL
            """);
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("instance", instanceId);
        var body = new StringBuilder("{\"value\":[");
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) throw Problems.NotFound();
            AppendRow(body, reader, reader.GetString(0), selection);
        }
        var serviceRoot = $"{Http.PublicOrigin(context)}/v1/projects/{projectId}/forms/{Uri.EscapeDataString(xmlFormId)}.svc";
        body.Append("],\"@odata.context\":").Append(JsonSerializer.Serialize(serviceRoot + "/$metadata#Submissions")).Append('}');
        return Results.Text(body.ToString(), "application/json; charset=utf-8", Encoding.UTF8);
    }

    private static void AppendRow(StringBuilder body, NpgsqlDataReader reader, string instanceId, Selection selection)
    {
        var system = new JsonObject
        {
            ["submissionDate"] = Http.Timestamp(reader.GetDateTime(2)),
            ["updatedAt"] = Http.Timestamp(reader.IsDBNull(3) ? null : reader.GetDateTime(3)),
            ["submitterId"] = reader.IsDBNull(4) ? null : reader.GetInt32(4).ToString(),
            ["submitterName"] = reader.IsDBNull(5) ? null : reader.GetString(5),
            ["attachmentsPresent"] = 0,
            ["attachmentsExpected"] = 0,
            ["status"] = null,
            ["reviewState"] = reader.IsDBNull(6) ? null : reader.GetString(6),
            ["deviceId"] = reader.IsDBNull(7) ? null : reader.GetString(7),
            ["edits"] = reader.GetInt32(8),
            ["formVersion"] = reader.GetString(9),
            ["deletedAt"] = Http.Timestamp(reader.IsDBNull(10) ? null : reader.GetDateTime(10)),
        };
        var fields = reader.GetString(1);

        if (selection.All)
        {
            // The stored fields are already JSON: splice __id and __system in without re-parsing them.
            body.Append(fields, 0, fields.Length - 1);
            if (fields.Length > 2) body.Append(',');
            body.Append("\"__id\":").Append(JsonSerializer.Serialize(instanceId))
                .Append(",\"__system\":").Append(system.ToJsonString()).Append('}');
            return;
        }

        var row = selection.Pick(JsonNode.Parse(fields)!.AsObject());
        if (selection.Includes("__id")) row["__id"] = instanceId;
        if (selection.Includes("__system"))
        {
            row["__system"] = system;
        }
        else
        {
            var picked = new JsonObject();
            foreach (var name in selection.SystemFields) picked[name] = system[name]?.DeepClone();
            if (picked.Count > 0) row["__system"] = picked;
        }
        body.Append(row.ToJsonString());
    }

    /// <summary>$select over nested form fields ("group/field"), __id and __system ("__system/field").</summary>
    private sealed class Selection
    {
        private readonly HashSet<string> _paths;

        private Selection(HashSet<string> paths) => _paths = paths;

        public bool All => _paths.Count == 0;

        public IEnumerable<string> SystemFields =>
            _paths.Where(p => p.StartsWith("__system/", StringComparison.Ordinal)).Select(p => p["__system/".Length..]);

        public static Selection Parse(string select) =>
            new(select is "" or "*" ? [] : select.Split(',').Select(p => p.Trim()).Where(p => p.Length > 0).ToHashSet());

        public bool Includes(string path) => _paths.Contains(path);

        private static readonly HashSet<string> SystemNames =
        [
            "__id", "__system", "__system/submissionDate", "__system/updatedAt", "__system/submitterId", "__system/submitterName",
            "__system/attachmentsPresent", "__system/attachmentsExpected", "__system/status", "__system/reviewState",
            "__system/deviceId", "__system/edits", "__system/formVersion", "__system/deletedAt",
        ];

        /// <summary>lib/formats/odata.js filterFields: every name must be a system field or a field path of the form.</summary>
        public void Validate(IReadOnlyList<FormField> fields)
        {
            if (All) return;
            var paths = new HashSet<string>();
            void Walk(IEnumerable<FormField> level, string prefix)
            {
                foreach (var field in level)
                {
                    var path = prefix.Length == 0 ? field.Name : prefix + "/" + field.Name;
                    paths.Add(path);
                    if (field.Children is not null) Walk(field.Children, path);
                }
            }
            Walk(fields, "");
            foreach (var path in _paths)
                if (!SystemNames.Contains(path) && !paths.Contains(path)) throw Problems.PropertyNotFound(path);
        }

        public JsonObject Pick(JsonObject fields, string prefix = "")
        {
            var result = new JsonObject();
            foreach (var (name, value) in fields)
            {
                var path = prefix + name;
                if (_paths.Contains(path)) result[name] = value?.DeepClone();
                else if (value is JsonObject group && _paths.Any(p => p.StartsWith(path + "/", StringComparison.Ordinal)))
                    result[name] = Pick(group, path + "/");
            }
            return result;
        }
    }
}
