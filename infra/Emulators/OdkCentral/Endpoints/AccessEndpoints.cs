using System.Text.Json.Nodes;
using Npgsql;
using OneClickSuite.Emulators.OdkCentral.Data;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;

namespace OneClickSuite.Emulators.OdkCentral.Endpoints;

/// <summary>Public config, sessions, the current user, projects, app users and their form assignments.</summary>
public static class AccessEndpoints
{
    private static readonly DateTime NeverExpires = new(9999, 12, 31, 23, 59, 59, DateTimeKind.Utc);

    public static void MapAccessEndpoints(this IEndpointRouteBuilder app)
    {
        // No public configs are set in the emulator: Central answers an empty object then.
        app.MapGet("/v1/config/public", async (NpgsqlDataSource db, CancellationToken ct) =>
        {
            await using var command = db.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(ct);
            return Http.Json(new JsonObject());
        }).WithMetadata(new OdkAnonymous());

        app.MapPost("/v1/sessions", CreateSession).WithMetadata(new OdkAnonymous());
        app.MapDelete("/v1/sessions/{token}", DeleteSession);
        app.MapGet("/v1/users/current", CurrentUser);
        app.MapGet("/v1/users", ListUsers);
        app.MapGet("/v1/roles", ListRoles);
        app.MapPatch("/v1/projects/{projectId:int}", UpdateProject);
        app.MapPut("/v1/projects/{projectId:int}", (int projectId, HttpContext context, NpgsqlDataSource db, CancellationToken ct) =>
            UpdateProject(projectId, context, db, ct, replace: true));

        app.MapPost("/v1/projects", CreateProject);
        app.MapGet("/v1/projects", ListProjects);
        app.MapGet("/v1/projects/{projectId:int}", GetProject);

        app.MapPost("/v1/projects/{projectId:int}/app-users", CreateAppUser);
        app.MapGet("/v1/projects/{projectId:int}/app-users", ListAppUsers);
        app.MapPost("/v1/projects/{projectId:int}/forms/{xmlFormId}/assignments/{role}/{actorId:int}", AssignToForm);
    }

    /// <summary>
    /// Routing fall-throughs are 404.1 (lib/http/service.js), "/v1" alone is 404.2 (lib/http/middleware.js
    /// versionParser). A project id that is not an integer reaches PostgreSQL upstream, whose cast error becomes
    /// 400.11 (lib/util/db.js, 22P02), after authentication.
    /// </summary>
    public static void MapFallbacks(this IEndpointRouteBuilder app)
    {
        app.Map("/v1", () => Http.Json(Problems.MissingApiVersion().ToJson(), 404)).WithMetadata(new OdkAnonymous());
        app.MapFallback("/v1/projects/{projectId}/{**rest}", (string projectId, HttpContext context) =>
        {
            if (int.TryParse(projectId, out _)) return Http.Json(Problems.NotFound().ToJson(), 404);
            if (OdkAuthenticationMiddleware.Failure(context) is { } failure) throw failure;
            context.RequireAnyCaller();
            throw Problems.InvalidInputSyntax(projectId, "type integer");
        }).WithMetadata(new OdkAnonymous());
        app.MapFallback("/v1/{**path}", () => Http.Json(Problems.NotFound().ToJson(), 404)).WithMetadata(new OdkAnonymous());
    }

    private static async Task<IResult> CreateSession(HttpContext context, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct)
    {
        var body = await Http.ReadJsonObjectAsync(context.Request);
        var email = body["email"] is JsonValue e && e.TryGetValue<string>(out var emailText) ? emailText : null;
        var password = body["password"] is JsonValue p && p.TryGetValue<string>(out var passwordText) ? passwordText : null;
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrWhiteSpace(password))
            throw Problems.MissingParameters(["email", "password"], new Dictionary<string, string?> { ["email"] = email, ["password"] = password });

        var user = await Users.FindByEmailAsync(db, email, ct);
        if (user is null || !PasswordHasher.Verify(password, user.PasswordHash)) throw Problems.AuthenticationFailed();

