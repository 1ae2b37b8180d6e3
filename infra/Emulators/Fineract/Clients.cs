using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;

namespace OneClickSuite.Emulators.Fineract;

/// <summary>Clients (ClientsApiResource, ClientDataValidator, ClientWritePlatformServiceJpaRepositoryImpl).</summary>
public static class Clients
{
    private const string Resource = "client";

    public const int Pending = 100, Active = 300, Closed = 600;

    private static readonly HashSet<string> CreateParameters =
    [
        "address", "familyMembers", "locale", "dateFormat", "groupId", "accountNo", "externalId", "mobileNo", "firstname",
        "middlename", "lastname", "fullname", "officeId", "active", "activationDate", "staffId", "submittedOnDate",
        "savingsProductId", "dateOfBirth", "genderId", "clientTypeId", "clientClassificationId", "clientNonPersonDetails",
        "legalFormId", "datatables", "isStaff", "emailAddress",
    ];

    private static readonly HashSet<string> UpdateParameters =
    [
        "locale", "dateFormat", "accountNo", "externalId", "mobileNo", "firstname", "middlename", "lastname", "fullname",
        "officeId", "activationDate", "staffId", "submittedOnDate", "savingsProductId", "dateOfBirth", "genderId",
        "clientTypeId", "clientClassificationId", "clientNonPersonDetails", "legalFormId", "isStaff", "emailAddress",
    ];

    private static readonly HashSet<string> ActivateParameters = ["locale", "dateFormat", "activationDate"];
    private static readonly HashSet<string> CloseParameters = ["locale", "dateFormat", "closureDate", "closureReasonId"];

    public static IEnumerable<Route> Routes() =>
    [
        new("POST", "clients", CreateAsync, "CREATE", "CLIENT", InBatch: true),
        new("GET", "clients", ListAsync),
        new("GET", "clients/{id}", GetAsync),
        new("GET", "clients/external-id/{text}", GetByExternalIdAsync),
        new("GET", "clients/{id}/accounts", Savings.ClientAccountsAsync),
        new("PUT", "clients/{id}", UpdateAsync, "UPDATE", "CLIENT", InBatch: true),
        new("POST", "clients/{id}", ActivateAsync, "ACTIVATE", "CLIENT", Command: "activate", InBatch: true),
        new("POST", "clients/{id}", CloseAsync, "CLOSE", "CLIENT", Command: "close"),
    ];

