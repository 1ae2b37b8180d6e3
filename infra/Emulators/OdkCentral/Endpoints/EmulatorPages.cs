using System.Text;
using System.Text.Json;
using Npgsql;

namespace OneClickSuite.Emulators.OdkCentral.Endpoints;

/// <summary>
/// The emulator's own pages, where real Central's nginx serves its web front end (outside /v1): projects, forms, the
/// <c>health_workers</c> entity list and submissions with their review states, newest first and bounded, and the
/// fault switch.
/// </summary>
public static class EmulatorPages
{
    private const int Newest = 50;
    private const string Title = "ODK Central emulator";
    private const string StandsFor = "The OneClickSuite sandbox's emulator of ODK Central v2026.2 (the API server, central-backend "
        + "v2026.2.2): its API answers at /v1, as Central's does behind its nginx; Central's web front end is not emulated.";
    private const string WorkerList = "health_workers";

    public static void MapEmulatorPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", OverviewAsync);
        app.MapGet(EmulatorPage.WorkersPath + "/{workerId}", WorkerAsync);
    }

    private static async Task<IResult> OverviewAsync(HttpContext context, NpgsqlDataSource db, EmulatorLinks links, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var body = new StringBuilder();

        var projects = new List<Row>();
        await using (var command = new NpgsqlCommand($"""
            SELECT p.id, p.name, p.archived,
                   (SELECT count(*) FROM odk.forms f WHERE f.project_id = p.id AND f.deleted_at IS NULL),
                   (SELECT count(*) FROM odk.datasets d WHERE d.project_id = p.id)
            FROM odk.projects p WHERE p.deleted_at IS NULL ORDER BY p.id LIMIT {Newest}
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                projects.Add(new Row($"project-{reader.GetInt32(0)}", Html.Text(reader.GetInt32(0)), Html.Text(reader.GetString(1)),
                    Html.Text(reader.IsDBNull(2) || !reader.GetBoolean(2) ? "" : "archived"), Html.Text(reader.GetInt64(3)), Html.Text(reader.GetInt64(4))));
            }
        }
        body.Append(Html.Heading("Projects", "projects")).Append(Html.Table(["Project", "Name", "", "Forms", "Entity lists"], projects, "project-table"));

        var forms = new List<Row>();
        await using (var command = new NpgsqlCommand($"""
            SELECT f.project_id, f.xml_form_id, d.name, d.version, f.state, f.current_def_id IS NULL,
                   (SELECT count(*) FROM odk.submissions s WHERE s.form_id = f.id AND s.deleted_at IS NULL)
            FROM odk.forms f LEFT JOIN odk.form_defs d ON d.id = coalesce(f.current_def_id, f.draft_def_id)
            WHERE f.deleted_at IS NULL ORDER BY f.project_id, f.id LIMIT {Newest}
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                forms.Add(new Row(null, Html.Text(reader.GetInt32(0)), Html.Code(reader.GetString(1)), Html.Text(reader.IsDBNull(2) ? "" : reader.GetString(2)),
                    Html.Text(reader.IsDBNull(3) ? "" : reader.GetString(3)), Html.Text(reader.GetString(4) + (reader.GetBoolean(5) ? " (draft only)" : "")),
                    Html.Text(reader.GetInt64(6))));
            }
        }
        body.Append(Html.Heading("Forms", "forms")).Append(Html.Table(["Project", "Form id", "Title", "Version", "State", "Submissions"], forms, "form-table"));

        var lists = new List<Row>();
        await using (var command = new NpgsqlCommand($"""
            SELECT d.project_id, d.name, count(e.id), (SELECT string_agg(p.name, ', ' ORDER BY p.id) FROM odk.ds_properties p WHERE p.dataset_id = d.id)
            FROM odk.datasets d LEFT JOIN odk.entities e ON e.dataset_id = d.id AND e.deleted_at IS NULL
            GROUP BY d.id ORDER BY d.project_id, d.id LIMIT {Newest}
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                lists.Add(new Row(null, Html.Text(reader.GetInt32(0)), Html.Code(reader.GetString(1)), Html.Text(reader.GetInt64(2)),
                    Html.Text(reader.IsDBNull(3) ? "" : reader.GetString(3))));
            }
        }
        body.Append(Html.Heading("Entity lists", "entity-lists")).Append(Html.Table(["Project", "List", "Entities", "Properties"], lists, "list-table"));

        long total;
        await using (var count = new NpgsqlCommand("""
            SELECT count(*) FROM odk.entities e JOIN odk.datasets d ON d.id = e.dataset_id WHERE d.name = $1 AND e.deleted_at IS NULL
            """, connection) { Parameters = { new() { Value = WorkerList } } })
        {
            total = (long)(await count.ExecuteScalarAsync(ct))!;
        }
        var entities = await EntitiesAsync(connection, $"""
            WHERE e.dataset_id IN (SELECT id FROM odk.datasets WHERE name = $1) AND e.deleted_at IS NULL
            ORDER BY e.created_at DESC, e.id DESC LIMIT {Newest}
            """, WorkerList, ct);
        body.Append(Html.Heading($"Entity list {WorkerList}", "health-workers", total, entities.Count)).Append(EntityTable(entities, links, "entity-table"));

        long submissionTotal;
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM odk.submissions WHERE deleted_at IS NULL", connection))
        {
            submissionTotal = (long)(await count.ExecuteScalarAsync(ct))!;
        }
        var submissions = await SubmissionsAsync(connection, $"WHERE s.deleted_at IS NULL ORDER BY s.created_at DESC, s.id DESC LIMIT {Newest}", null, ct);
        body.Append(Html.Heading("Submissions", "submissions", submissionTotal, submissions.Count)).Append(SubmissionTable(submissions));
        return EmulatorPage.Render(context, EmulatedSystem.Odk, Title, StandsFor, body.ToString());
    }

    /// <summary>
    /// One worker: the entities whose <c>worker_id</c> property is the worker's id (the roster entity, pay statements),
    /// and the submissions that selected their roster entity.
    /// </summary>
    private static async Task<IResult> WorkerAsync(HttpContext context, string workerId, NpgsqlDataSource db, EmulatorLinks links, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var entities = await EntitiesAsync(connection, $"WHERE e.data->>'worker_id' = $1 ORDER BY e.created_at DESC, e.id DESC LIMIT {Newest}", workerId, ct);
        var body = new StringBuilder();
        body.Append(Html.Heading($"Worker {workerId}", "worker"));
        body.Append("<p>").Append(Html.Link(links.Worker(EmulatedSystem.Ihris, workerId), "in the iHRIS emulator", "worker-ihris"))
            .Append(" · ").Append(Html.Link(links.Worker(EmulatedSystem.Fineract, workerId), "in the Fineract emulator", "worker-fineract")).Append("</p>");
        if (entities.Count == 0)
        {
            body.Append("<p data-testid=\"not-found\">No entity has worker_id ").Append(Html.Code(workerId)).Append(".</p>");
        }
        body.Append(Html.Heading("Entities", "entities")).Append(EntityTable(entities, links, "entity-table"));
        // The worker's roster entity uuid inside the OData row (a text search, then the field itself).
        var roster = entities.Where(e => e.List == WorkerList).Select(e => e.Uuid.ToString()).ToArray();
        var submissions = roster.Length == 0 ? [] : await SubmissionsAsync(connection, $"""
            WHERE s.deleted_at IS NULL AND s.odata LIKE ANY(SELECT '%' || u || '%' FROM unnest($1::text[]) u)
              AND s.odata::jsonb->>'worker' = ANY($1::text[])
            ORDER BY s.created_at DESC, s.id DESC LIMIT {Newest}
            """, roster, ct);
        body.Append(Html.Heading("Submissions that selected this worker", "submissions")).Append(SubmissionTable(submissions));
        return EmulatorPage.Render(context, EmulatedSystem.Odk, Title, StandsFor, body.ToString());
    }

    private sealed record EntityRow(Guid Uuid, string List, string Label, string Data, int Version, DateTimeOffset Created,
        DateTimeOffset? Updated, bool Deleted, string? Conflict)
    {
        public string? WorkerId => JsonDocument.Parse(Data).RootElement.TryGetProperty("worker_id", out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString() : null;
    }

    private static async Task<List<EntityRow>> EntitiesAsync(NpgsqlConnection connection, string tail, object parameter, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT e.uuid, (SELECT name FROM odk.datasets d WHERE d.id = e.dataset_id), e.label, e.data::text, e.version,
                   e.created_at, e.updated_at, e.deleted_at IS NOT NULL, e.conflict
            FROM odk.entities e {tail}
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<EntityRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new EntityRow(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.GetBoolean(7),
                reader.IsDBNull(8) ? null : reader.GetString(8)));
        }
        return rows;
    }

    private static string EntityTable(IEnumerable<EntityRow> rows, EmulatorLinks links, string testId) => Html.Table(
        ["Label", "List", "Properties", "Version", "Created", "Updated", "Entity uuid", "Elsewhere"],
        rows.Select(e =>
        {
            var worker = e.WorkerId;
            var properties = string.Join("<br>", JsonDocument.Parse(e.Data).RootElement.EnumerateObject()
                .Select(p => $"{Html.Text(p.Name)}: {Html.Text(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())}"));
            return new Row(e.List == WorkerList && worker is not null ? $"worker-{worker}" : $"entity-{e.Uuid}",
                worker is null ? Html.Text(e.Label) : Html.Link(EmulatorPage.WorkerPath(worker), e.Label),
                Html.Code(e.List),
                properties,
                Html.Text(e.Version + (e.Deleted ? " (deleted)" : "") + (e.Conflict is null ? "" : $" (conflict: {e.Conflict})")),
                Html.Date(e.Created),
                Html.Date(e.Updated),
                Html.Code(e.Uuid),
                worker is null ? "" : string.Join(" · ", new[]
                {
                    Html.Link(links.Worker(EmulatedSystem.Ihris, worker), "iHRIS"),
                    Html.Link(links.Worker(EmulatedSystem.Fineract, worker), "Fineract"),
                }.Where(l => l.StartsWith("<a", StringComparison.Ordinal))))
            {
                Attributes = worker is null ? null : [("data-worker", worker)],
            };
        }), testId);

    private sealed record SubmissionRow(int ProjectId, string FormId, string InstanceId, string CurrentInstanceId, string? Submitter,
        DateTimeOffset Created, DateTimeOffset? Updated, string? ReviewState, int Edits, string? WorkerLabel, string? WorkerId);

    /// <summary>
    /// Submissions with the worker their <c>worker</c> field selected: that field holds the roster entity's uuid (the
    /// form's choices come from the entity list), read from the submission's OData row.
    /// </summary>
    private static async Task<List<SubmissionRow>> SubmissionsAsync(NpgsqlConnection connection, string tail, object? parameter, CancellationToken ct)
    {
        // The OData row is read only for the rows shown: the tail (filter, order, limit) applies first.
        await using var command = new NpgsqlCommand($$"""
            SELECT s.project_id, s.xml_form_id, s.instance_id, s.current_instance_id, s.submitter, s.created_at, s.updated_at,
                   s.review_state, s.edits, e.label, e.data->>'worker_id'
            FROM (SELECT s.id, s.instance_id, s.current_instance_id, s.created_at, s.updated_at, s.review_state, s.edits, s.odata,
                         f.project_id, f.xml_form_id, a.display_name AS submitter
                  FROM odk.submissions s JOIN odk.forms f ON f.id = s.form_id LEFT JOIN odk.actors a ON a.id = s.submitter_id
                  {{tail}}) s
            LEFT JOIN LATERAL (SELECT CASE WHEN s.odata::jsonb->>'worker' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                                      THEN (s.odata::jsonb->>'worker')::uuid END AS selected) w ON true
            LEFT JOIN odk.entities e ON e.uuid = w.selected
            ORDER BY s.created_at DESC, s.id DESC
            """, connection);
        if (parameter is not null) command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<SubmissionRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new SubmissionRow(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetString(10)));
        }
        return rows;
    }

    /// <summary>
    /// Each row's id is the path of Central's own submission page (<c>#/projects/{p}/forms/{f}/submissions/{i}</c>), so a
    /// link made for the real front end lands on the row here.
    /// </summary>
    private static string SubmissionTable(IEnumerable<SubmissionRow> rows) => Html.Table(
        ["Instance id", "Project", "Form", "Worker", "Submitted by", "Submitted", "Updated", "Review state"],
        rows.Select(s => new Row($"/projects/{s.ProjectId}/forms/{s.FormId}/submissions/{s.InstanceId}",
            Html.Code(s.InstanceId) + (s.Edits > 0 ? " " + Html.Muted($"edited {s.Edits}×, now {s.CurrentInstanceId}") : ""),
            Html.Text(s.ProjectId),
            Html.Code(s.FormId),
            s.WorkerId is null ? Html.Text(s.WorkerLabel) : Html.Link(EmulatorPage.WorkerPath(s.WorkerId), s.WorkerLabel ?? s.WorkerId),
            Html.Text(s.Submitter),
            Html.Date(s.Created),
            Html.Date(s.Updated),
            // Central's API says null until someone reviews; its front end shows that as "Received".
            $"<span data-testid=\"review-state\">{Html.Text(s.ReviewState ?? "received")}</span>")), "submission-table");
}