        var lifetime = TimeSpan.FromHours(configuration.GetValue("Odk:SessionLifetimeHours", 24.0));
        await using var command = db.CreateCommand("""
            WITH login AS (UPDATE odk.users SET last_login_at = clock_timestamp() WHERE actor_id = @actor)
            INSERT INTO odk.sessions (token, actor_id, csrf, expires_at)
            VALUES (@token, @actor, @csrf, clock_timestamp() + @lifetime)
            RETURNING token, csrf, expires_at, created_at
            """);
        command.Parameters.AddWithValue("actor", user.ActorId);
        command.Parameters.AddWithValue("token", Tokens.New());
        command.Parameters.AddWithValue("csrf", Tokens.New());
        command.Parameters.AddWithValue("lifetime", lifetime);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        // lib/http/sessions.js createUserSession logs user.session.create with the user agent.
        await AuditLog.WriteAsync(db, user.ActorId, "user.session.create", AuditLog.Actee.Actor, user.ActorId,
            new JsonObject { ["userAgent"] = context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null }, ct);
        return Http.Json(new JsonObject
        {
            ["token"] = reader.GetString(0),
            ["csrf"] = reader.GetString(1),
            ["expiresAt"] = Http.Timestamp(reader.GetDateTime(2)),
            ["createdAt"] = Http.Timestamp(reader.GetDateTime(3)),
        });
    }

    private static async Task<IResult> DeleteSession(string token, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        var caller = context.RequireAnyCaller();
        if (token == "current") token = caller.SessionToken ?? throw Problems.NotFound();
        await using var command = db.CreateCommand("DELETE FROM odk.sessions WHERE token = @token AND (actor_id = @actor OR @isUser)");
        command.Parameters.AddWithValue("token", token);
        command.Parameters.AddWithValue("actor", caller.ActorId);
        command.Parameters.AddWithValue("isUser", caller.IsUser);
        // lib/resources/sessions.js: an unknown token is 403.1, never 404, so nothing leaks.
        if (await command.ExecuteNonQueryAsync(ct) == 0) throw Problems.InsufficientRights();
        return Http.Json(Http.Success());
    }

    private static async Task<IResult> CurrentUser(HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        // Users.getByActorId: an app user is no user, so 404.1 (lib/resources/users.js).
        var caller = context.RequireAnyCaller();
        await using var command = db.CreateCommand("""
            SELECT a.id, a.type, a.display_name, a.created_at, a.updated_at, a.deleted_at, u.email, u.last_login_at
            FROM odk.actors a JOIN odk.users u ON u.actor_id = a.id WHERE a.id = @id
            """);
        command.Parameters.AddWithValue("id", caller.ActorId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) throw Problems.NotFound();
        var user = new JsonObject
        {
            ["id"] = reader.GetInt32(0),
            ["type"] = reader.GetString(1),
            ["displayName"] = reader.GetString(2),
            ["createdAt"] = Http.Timestamp(reader.GetDateTime(3)),
            ["updatedAt"] = Http.Timestamp(reader.IsDBNull(4) ? null : reader.GetDateTime(4)),
            ["deletedAt"] = Http.Timestamp(reader.IsDBNull(5) ? null : reader.GetDateTime(5)),
            ["email"] = reader.GetString(6),
            ["lastLoginAt"] = Http.Timestamp(reader.IsDBNull(7) ? null : reader.GetDateTime(7)),
        };
        // lib/resources/users.js: X-Extended-Metadata adds the site-wide verbs and the (empty) preferences.
        if (Http.IsTrue(context.Request.Headers["X-Extended-Metadata"]))
        {
            user["verbs"] = new JsonArray(AdminVerbs.Select(v => (JsonNode?)v).ToArray());
            user["preferences"] = new JsonObject { ["site"] = new JsonObject(), ["projects"] = new JsonObject() };
        }
        return Http.Json(user);
    }

    private const string ProjectColumns = "id, name, description, archived, created_at, updated_at, deleted_at";

    public static JsonObject ProjectJson(NpgsqlDataReader reader) => new()
    {
        ["id"] = reader.GetInt32(0),
        ["name"] = reader.GetString(1),
        ["description"] = reader.IsDBNull(2) ? null : reader.GetString(2),
        ["archived"] = reader.IsDBNull(3) ? null : reader.GetBoolean(3),
        ["keyId"] = null,
        ["createdAt"] = Http.Timestamp(reader.GetDateTime(4)),
        ["updatedAt"] = Http.Timestamp(reader.IsDBNull(5) ? null : reader.GetDateTime(5)),
        ["deletedAt"] = Http.Timestamp(reader.IsDBNull(6) ? null : reader.GetDateTime(6)),
    };

    private static async Task<IResult> CreateProject(HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var body = await Http.ReadJsonObjectAsync(context.Request);
        if (body["name"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var name) || string.IsNullOrWhiteSpace(name))
            throw Problems.MissingParameter("name");
        var description = body["description"] is JsonValue d && d.TryGetValue<string>(out var text) ? text : null;
        await using var command = db.CreateCommand($"INSERT INTO odk.projects (name, description) VALUES (@name, @description) RETURNING {ProjectColumns}, actee_id");
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("description", (object?)description ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        // The created project is answered as inserted, acteeId included (lib/model/query/projects.js create).
        var project = ProjectJson(reader);
        project["acteeId"] = reader.GetGuid(7).ToString();
        var data = new JsonObject { ["name"] = name };
        if (description is not null) data["description"] = description;
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "project.create", AuditLog.Actee.Project, reader.GetInt32(0), new JsonObject { ["data"] = data }, ct);
        return Http.Json(project);
    }

    private static async Task<IResult> ListProjects(HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        // Projects.getAll lists what the caller may project.read; an app user's role is on forms, not the project.
        var caller = context.RequireAnyCaller();
        await using var command = db.CreateCommand($"SELECT {ProjectColumns} FROM odk.projects WHERE deleted_at IS NULL AND @all ORDER BY name, id");
        command.Parameters.AddWithValue("all", caller.IsUser);
        // Projects.getAllByAuth answers each project with the caller's verbs on it (an administrator has them all).
        var list = new JsonArray();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                var project = ProjectJson(reader);
                project["verbs"] = new JsonArray(AdminVerbs.Select(v => (JsonNode?)v).ToArray());
                list.Add(project);
            }
        if (Http.IsTrue(context.Request.Headers["X-Extended-Metadata"]))
            foreach (var project in list.OfType<JsonObject>())
                await AddProjectCountsAsync(db, project, ct);
        return Http.Json(list);
    }

    private static async Task<IResult> GetProject(int projectId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        await using var command = db.CreateCommand($"SELECT {ProjectColumns} FROM odk.projects WHERE id = @id AND deleted_at IS NULL");
        command.Parameters.AddWithValue("id", projectId);
        JsonObject project;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) throw Problems.NotFound();
            project = ProjectJson(reader);
        }
        // X-Extended-Metadata: counts, last activity and the caller's verbs (lib/model/query/projects.js getById extended).
        if (Http.IsTrue(context.Request.Headers["X-Extended-Metadata"]))
        {
            await AddProjectCountsAsync(db, project, ct);
            project["verbs"] = new JsonArray(AdminVerbs.Select(v => (JsonNode?)v).ToArray());
        }
        return Http.Json(project);
    }

    private static async Task AddProjectCountsAsync(NpgsqlDataSource db, JsonObject project, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT (SELECT count(*) FROM odk.forms WHERE project_id = @id AND deleted_at IS NULL),
                   (SELECT count(*) FROM odk.actors WHERE type = 'field_key' AND project_id = @id AND deleted_at IS NULL),
                   (SELECT count(*) FROM odk.datasets WHERE project_id = @id),
                   (SELECT max(s.created_at) FROM odk.submissions s JOIN odk.forms f ON f.id = s.form_id WHERE f.project_id = @id AND s.deleted_at IS NULL),
                   (SELECT max(e.created_at) FROM odk.entities e JOIN odk.datasets d ON d.id = e.dataset_id WHERE d.project_id = @id AND e.deleted_at IS NULL)
            """);
        command.Parameters.AddWithValue("id", project["id"]!.GetValue<int>());
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        project["forms"] = reader.GetInt64(0);
        project["appUsers"] = reader.GetInt64(1);
        project["datasets"] = reader.GetInt64(2);
        project["lastSubmission"] = Http.Timestamp(reader.IsDBNull(3) ? null : reader.GetDateTime(3));
        project["lastEntity"] = Http.Timestamp(reader.IsDBNull(4) ? null : reader.GetDateTime(4));
    }

    /// <summary>An app user is an actor of type field_key whose session never expires.</summary>
    private static async Task<IResult> CreateAppUser(int projectId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        await Catalog.EnsureProjectAsync(db, projectId, ct);
        var body = await Http.ReadJsonObjectAsync(context.Request);
        if (body["displayName"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var displayName) || string.IsNullOrWhiteSpace(displayName))
            throw Problems.MissingParameter("displayName");
        await using var command = db.CreateCommand("""
            WITH actor AS (
                INSERT INTO odk.actors (type, display_name, project_id) VALUES ('field_key', @name, @project)
                RETURNING id, created_at
            ), session AS (
                INSERT INTO odk.sessions (token, actor_id, csrf, expires_at)
                SELECT @token, id, @csrf, @expires FROM actor
                RETURNING token, csrf, expires_at
            )
            SELECT actor.id, actor.created_at, session.token, session.csrf, session.expires_at FROM actor, session
            """);
        command.Parameters.AddWithValue("name", displayName);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("token", Tokens.New());
        command.Parameters.AddWithValue("csrf", Tokens.New());
        command.Parameters.AddWithValue("expires", NeverExpires);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        await AuditLog.WriteAsync(db, context.Caller()!.ActorId, "field_key.create", AuditLog.Actee.Actor, reader.GetInt32(0), null, ct);
        return Http.Json(new JsonObject
        {
            ["projectId"] = projectId,
            ["id"] = reader.GetInt32(0),
            ["type"] = "field_key",
            ["displayName"] = displayName,
            ["createdAt"] = Http.Timestamp(reader.GetDateTime(1)),
            ["updatedAt"] = null,
            ["deletedAt"] = null,
            ["token"] = reader.GetString(2),
            ["csrf"] = reader.GetString(3),
            ["expiresAt"] = Http.Timestamp(reader.GetDateTime(4)),
        });
    }

    private static async Task<IResult> ListAppUsers(int projectId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        await Catalog.EnsureProjectAsync(db, projectId, ct);
        await using var command = db.CreateCommand("""
            SELECT a.id, a.display_name, a.created_at, a.updated_at, a.deleted_at, s.token
            FROM odk.actors a LEFT JOIN odk.sessions s ON s.actor_id = a.id
            WHERE a.type = 'field_key' AND a.project_id = @project AND a.deleted_at IS NULL
            ORDER BY a.created_at DESC, a.id DESC
            """);
        command.Parameters.AddWithValue("project", projectId);
        var list = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new JsonObject
            {
                ["projectId"] = projectId,
                ["id"] = reader.GetInt32(0),
                ["type"] = "field_key",
                ["displayName"] = reader.GetString(1),
                ["createdAt"] = Http.Timestamp(reader.GetDateTime(2)),
                ["updatedAt"] = Http.Timestamp(reader.IsDBNull(3) ? null : reader.GetDateTime(3)),
                ["deletedAt"] = Http.Timestamp(reader.IsDBNull(4) ? null : reader.GetDateTime(4)),
                ["token"] = reader.IsDBNull(5) ? null : reader.GetString(5),
            });
        }
        return Http.Json(list);
    }

    /// <summary>The verbs of Central's system roles (as GET /v1/roles lists them, v2026.2).</summary>
    public static readonly string[] AdminVerbs =
    [
        "config.read", "field_key.create", "field_key.delete", "field_key.list", "form.create", "form.delete", "form.list", "form.read",
        "form.update", "project.create", "project.delete", "project.read", "project.update", "session.end", "submission.create",
        "submission.read", "submission.list", "user.create", "user.list", "user.password.invalidate", "user.read", "user.update",
        "role.create", "role.update", "role.delete", "assignment.list", "assignment.create", "assignment.delete", "user.delete",
        "audit.read", "public_link.create", "public_link.list", "public_link.read", "public_link.update", "public_link.delete",
        "backup.run", "config.set", "analytics.read", "form.restore", "dataset.list", "entity.list", "dataset.read", "entity.read",
        "entity.create", "entity.update", "dataset.update", "entity.delete", "submission.update", "dataset.create", "submission.delete",
        "submission.restore", "entity.restore", "dataset.delete", "actor_property.list", "actor_property.update", "field_key.update",
    ];

    private static readonly (int Id, string Name, string System, bool Dated, string[] Verbs)[] RoleTable =
    [
        (3, "Password Reset Token", "pwreset", true, ["user.password.reset"]),
        (2, "App User", "app-user", true, ["open_form.read", "submission.create"]),
        (7, "Form Viewer (system internal)", "formview", false, ["open_form.read"]),
        (8, "Data Collector", "formfill", false, ["project.read", "open_form.list", "open_form.read", "submission.create"]),
        (9, "Public Link", "pub-link", true, ["open_form.read", "submission.create"]),
        (6, "Project Viewer", "viewer", false, ["project.read", "form.list", "form.read", "submission.read", "submission.list", "dataset.list", "entity.list", "dataset.read", "entity.read", "actor_property.list"]),
        (5, "Project Manager", "manager", false, AdminVerbs.Where(v => !v.StartsWith("user.") && !v.StartsWith("role.") && !v.StartsWith("config.")
            && v is not ("project.create" or "audit.read" or "backup.run" or "analytics.read")).ToArray()),
        (1, "Administrator", "admin", true, AdminVerbs),
    ];

    /// <summary>
    /// GET /v1/roles (lib/resources/roles.js): the system roles. Their createdAt is when upstream's migration made
    /// them (null for the later ones); the emulator dates the dated ones to its schema (a guess for the value).
    /// </summary>
    private static async Task<IResult> ListRoles(HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireAnyCaller();
        await using var command = db.CreateCommand("SELECT min(created_at) FROM odk.actors");
        var created = await command.ExecuteScalarAsync(ct) is DateTime t ? Http.Timestamp(t) : null;
        var list = new JsonArray();
        foreach (var role in RoleTable)
            list.Add(new JsonObject
            {
                ["id"] = role.Id, ["name"] = role.Name, ["system"] = role.System,
                ["createdAt"] = role.Dated ? created : null, ["updatedAt"] = null,
                ["verbs"] = new JsonArray(role.Verbs.Select(v => (JsonNode?)v).ToArray()),
            });
        return Http.Json(list);
    }

    /// <summary>GET /v1/users (lib/resources/users.js): administrators list every user (?q= narrows by email).</summary>
    private static async Task<IResult> ListUsers(HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        context.RequireUser();
        var q = context.Request.Query["q"].ToString();
        await using var command = db.CreateCommand("""
            SELECT a.id, a.type, a.display_name, a.created_at, a.updated_at, a.deleted_at, u.email, u.last_login_at
            FROM odk.actors a JOIN odk.users u ON u.actor_id = a.id
            WHERE a.deleted_at IS NULL AND (@q = '' OR lower(u.email) = lower(@q) OR a.display_name ILIKE '%' || @q || '%')
            ORDER BY a.display_name, a.id
            """);
        command.Parameters.AddWithValue("q", q);
        var list = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(UserJson(reader));
        return Http.Json(list);
    }

    private static JsonObject UserJson(NpgsqlDataReader reader) => new()
    {
        ["id"] = reader.GetInt32(0),
        ["type"] = reader.GetString(1),
        ["displayName"] = reader.GetString(2),
        ["createdAt"] = Http.Timestamp(reader.GetDateTime(3)),
        ["updatedAt"] = Http.Timestamp(reader.IsDBNull(4) ? null : reader.GetDateTime(4)),
        ["deletedAt"] = Http.Timestamp(reader.IsDBNull(5) ? null : reader.GetDateTime(5)),
        ["email"] = reader.GetString(6),
        ["lastLoginAt"] = Http.Timestamp(reader.IsDBNull(7) ? null : reader.GetDateTime(7)),
    };

    /// <summary>
    /// PATCH /v1/projects/{id} (lib/resources/projects.js): name, description and archived, bumping updatedAt.
    /// PUT replaces them: what is left out becomes null (its form-state part is not emulated).
    /// </summary>
    private static async Task<IResult> UpdateProject(int projectId, HttpContext context, NpgsqlDataSource db, CancellationToken ct, bool replace = false)
    {
        var caller = context.RequireUser();
        await Catalog.EnsureProjectAsync(db, projectId, ct);
        var body = await Http.ReadJsonObjectAsync(context.Request);
        var data = new JsonObject();
        foreach (var key in new[] { "name", "description", "archived" })
            if (body.ContainsKey(key)) data[key] = body[key]?.DeepClone();
        await using var command = db.CreateCommand($"""
            UPDATE odk.projects SET
                name = CASE WHEN @setName THEN @name ELSE name END,
                description = CASE WHEN @setDescription THEN @description ELSE description END,
                archived = CASE WHEN @setArchived THEN @archived ELSE archived END,
                updated_at = clock_timestamp()
            WHERE id = @id RETURNING {ProjectColumns}
            """);
        command.Parameters.AddWithValue("id", projectId);
        command.Parameters.AddWithValue("setName", body["name"] is JsonValue);
        command.Parameters.AddWithValue("name", body["name"] is JsonValue n && n.TryGetValue<string>(out var name) ? name : "");
        command.Parameters.AddWithValue("setDescription", replace || body.ContainsKey("description"));
        command.Parameters.AddWithValue("description", body["description"] is JsonValue d && d.TryGetValue<string>(out var description) ? description : DBNull.Value);
        command.Parameters.AddWithValue("setArchived", replace || body.ContainsKey("archived"));
        command.Parameters.AddWithValue("archived", body["archived"] is JsonValue a && a.TryGetValue<bool>(out var archived) ? archived : DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var project = ProjectJson(reader);
        await reader.DisposeAsync();
        await AuditLog.WriteAsync(db, caller.ActorId, "project.update", AuditLog.Actee.Project, projectId, new JsonObject { ["data"] = data }, ct);
        return Http.Json(project);
    }

    /// <summary>Central's system roles (GET /v1/roles): a role is named by id or system name.</summary>
    private static readonly Dictionary<string, int> Roles = new()
    {
        ["admin"] = 1, ["app-user"] = 2, ["pwreset"] = 3, ["manager"] = 5, ["viewer"] = 6, ["formview"] = 7, ["formfill"] = 8, ["pub-link"] = 9,
    };

    public static int RoleId(string role) => Roles.TryGetValue(role, out var id) ? id : 0;

    private static async Task<IResult> AssignToForm(int projectId, string xmlFormId, string role, int actorId, HttpContext context, NpgsqlDataSource db, CancellationToken ct)
    {
        var caller = context.RequireUser();
        var form = await Catalog.GetFormAsync(db, projectId, xmlFormId, ct);
        // lib/resources/assignments.js: the role (by id or system name) and the actor must exist, else 404.1.
        var roleId = int.TryParse(role, out var id) && Roles.ContainsValue(id) ? id : Roles.TryGetValue(role, out var named) ? named : throw Problems.NotFound();
        role = Roles.First(r => r.Value == roleId).Key;
        await using var command = db.CreateCommand("""
            INSERT INTO odk.form_assignments (form_id, actor_id, role)
            SELECT @form, id, @role FROM odk.actors WHERE id = @actor AND deleted_at IS NULL
            ON CONFLICT DO NOTHING
            """);
        command.Parameters.AddWithValue("form", form.Id);
        command.Parameters.AddWithValue("actor", actorId);
        command.Parameters.AddWithValue("role", role);
        await command.ExecuteNonQueryAsync(ct);

        await using var check = db.CreateCommand("SELECT type FROM odk.actors WHERE id = @actor AND deleted_at IS NULL");
        check.Parameters.AddWithValue("actor", actorId);
        var type = await check.ExecuteScalarAsync(ct) as string ?? throw Problems.NotFound();
        // Assignments.grant logs {type}.assignment.create on the actor, naming the role and the form's actee.
        await using (var formActee = db.CreateCommand("SELECT actee_id FROM odk.forms WHERE id = @form"))
        {
            formActee.Parameters.AddWithValue("form", form.Id);
            var granted = (Guid)(await formActee.ExecuteScalarAsync(ct))!;
            await AuditLog.WriteAsync(db, caller.ActorId, $"{type}.assignment.create", AuditLog.Actee.Actor, actorId,
                new JsonObject { ["roleId"] = roleId, ["grantedActeeId"] = granted.ToString() }, ct);
        }
        return Http.Json(Http.Success());
    }
}