    private static async Task<string> CreateAsync(CommandContext ctx)
    {
        var body = ctx.Body;
        body.RequireOnly(CreateParameters);
        var errors = new List<ParameterError>();

        var officeId = body.Long("officeId");
        if (officeId is null) errors.Add(ParameterError.Mandatory(Resource, "officeId"));
        else if (officeId <= 0) errors.Add(ParameterError.NotGreaterThanZero(Resource, "officeId", officeId));

        var names = ValidateNames(body, errors);

        var legalFormId = body.Integer("legalFormId");
        if (legalFormId is null) errors.Add(ParameterError.Mandatory(Resource, "legalFormId"));
        else if (legalFormId is < 1 or > 2) errors.Add(ParameterError.NotInRange(Resource, "legalFormId", legalFormId, 1, 2));

        var externalId = body.String("externalId");
        if (externalId is { Length: > 100 }) errors.Add(ParameterError.ExceedsLength(Resource, "externalId", 100, externalId));
        var mobileNo = body.String("mobileNo");
        if (mobileNo is { Length: > 50 }) errors.Add(ParameterError.ExceedsLength(Resource, "mobileNo", 50, mobileNo));

        var active = body.Boolean("active") ?? false;
        DateOnly? activationDate = null;
        if (active)
        {
            activationDate = body.Date("activationDate");
            if (activationDate is null) errors.Add(ParameterError.Mandatory(Resource, "activationDate"));
        }
        var submittedOnDate = body.Date("submittedOnDate");
        body.Date("dateOfBirth");

        var savingsProductId = body.Has("savingsProductId") ? body.Long("savingsProductId") : null;
        if (savingsProductId is <= 0) errors.Add(ParameterError.NotGreaterThanZero(Resource, "savingsProductId", savingsProductId));
        if (errors.Count > 0) throw FineractException.Validation(errors);

        var office = await Reference.FindOfficeAsync(ctx, officeId!.Value);
        if (activationDate is { } activation)
        {
            if (activation > ctx.Today)
                throw ClientDateError("activationDate.in.the.future", "Activation date cannot be in the future.", "activationDate", activation);
            if (activation < office.OpeningDate)
                throw ClientDateError("activationDate.cannot.be.before.office.activation.date",
                    "Client activation date cannot be a date before the office opening date.", "activationDate", activation);
        }
        if (submittedOnDate is { } submitted)
        {
            if (submitted > ctx.Today)
                throw ClientDateError("submittedOnDate.in.the.future", "submitted date cannot be in the future.", "submittedOnDate", submitted);
            if (activationDate is { } a && submitted > a)
                throw ClientDateError("submittedOnDate.after.activation.date",
                    "submitted date cannot be after the activation date", "submittedOnDate", submitted);
        }
        var submittedOn = submittedOnDate ?? (activationDate is { } act && act < ctx.Today ? act : ctx.Today);

        SavingsProduct? product = savingsProductId is { } pid ? await Savings.FindProductAsync(ctx, pid) : null;

        long clientId;
        try
        {
            await using var insert = ctx.Sql("""
                INSERT INTO m_client (external_id, status_enum, office_id, legal_form_enum, firstname, middlename, lastname,
                    fullname, display_name, mobile_no, submittedon_date, activation_date, default_savings_product)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id
                """, NullIfBlank(externalId), active ? Active : Pending, officeId, legalFormId, names.First, names.Middle,
                names.Last, names.Full, names.Display, NullIfBlank(mobileNo), submittedOn, activationDate, savingsProductId);
            clientId = (long)(await insert.ExecuteScalarAsync())!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw DuplicateError(ex, externalId, mobileNo);
        }

        long? savingsId = null;
        if (active && product is not null)
            savingsId = await Savings.OpenActiveAccountAsync(ctx, clientId, product, activationDate!.Value);

        return Json.Serialize(Json.Object(
            ("officeId", officeId),
            ("clientId", clientId),
            ("savingsId", savingsId),
            ("resourceId", clientId),
            ("resourceExternalId", NullIfBlank(externalId))));
    }

    private static async Task<string> UpdateAsync(CommandContext ctx)
    {
        var body = ctx.Body;
        body.RequireOnly(UpdateParameters);
        var errors = new List<ParameterError>();
        foreach (var name in new[] { "firstname", "middlename", "lastname" })
        {
            if (!body.Has(name)) continue;
            var value = body.String(name);
            if (name != "middlename" && string.IsNullOrWhiteSpace(value)) errors.Add(ParameterError.Mandatory(Resource, name));
            else if (value is { Length: > 50 }) errors.Add(ParameterError.ExceedsLength(Resource, name, 50, value));
        }
        var externalId = body.String("externalId");
        if (externalId is { Length: > 100 }) errors.Add(ParameterError.ExceedsLength(Resource, "externalId", 100, externalId));
        var mobileNo = body.String("mobileNo");
        if (mobileNo is { Length: > 50 }) errors.Add(ParameterError.ExceedsLength(Resource, "mobileNo", 50, mobileNo));
        body.Date("activationDate");
        body.Date("submittedOnDate");
        body.Date("dateOfBirth");
        if (errors.Count > 0) throw FineractException.Validation(errors);

        var client = await FindForCommandAsync(ctx, ctx.Id(), forUpdate: true);
        var changes = new JsonObject();
        string? Changed(string name, string? current)
        {
            if (!body.Has(name)) return current;
            var value = NullIfBlank(body.String(name));
            if (value == current) return current;
            changes[name] = value;
            return value;
        }
        var firstname = Changed("firstname", client.Firstname);
        var middlename = Changed("middlename", client.Middlename);
        var lastname = Changed("lastname", client.Lastname);
        var fullname = Changed("fullname", client.Fullname);
        var newMobile = Changed("mobileNo", client.MobileNo);
        var newExternal = Changed("externalId", client.ExternalId);
        var display = DisplayName(firstname, middlename, lastname, fullname);
        if (changes.Count > 0)
        {
            try
            {
                await using var update = ctx.Sql("""
                    UPDATE m_client SET firstname = $2, middlename = $3, lastname = $4, fullname = $5, display_name = $6,
                        mobile_no = $7, external_id = $8 WHERE id = $1
                    """, client.Id, firstname, middlename, lastname, fullname, display, newMobile, newExternal);
                await update.ExecuteNonQueryAsync();
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw DuplicateError(ex, newExternal, newMobile);
            }
        }
        return Json.Serialize(Json.Object(
            ("officeId", client.OfficeId),
            ("clientId", client.Id),
            ("resourceId", client.Id),
            ("changes", changes),
            ("resourceExternalId", newExternal)));
    }

