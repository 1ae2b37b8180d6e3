using System.Text;
using System.Text.Json.Nodes;
using Npgsql;

namespace OneClickSuite.Emulators.Ihris.Backend;

/// <summary>
/// The emulator's own pages on the backend port, where iHRIS serves its web front end: facilities, workers
/// (Practitioner), their roles (PractitionerRole) and salaries (Basic, ihris-salary), newest first and bounded, read
/// from the FHIR store's current versions, and the fault switch.
/// </summary>
public static class EmulatorPages
{
    private const int Newest = 50;
    private const string Title = "iHRIS emulator";
    private const string StandsFor = "The OneClickSuite sandbox's emulator of iHRIS 5 (the ihris/ihris backend at iHRIS/iHRIS 859205a7) "
        + "and its FHIR server HAPI FHIR 6.8 (hapiproject/hapi:v6.8.0), in one process: the backend's API (/auth, /config, /fhir) "
        + "answers on this port, HAPI's FHIR API on its own; iHRIS's web front end is not emulated.";
    private const string Ihris = "http://ihris.org/fhir/StructureDefinition/";

    public static void MapEmulatorPages(this IEndpointRouteBuilder app)
    {
        // Any method, as the backend's index.html fallback answers any method: only GET and HEAD get the page.
        app.Map("/", (HttpContext context, NpgsqlDataSource db, EmulatorLinks links, CancellationToken ct) =>
            HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
                ? OverviewAsync(context, db, links, ct)
                : Task.FromResult(BackendEndpoints.IndexPage()));
        app.MapGet(EmulatorPage.WorkersPath + "/{workerId}", WorkerAsync);
    }