    private static async Task<string> ActivateAsync(CommandContext ctx)
    {
        var body = ctx.Body;
        body.RequireOnly(ActivateParameters);
        var activationDate = body.Date("activationDate");
        if (activationDate is null) throw FineractException.Validation(ParameterError.Mandatory(Resource, "activationDate"));
        var client = await FindForCommandAsync(ctx, ctx.Id(), forUpdate: true);
        if (client.Status == Active)
            throw FineractException.DomainRule("error.msg.clients.already.active",
                $"Cannot activate client. Client with identifier {client.Id} is already active.", client.Id);
        if (activationDate > ctx.Today)
            throw ClientDateError("activationDate.in.the.future", "Activation date cannot be in the future.", "activationDate", activationDate.Value);
        await using var update = ctx.Sql(
            "UPDATE m_client SET status_enum = $2, activation_date = $3, submittedon_date = LEAST(submittedon_date, $3) WHERE id = $1",
            client.Id, Active, activationDate);
        await update.ExecuteNonQueryAsync();
        return Json.Serialize(Json.Object(("officeId", client.OfficeId), ("clientId", client.Id), ("resourceId", client.Id)));
    }

    private static async Task<string> CloseAsync(CommandContext ctx)
    {
        var body = ctx.Body;
        body.RequireOnly(CloseParameters);
        var errors = new List<ParameterError>();
        var closureDate = body.Date("closureDate");
        if (closureDate is null) errors.Add(ParameterError.Mandatory(Resource, "closureDate"));
        var reasonId = body.Long("closureReasonId");
        if (reasonId is null) errors.Add(ParameterError.Mandatory(Resource, "closureReasonId"));
        else if (reasonId <= 0) errors.Add(ParameterError.NotGreaterThanZero(Resource, "closureReasonId", reasonId));
        if (errors.Count > 0) throw FineractException.Validation(errors);

        var client = await FindForCommandAsync(ctx, ctx.Id(), forUpdate: true);
        await Reference.FindCodeValueAsync(ctx, "ClientClosureReason", reasonId!.Value);
        if (client.Status == Closed)
            throw FineractException.DomainRule("error.msg.client.close.is.already.closed", "Client is already closed.");
        if (client.Status != Pending && client.ActivationDate is { } activated && activated > closureDate)
            throw FineractException.DomainRule("error.msg.client.close.date.cannot.before.client.actvation.date",
                "The client closureDate cannot be before the client ActivationDate.", closureDate, activated);
        await using (var open = ctx.Sql("SELECT count(*) FROM m_savings_account WHERE client_id = $1 AND status_enum IN (100, 200, 300)", client.Id))
        {
            if ((long)(await open.ExecuteScalarAsync())! > 0)
                throw FineractException.DomainRule("error.msg.client.close.non-closed.savings.account",
                    "Client cannot be closed because of non-closed savings account.");
        }
        await using var update = ctx.Sql(
            "UPDATE m_client SET status_enum = $2, closedon_date = $3, closure_reason_cv_id = $4 WHERE id = $1",
            client.Id, Closed, closureDate, reasonId);
        await update.ExecuteNonQueryAsync();
        return Json.Serialize(Json.Object(("clientId", client.Id), ("resourceId", client.Id)));
    }

    private static async Task<string> GetAsync(CommandContext ctx)
    {
        var id = ctx.Id();
        var client = await FindAsync(ctx, "c.id = $1", id)
            ?? throw FineractException.NotFound("error.msg.client.not.found.with.client.id",
                $"Client not found with valuer {id}.", id.ToString(CultureInfo.InvariantCulture));
        return Json.Serialize(ToJson(client, listItem: false));
    }

    private static async Task<string> GetByExternalIdAsync(CommandContext ctx)
    {
        var client = await FindAsync(ctx, "c.external_id = $1", ctx.RouteValue(0))
            ?? throw FineractException.NotFound("error.msg.client.id.invalid", "Client with identifier null does not exist", [null]);
        return Json.Serialize(ToJson(client, listItem: false));
    }

    private static async Task<string> ListAsync(CommandContext ctx)
    {
        var externalId = ctx.Query("externalId");
        var items = new JsonArray();
        await using var command = externalId is null
            ? ctx.Sql(ClientSelect + " ORDER BY c.id")
            : ctx.Sql(ClientSelect + " WHERE c.external_id = $1 ORDER BY c.id", externalId);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) items.Add(ToJson(ReadClient(reader), listItem: true));
        }
        return Json.Serialize(new JsonObject { ["totalFilteredRecords"] = items.Count, ["pageItems"] = items });
    }

    public sealed record Client(long Id, string? ExternalId, int Status, long OfficeId, string OfficeName, int LegalForm,
        string? Firstname, string? Middlename, string? Lastname, string? Fullname, string DisplayName, string? MobileNo,
        DateOnly SubmittedOn, DateOnly? ActivationDate, DateOnly? ClosedOn);

    private const string ClientSelect = """
        SELECT c.id, c.external_id, c.status_enum, c.office_id, o.name, c.legal_form_enum, c.firstname, c.middlename,
               c.lastname, c.fullname, c.display_name, c.mobile_no, c.submittedon_date, c.activation_date, c.closedon_date
        FROM m_client c JOIN m_office o ON o.id = c.office_id
        """;

    private static Client ReadClient(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt32(2), r.GetInt64(3), r.GetString(4), r.GetInt32(5),
        r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8),
        r.IsDBNull(9) ? null : r.GetString(9), r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11),
        r.GetFieldValue<DateOnly>(12), r.IsDBNull(13) ? null : r.GetFieldValue<DateOnly>(13),
        r.IsDBNull(14) ? null : r.GetFieldValue<DateOnly>(14));

    private static async Task<Client?> FindAsync(CommandContext ctx, string condition, object value, bool forUpdate = false)
    {
        await using var command = ctx.Sql($"{ClientSelect} WHERE {condition}{(forUpdate ? " FOR UPDATE OF c" : "")}", value);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? ReadClient(reader) : null;
    }

    /// <summary>findOneWithNotFoundDetection: the not-found variant used by commands and transfers.</summary>
    public static async Task<Client> FindForCommandAsync(CommandContext ctx, long id, bool forUpdate = false) =>
        await FindAsync(ctx, "c.id = $1", id, forUpdate)
        ?? throw FineractException.NotFound("error.msg.client.id.invalid", $"Client with identifier {id} does not exist", id);

    private static JsonObject ToJson(Client c, bool listItem)
    {
        var timeline = Json.Object(
            ("submittedOnDate", Json.Date(c.SubmittedOn)),
            ("submittedByUsername", listItem ? "mifos" : null),
            ("submittedByFirstname", listItem ? "App" : null),
            ("submittedByLastname", listItem ? "Administrator" : null),
            ("activatedOnDate", Json.Date(c.ActivationDate)),
            ("activatedByUsername", c.ActivationDate is null ? null : "mifos"),
            ("activatedByFirstname", c.ActivationDate is null ? null : "App"),
            ("activatedByLastname", c.ActivationDate is null ? null : "Administrator"),
            ("closedOnDate", Json.Date(c.ClosedOn)));
        var result = Json.Object(
            ("id", c.Id),
            ("accountNo", AccountNo(c.Id)),
            ("externalId", c.ExternalId),
            ("status", Status(c.Status)),
            ("subStatus", listItem ? EmptyCode() : null),
            ("active", c.Status == Active),
            ("activationDate", Json.Date(c.ActivationDate)),
            ("firstname", c.Firstname),
            ("middlename", c.Middlename),
            ("lastname", c.Lastname),
            ("fullname", c.Fullname),
            ("displayName", c.DisplayName),
            ("mobileNo", c.MobileNo),
            ("gender", listItem ? EmptyCode() : null),
            ("clientType", listItem ? EmptyCode() : null),
            ("clientClassification", listItem ? EmptyCode() : null),
            ("isStaff", false),
            ("officeId", c.OfficeId),
            ("officeName", c.OfficeName),
            ("timeline", timeline),
            // ClientMapper maps savingsProductName from the client id (upstream quirk, api-shapes.md §3).
            ("savingsProductName", listItem ? null : c.Id.ToString(CultureInfo.InvariantCulture)),
            ("legalForm", LegalForm(c.LegalForm)),
            ("clientNonPersonDetails", listItem
                ? new JsonObject { ["constitution"] = EmptyCode(), ["mainBusinessLine"] = EmptyCode() }
                : null),
            ("clientCollateralManagements", listItem ? null : new JsonArray()),
            ("groups", listItem ? null : new JsonArray()));
        return result;
    }

    private static JsonObject EmptyCode() => new() { ["active"] = false, ["mandatory"] = false };

    public static string AccountNo(long id) => id.ToString("D9", CultureInfo.InvariantCulture);

    public static JsonObject Status(int status) => status switch
    {
        Pending => new JsonObject { ["id"] = 100, ["code"] = "clientStatusType.pending", ["value"] = "Pending" },
        Active => new JsonObject { ["id"] = 300, ["code"] = "clientStatusType.active", ["value"] = "Active" },
        Closed => new JsonObject { ["id"] = 600, ["code"] = "clientStatusType.closed", ["value"] = "Closed" },
        _ => new JsonObject { ["id"] = status, ["code"] = "clientStatusType.invalid", ["value"] = "Invalid" },
    };

    private static JsonObject LegalForm(int legalForm) => legalForm == 2
        ? new JsonObject { ["id"] = 2, ["code"] = "legalFormType.entity", ["value"] = "Entity" }
        : new JsonObject { ["id"] = 1, ["code"] = "legalFormType.person", ["value"] = "Person" };

    private sealed record Names(string? First, string? Middle, string? Last, string? Full, string Display);

    private static Names ValidateNames(JsonCommand body, List<ParameterError> errors)
    {
        var first = NullIfBlank(body.String("firstname"));
        var middle = NullIfBlank(body.String("middlename"));
        var last = NullIfBlank(body.String("lastname"));
        var full = NullIfBlank(body.String("fullname"));
        if (!body.Has("firstname") && !body.Has("lastname") && !body.Has("middlename") && !body.Has("fullname"))
        {
            errors.Add(ParameterError.FailWithCode(Resource, "id", ".no.name.details.passed"));
        }
        else if (full is not null)
        {
            if (first is not null)
                errors.Add(new ParameterError($"validation.msg.{Resource}.fullname.cannot.also.be.provided.when.firstname.is.populated",
                    "The parameter `fullname` cannot also be provided when `firstname` is populated.", "fullname", [full]));
            else if (full.Length > 160) errors.Add(ParameterError.ExceedsLength(Resource, "fullname", 160, full));
        }
        else
        {
            if (first is null) errors.Add(ParameterError.Mandatory(Resource, "firstname"));
            else if (first.Length > 50) errors.Add(ParameterError.ExceedsLength(Resource, "firstname", 50, first));
            if (middle is { Length: > 50 }) errors.Add(ParameterError.ExceedsLength(Resource, "middlename", 50, middle));
            if (last is null) errors.Add(ParameterError.Mandatory(Resource, "lastname"));
            else if (last.Length > 50) errors.Add(ParameterError.ExceedsLength(Resource, "lastname", 50, last));
        }
        return new Names(first, middle, last, full, DisplayName(first, middle, last, full));
    }

    private static string DisplayName(string? first, string? middle, string? last, string? full) =>
        full ?? string.Join(' ', new[] { first, middle, last }.Where(n => !string.IsNullOrWhiteSpace(n)));

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static FineractException ClientDateError(string code, string message, string parameter, DateOnly date) =>
        FineractException.Validation(new ParameterError($"error.msg.clients.{code}", message, parameter, [date]));

    /// <summary>handleDataIntegrityIssues: the constraint name decides which duplicate is reported.</summary>
    private static FineractException DuplicateError(PostgresException ex, string? externalId, string? mobileNo)
    {
        var constraint = ex.ConstraintName ?? "";
        if (constraint.Contains("external_id", StringComparison.Ordinal))
            return FineractException.DataIntegrity("error.msg.client.duplicate.externalId",
                $"Client with externalId `{externalId}` already exists", "externalId", externalId);
        if (constraint.Contains("mobile_no", StringComparison.Ordinal))
            return FineractException.DataIntegrity("error.msg.client.duplicate.mobileNo",
                $"Client with mobileNo `{mobileNo}` already exists", "mobileNo", mobileNo);
        return FineractException.DataIntegrity("error.msg.client.unknown.data.integrity.issue",
            "Unknown data integrity issue with resource.", "id");
    }
}