    private static async Task<IResult> OverviewAsync(HttpContext context, NpgsqlDataSource db, EmulatorLinks links, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var counts = new Dictionary<string, long>();
        await using (var command = new NpgsqlCommand("""
            SELECT res_type, count(*) FROM fhir_resource
            WHERE superseded_seq IS NULL AND NOT deleted AND res_type IN ('Location', 'Practitioner', 'PractitionerRole')
            GROUP BY res_type
            UNION ALL
            SELECT 'Salary', count(DISTINCT res_id) FROM fhir_reference WHERE res_type = 'Basic' AND param = 'practitioner'
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) counts[reader.GetString(0)] = reader.GetInt64(1);
        }
        long Count(string type) => counts.GetValueOrDefault(type);

        var facilities = await NewestAsync(connection, "Location", null, ct);
        var workers = await NewestAsync(connection, "Practitioner", null, ct);
        var roles = await NewestAsync(connection, "PractitionerRole", null, ct);
        var salaries = await NewestAsync(connection, "Basic", $"%\"{Ihris}ihris-salary\"%", ct);

        var ofWorkers = await ReferringAsync(connection, workers.Select(w => Id(w)).ToArray(), ct);
        var locations = await LocationNamesAsync(connection,
            roles.Concat(ofWorkers.Values.SelectMany(r => r)).SelectMany(LocationIds).Distinct().ToArray(), ct);

        var body = new StringBuilder();
        body.Append(Html.Heading("Workers", "workers", Count("Practitioner"), workers.Count)).Append(WorkerTable(workers, ofWorkers, locations, links));
        body.Append(Html.Heading("Facilities", "facilities", Count("Location"), facilities.Count)).Append(Html.Table(
            ["Location", "Name", "Type", "Part of", "Status"],
            facilities.Select(l => new Row($"location-{Id(l)}", Html.Code(Id(l)), Html.Text(Str(l["name"])),
                Html.Text(string.Join(", ", (l["type"] as JsonArray ?? []).Select(t => Display(t?["coding"]?[0])))),
                Html.Text(Str(l["partOf"]?["reference"])), Html.Text(Str(l["status"])))), "facility-table"));
        body.Append(Html.Heading("Roles", "roles", Count("PractitionerRole"), roles.Count)).Append(RoleTable(roles, locations));
        body.Append(Html.Heading("Salaries", "salaries", Count("Salary"), salaries.Count)).Append(SalaryTable(salaries));
        return EmulatorPage.Render(context, EmulatedSystem.Ihris, Title, StandsFor, body.ToString());
    }

    /// <summary>One worker: the Practitioner, its roles and salary records, and where the suite linked them.</summary>
    private static async Task<IResult> WorkerAsync(HttpContext context, string workerId, NpgsqlDataSource db, EmulatorLinks links, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var body = new StringBuilder();
        body.Append(Html.Heading($"Worker {workerId}", "worker"));
        body.Append("<p>").Append(Html.Link(links.Worker(EmulatedSystem.Odk, workerId), "in the ODK Central emulator", "worker-odk"))
            .Append(" · ").Append(Html.Link(links.Worker(EmulatedSystem.Fineract, workerId), "in the Fineract emulator", "worker-fineract")).Append("</p>");
        JsonNode? practitioner = null;
        await using (var command = new NpgsqlCommand("""
            SELECT body FROM fhir_resource WHERE res_type = 'Practitioner' AND res_id = $1 AND superseded_seq IS NULL AND NOT deleted
            """, connection) { Parameters = { new() { Value = workerId } } })
        {
            if (await command.ExecuteScalarAsync(ct) is string json) practitioner = JsonNode.Parse(json);
        }
        if (practitioner is null)
        {
            body.Append("<p data-testid=\"not-found\">No Practitioner has id ").Append(Html.Code(workerId)).Append(".</p>");
            return EmulatorPage.Render(context, EmulatedSystem.Ihris, Title, StandsFor, body.ToString());
        }
        var referring = await ReferringAsync(connection, [workerId], ct);
        var all = referring.GetValueOrDefault(workerId) ?? [];
        var roles = all.Where(r => Str(r["resourceType"]) == "PractitionerRole").ToList();
        var salaries = all.Where(r => Str(r["resourceType"]) == "Basic").ToList();
        var locations = await LocationNamesAsync(connection, roles.SelectMany(LocationIds).Distinct().ToArray(), ct);
        body.Append(WorkerTable([practitioner], referring, locations, links));
        body.Append(Html.Heading("Roles", "roles")).Append(RoleTable(roles, locations));
        body.Append(Html.Heading("Salaries", "salaries")).Append(SalaryTable(salaries));
        return EmulatorPage.Render(context, EmulatedSystem.Ihris, Title, StandsFor, body.ToString());
    }

    private static string WorkerTable(IEnumerable<JsonNode> workers, IReadOnlyDictionary<string, List<JsonNode>> referring,
        IReadOnlyDictionary<string, string> locations, EmulatorLinks links) => Html.Table(
        ["Worker (Practitioner)", "Name", "Employee number", "Phone", "Active", "Role (facility)", "Salary", "Elsewhere"],
        workers.Select(w =>
        {
            var id = Id(w);
            var related = referring.GetValueOrDefault(id) ?? [];
            var roles = related.Where(r => Str(r["resourceType"]) == "PractitionerRole")
                .Select(r => $"{Job(r)} ({string.Join(", ", LocationIds(r).Select(l => locations.GetValueOrDefault(l, l)))}){(Ended(r) ? ", ended" : "")}");
            var salaries = related.Where(r => Str(r["resourceType"]) == "Basic").SelectMany(Salaries).Select(s => s.Summary);
            return new Row($"worker-{id}",
                Html.Link(EmulatorPage.WorkerPath(id), id),
                Html.Text(Name(w)),
                Html.Text(EmployeeNumber(w)),
                Html.Text(string.Join(", ", (w["telecom"] as JsonArray ?? []).Select(t => Str(t?["value"])))),
                Html.Text(Str(w["active"]) ?? ""),
                Html.Text(string.Join("; ", roles)),
                $"<span data-testid=\"salary\">{Html.Text(string.Join("; ", salaries))}</span>",
                string.Join(" · ", new[]
                {
                    Html.Link(links.Worker(EmulatedSystem.Odk, id), "ODK", "link-odk-worker"),
                    Html.Link(links.Worker(EmulatedSystem.Fineract, id), "Fineract", "link-fineract-worker"),
                }.Where(l => l.StartsWith("<a", StringComparison.Ordinal))))
            {
                Attributes = [("data-worker", id)],
            };
        }), "worker-table");

    private static string RoleTable(IEnumerable<JsonNode> roles, IReadOnlyDictionary<string, string> locations) => Html.Table(
        ["Role", "Worker", "Job", "Facility", "Start", "End", "Active"],
        roles.Select(r =>
        {
            var worker = ReferenceId(r["practitioner"], "Practitioner");
            return new Row($"role-{Id(r)}",
                Html.Code(Id(r)),
                worker is null ? "" : Html.Link(EmulatorPage.WorkerPath(worker), worker),
                Html.Text(Job(r)),
                Html.Text(string.Join(", ", LocationIds(r).Select(l => locations.GetValueOrDefault(l, l)))),
                Html.Text(Str(r["period"]?["start"])),
                Html.Text(Str(r["period"]?["end"])),
                Html.Text(Str(r["active"]) ?? ""));
        }), "role-table");

    private static string SalaryTable(IEnumerable<JsonNode> records) => Html.Table(
        ["Record (Basic)", "Worker", "Basic salary", "Allowance", "Benefits", "Frequency", "From", "To", "Current"],
        records.SelectMany(b => Salaries(b).Select(s =>
        {
            var worker = ReferenceId(Extension(b, Ihris + "ihris-practitioner-reference")?["valueReference"], "Practitioner");
            return new Row($"salary-{Id(b)}",
                Html.Code(Id(b)),
                worker is null ? "" : Html.Link(EmulatorPage.WorkerPath(worker), worker),
                Html.Text(s.Basic), Html.Text(s.Allowance), Html.Text(s.Benefits), Html.Text(s.Frequency),
                Html.Text(s.From), Html.Text(s.To), Html.Text(s.Current));
        })), "salary-table");

    /// <summary>The newest current resources of a type (by lastUpdated), optionally only those whose JSON matches a LIKE pattern.</summary>
    private static async Task<List<JsonNode>> NewestAsync(NpgsqlConnection connection, string type, string? like, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT body FROM fhir_resource
            WHERE res_type = $1 AND superseded_seq IS NULL AND NOT deleted {(like is null ? "" : "AND body LIKE $2")}
            ORDER BY last_updated DESC, seq DESC LIMIT {Newest}
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        if (like is not null) command.Parameters.Add(new NpgsqlParameter { Value = like });
        return await ReadBodiesAsync(command, ct);
    }

    /// <summary>Current PractitionerRoles and Basic records that refer to each of the given Practitioners (the search index's references).</summary>
    private static async Task<Dictionary<string, List<JsonNode>>> ReferringAsync(NpgsqlConnection connection, string[] practitionerIds, CancellationToken ct)
    {
        var result = new Dictionary<string, List<JsonNode>>(StringComparer.Ordinal);
        if (practitionerIds.Length == 0) return result;
        await using var command = new NpgsqlCommand("""
            SELECT DISTINCT ON (r.seq) x.target_id, r.body FROM fhir_reference x
            JOIN fhir_resource r ON r.res_type = x.res_type AND r.res_id = x.res_id AND r.superseded_seq IS NULL AND NOT r.deleted
            WHERE x.target_id = ANY($1) AND x.param = 'practitioner' AND x.res_type IN ('PractitionerRole', 'Basic')
              AND x.target_type = 'Practitioner'
            ORDER BY r.seq
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = practitionerIds });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (JsonNode.Parse(reader.GetString(1)) is not { } node) continue;
            var id = reader.GetString(0);
            (result.TryGetValue(id, out var list) ? list : result[id] = []).Add(node);
        }
        return result;
    }

    private static async Task<Dictionary<string, string>> LocationNamesAsync(NpgsqlConnection connection, string[] ids, CancellationToken ct)
    {
        if (ids.Length == 0) return [];
        await using var command = new NpgsqlCommand("""
            SELECT body FROM fhir_resource WHERE res_type = 'Location' AND res_id = ANY($1) AND superseded_seq IS NULL AND NOT deleted
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        return (await ReadBodiesAsync(command, ct)).ToDictionary(Id, l => Str(l["name"]) ?? Id(l), StringComparer.Ordinal);
    }

    private static async Task<List<JsonNode>> ReadBodiesAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var bodies = new List<JsonNode>();
        while (await reader.ReadAsync(ct))
        {
            if (JsonNode.Parse(reader.GetString(0)) is { } node) bodies.Add(node);
        }
        return bodies;
    }

    private sealed record Salary(string? Basic, string? Allowance, string? Benefits, string? Frequency, string? From, string? To, string? Current)
    {
        public string Summary => $"{Basic}{(Frequency is null ? "" : " " + Frequency)}{(Allowance is { Length: > 0 } ? $" + allowance {Allowance}" : "")}";
    }

    /// <summary>
    /// Each ihris-salary extension of a salary record: bsalary, allowance and benefits are strings in iHRIS; dates from
    /// <c>period</c>, or <c>startDate</c>/<c>endDate</c> in older data.
    /// </summary>
    private static IEnumerable<Salary> Salaries(JsonNode basic) =>
        (basic["extension"] as JsonArray ?? []).Where(e => Str(e?["url"]) == Ihris + "ihris-salary").Select(e =>
        {
            string? Part(string name)
            {
                var part = (e!["extension"] as JsonArray ?? []).FirstOrDefault(x => Str(x?["url"]) == name);
                return part is null ? null : Str(part["valueString"]) ?? Str(part["valueDate"]) ?? Str(part["valueBoolean"])
                    ?? Display(part["valueCoding"]) ?? (part["valueMoney"] is { } money ? $"{Str(money["value"])} {Str(money["currency"])}" : null);
            }
            var period = (e!["extension"] as JsonArray ?? []).FirstOrDefault(x => Str(x?["url"]) == "period")?["valuePeriod"];
            return new Salary(Part("bsalary"), Part("allowance"), Part("benefits"), Part("frequency"),
                Str(period?["start"]) ?? Part("startDate"), Str(period?["end"]) ?? Part("endDate"), Part("current"));
        });

    private static string Id(JsonNode resource) => Str(resource["id"]) ?? "";

    private static string? Str(JsonNode? node) => node is JsonValue value ? value.ToString() : null;

    private static string? Display(JsonNode? coding) => coding is null ? null : Str(coding["display"]) ?? Str(coding["code"]);

    private static JsonNode? Extension(JsonNode resource, string url) =>
        (resource["extension"] as JsonArray ?? []).FirstOrDefault(e => Str(e?["url"]) == url);

    private static string? ReferenceId(JsonNode? reference, string type) =>
        Str(reference?["reference"]) is { } text && text.StartsWith(type + "/", StringComparison.Ordinal) ? text[(type.Length + 1)..] : null;

    private static IEnumerable<string> LocationIds(JsonNode role) =>
        (role["location"] as JsonArray ?? []).Select(l => ReferenceId(l, "Location")).OfType<string>();

    private static string Job(JsonNode role) =>
        string.Join(", ", (role["code"] as JsonArray ?? [])
            .Select(c => Str(c?["coding"]?[0]?["display"]) ?? Str(c?["text"]) ?? Str(c?["coding"]?[0]?["code"])).OfType<string>());

    private static bool Ended(JsonNode role) =>
        Str(role["period"]?["end"]) is { } end && DateTimeOffset.TryParse(end, out var at) && at < DateTimeOffset.UtcNow;

    private static string Name(JsonNode practitioner)
    {
        var name = (practitioner["name"] as JsonArray)?.FirstOrDefault();
        if (name is null) return "";
        if (Str(name["text"]) is { Length: > 0 } text) return text;
        var given = string.Join(" ", (name["given"] as JsonArray ?? []).Select(Str).OfType<string>());
        return $"{given} {Str(name["family"])}".Trim();
    }

    private static string? EmployeeNumber(JsonNode practitioner) =>
        (practitioner["identifier"] as JsonArray ?? []).Select(i => Str(i?["value"])).FirstOrDefault(v => v is not null);
}
