using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Npgsql;

namespace OneClickSuite.Emulators.Fineract;

/// <summary>Offices, payment types, codes and users: the reference data of a tenant.</summary>
public static class Reference
{
    private static readonly HashSet<string> PaymentTypeParameters = ["name", "description", "isCashPayment", "position", "codeName", "isSystemDefined"];
    private static readonly HashSet<string> CodeValueParameters = ["name", "description", "position", "isActive", "isMandatory"];

    /// <summary>UserDataValidator.validateForUpdate's supported parameters.</summary>
    private static readonly HashSet<string> UserParameters =
    [
        "username", "firstname", "lastname", "password", "repeatPassword", "email", "officeId", "notSelectedRoles", "roles",
        "sendPasswordToEmail", "staffId", "passwordNeverExpires", "isSelfServiceUser", "clients",
    ];

    /// <summary>The active password policy of a fresh tenant (m_password_validation_policy, id 1).</summary>
    private const string PasswordRegex = "^.{1,50}$";
    private const string PasswordPolicy = "Password most be at least 1 character and not more that 50 characters long";

    // Payment types are never deleted through this API, so a known id stays known (per database: tests run several).
    private static readonly ConcurrentDictionary<(string Database, long Id), bool> KnownPaymentTypes = new();

    public static IEnumerable<Route> Routes() =>
    [
        new("GET", "offices", ListOfficesAsync),
        new("GET", "offices/{id}", GetOfficeAsync),
        new("GET", "paymenttypes", ListPaymentTypesAsync),
        new("GET", "paymenttypes/{id}", GetPaymentTypeAsync),
        new("POST", "paymenttypes", CreatePaymentTypeAsync, "CREATE", "PAYMENTTYPE"),
        new("GET", "codes", ListCodesAsync),
        new("GET", "codes/{id}/codevalues", ListCodeValuesAsync),
        new("POST", "codes/{id}/codevalues", CreateCodeValueAsync, "CREATE", "CODEVALUE"),
        new("GET", "users/{id}", GetUserAsync),
        new("PUT", "users/{id}", UpdateUserAsync, "UPDATE", "USER"),
    ];

    public sealed record Office(long Id, string Name, DateOnly OpeningDate);

    public static async Task<Office> FindOfficeAsync(CommandContext ctx, long id)
    {
        await using var command = ctx.Sql("SELECT id, name, opening_date FROM m_office WHERE id = $1", id);
        await using var r = await command.ExecuteReaderAsync();
        if (await r.ReadAsync()) return new Office(r.GetInt64(0), r.GetString(1), r.GetFieldValue<DateOnly>(2));
        throw FineractException.NotFound("error.msg.office.id.invalid", $"Office with identifier {id} does not exist", id);
    }

    private static JsonObject OfficeJson(NpgsqlDataReader r) => Json.Object(
        ("id", r.GetInt64(0)), ("name", r.GetString(1)), ("nameDecorated", r.GetString(1)),
        ("externalId", r.IsDBNull(2) ? null : r.GetString(2)), ("openingDate", Json.Date(r.GetFieldValue<DateOnly>(3))),
        ("hierarchy", r.GetString(4)));

    private const string OfficeSelect = "SELECT id, name, external_id, opening_date, hierarchy FROM m_office";

    private static async Task<string> ListOfficesAsync(CommandContext ctx)
    {
        var items = new JsonArray();
        await using var command = ctx.Sql(OfficeSelect + " ORDER BY id");
        await using var r = await command.ExecuteReaderAsync();
        while (await r.ReadAsync()) items.Add(OfficeJson(r));
        return Json.Serialize(items);
    }

    private static async Task<string> GetOfficeAsync(CommandContext ctx)
    {
        var id = ctx.Id();
        await using var command = ctx.Sql(OfficeSelect + " WHERE id = $1", id);
        await using var r = await command.ExecuteReaderAsync();
        if (!await r.ReadAsync())
            throw FineractException.NotFound("error.msg.office.id.invalid", $"Office with identifier {id} does not exist", id);
        return Json.Serialize(OfficeJson(r));
    }

    public static async Task FindPaymentTypeAsync(CommandContext ctx, long id)
    {
        if (KnownPaymentTypes.ContainsKey((ctx.Database, id))) return;
        await using var command = ctx.Sql("SELECT 1 FROM m_payment_type WHERE id = $1", id);
        if (await command.ExecuteScalarAsync() is null)
            throw FineractException.NotFound("error.msg.payment.type.invalid", $"PaymentType with {id} does not exist", id);
        KnownPaymentTypes[(ctx.Database, id)] = true;
    }

    private const string PaymentTypeSelect = "SELECT id, value, description, is_cash_payment, order_position, code_name, is_system_defined FROM m_payment_type";

    private static JsonObject PaymentTypeJson(NpgsqlDataReader r) => Json.Object(
        ("id", r.GetInt64(0)), ("name", r.GetString(1)), ("description", r.IsDBNull(2) ? null : r.GetString(2)),
        ("isCashPayment", r.GetBoolean(3)), ("position", r.GetInt32(4)), ("codeName", r.IsDBNull(5) ? null : r.GetString(5)),
        ("isSystemDefined", r.GetBoolean(6)));

    private static async Task<string> ListPaymentTypesAsync(CommandContext ctx)
    {
        var items = new JsonArray();
        await using var command = ctx.Sql(PaymentTypeSelect + " ORDER BY order_position, id");
        await using var r = await command.ExecuteReaderAsync();
        while (await r.ReadAsync()) items.Add(PaymentTypeJson(r));
        return Json.Serialize(items);
    }

    private static async Task<string> GetPaymentTypeAsync(CommandContext ctx)
    {
        var id = ctx.Id();
        await using var command = ctx.Sql(PaymentTypeSelect + " WHERE id = $1", id);
        await using var r = await command.ExecuteReaderAsync();
        if (!await r.ReadAsync())
            throw FineractException.NotFound("error.msg.payment.type.invalid", $"PaymentType with {id} does not exist", id);
        return Json.Serialize(PaymentTypeJson(r));
    }

    private static async Task<string> CreatePaymentTypeAsync(CommandContext ctx)
    {
        const string resource = "paymenttype";
        var body = ctx.Body;
        body.RequireOnly(PaymentTypeParameters);
        var errors = new List<ParameterError>();
        var name = body.String("name");
        if (string.IsNullOrWhiteSpace(name)) errors.Add(ParameterError.Mandatory(resource, "name"));
        else if (name.Length > 100) errors.Add(ParameterError.ExceedsLength(resource, "name", 100, name));
        var position = body.Integer("position");
        if (errors.Count > 0) throw FineractException.Validation(errors);
        try
        {
            await using var insert = ctx.Sql("""
                INSERT INTO m_payment_type (value, description, is_cash_payment, order_position, code_name, is_system_defined)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """, name!.Trim(), body.String("description"), body.Boolean("isCashPayment") ?? false, position ?? 0,
                body.String("codeName"), body.Boolean("isSystemDefined") ?? false);
            var id = (long)(await insert.ExecuteScalarAsync())!;
            return Json.Serialize(Json.Object(("resourceId", id)));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw FineractException.DataIntegrity("error.msg.paymenttype.duplicate.name",
                $"Payment type with name `{name}` already exists", "name", name);
        }
    }

    public static async Task FindCodeValueAsync(CommandContext ctx, string codeName, long id)
    {
        await using var command = ctx.Sql("""
            SELECT 1 FROM m_code_value v JOIN m_code c ON c.id = v.code_id WHERE c.code_name = $1 AND v.id = $2
            """, codeName, id);
        if (await command.ExecuteScalarAsync() is null)
            throw FineractException.NotFound("error.msg.codevalue.id.invalid", $"Code value with identifier {id} does not exist", id);
    }

    private static async Task<string> ListCodesAsync(CommandContext ctx)
    {
        var items = new JsonArray();
        await using var command = ctx.Sql("SELECT id, code_name, is_system_defined FROM m_code ORDER BY id");
        await using var r = await command.ExecuteReaderAsync();
        while (await r.ReadAsync())
            items.Add(new JsonObject { ["id"] = r.GetInt64(0), ["name"] = r.GetString(1), ["systemDefined"] = r.GetBoolean(2) });
        return Json.Serialize(items);
    }

    private static async Task FindCodeAsync(CommandContext ctx, long id)
    {
        await using var command = ctx.Sql("SELECT 1 FROM m_code WHERE id = $1", id);
        if (await command.ExecuteScalarAsync() is null)
            throw FineractException.NotFound("error.msg.code.id.invalid", $"Code with identifier {id} does not exist", id);
    }

    private static async Task<string> ListCodeValuesAsync(CommandContext ctx)
    {
        await FindCodeAsync(ctx, ctx.Id());
        var items = new JsonArray();
        await using var command = ctx.Sql(
            "SELECT id, code_value, code_description, order_position, is_active FROM m_code_value WHERE code_id = $1 ORDER BY order_position, id",
            ctx.Id());
        await using var r = await command.ExecuteReaderAsync();
        while (await r.ReadAsync())
            items.Add(Json.Object(("id", r.GetInt64(0)), ("name", r.GetString(1)), ("position", r.GetInt32(3)),
                ("description", r.IsDBNull(2) ? null : r.GetString(2)), ("active", r.GetBoolean(4)), ("mandatory", false)));
        return Json.Serialize(items);
    }

    private static async Task<string> CreateCodeValueAsync(CommandContext ctx)
    {
        var body = ctx.Body;
        body.RequireOnly(CodeValueParameters);
        var name = body.String("name");
        if (string.IsNullOrWhiteSpace(name)) throw FineractException.Validation(ParameterError.Mandatory("code.value", "name"));
        var codeId = ctx.Id();
        await FindCodeAsync(ctx, codeId);
        try
        {
            await using var insert = ctx.Sql("""
                INSERT INTO m_code_value (code_id, code_value, code_description, order_position, is_active)
                VALUES ($1, $2, $3, $4, $5) RETURNING id
                """, codeId, name.Trim(), body.String("description"), body.Integer("position") ?? 0, body.Boolean("isActive") ?? true);
            var id = (long)(await insert.ExecuteScalarAsync())!;
            return Json.Serialize(Json.Object(("resourceId", codeId), ("subResourceId", id)));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw FineractException.DataIntegrity("error.msg.code.value.duplicate.label",
                $"A code value with lable `{name}` already exists", "name", name);
        }
    }

    private static async Task<string> GetUserAsync(CommandContext ctx)
    {
        var id = ctx.Id();
        await using var command = ctx.Sql("""
            SELECT u.id, u.username, u.office_id, o.name, u.firstname, u.lastname, u.email, u.password_never_expires
            FROM m_appuser u JOIN m_office o ON o.id = u.office_id WHERE u.id = $1
            """, id);
        await using var r = await command.ExecuteReaderAsync();
        if (!await r.ReadAsync())
            throw FineractException.NotFound("error.msg.user.id.invalid", $"User with identifier {id} does not exist", id);
        return Json.Serialize(Json.Object(
            ("id", r.GetInt64(0)), ("username", r.GetString(1)), ("officeId", r.GetInt64(2)), ("officeName", r.GetString(3)),
            ("firstname", r.GetString(4)), ("lastname", r.GetString(5)), ("email", r.IsDBNull(6) ? null : r.GetString(6)),
            ("passwordNeverExpires", r.GetBoolean(7)), ("availableRoles", new JsonArray()),
            ("selectedRoles", new JsonArray(new JsonObject
            {
                ["id"] = 1, ["name"] = "Super user",
                ["description"] = "This role provides all application permissions.", ["disabled"] = false,
            })),
            ("isSelfServiceUser", false)));
    }

    /// <summary>Only the password (and names) can be changed here: enough for the suite's bootstrap.</summary>
    private static async Task<string> UpdateUserAsync(CommandContext ctx)
    {
        var body = ctx.Body;
        body.RequireOnly(UserParameters);
        var errors = new List<ParameterError>();
        foreach (var name in new[] { "firstname", "lastname" })
        {
            if (!body.Has(name)) continue;
            var value = body.String(name);
            if (string.IsNullOrWhiteSpace(value)) errors.Add(ParameterError.Mandatory("user", name));
            else if (value.Trim().Length > 100) errors.Add(ParameterError.ExceedsLength("user", name, 100, value));
        }
        string? password = null;
        if (body.Has("password"))
        {
            password = body.String("password");
            var repeat = body.String("repeatPassword");
            if (password is not null && !System.Text.RegularExpressions.Regex.IsMatch(password, PasswordRegex))
                errors.Add(new ParameterError("validation.msg.user.password.does.not.match.regexp", PasswordPolicy, "password",
                    [password, PasswordRegex]));
            if (!string.IsNullOrWhiteSpace(password) && password != repeat)
                errors.Add(new ParameterError("validation.msg.user.repeatPassword.not.equal.to.password",
                    "The parameter `repeatPassword` is not equal to password.", "repeatPassword", [repeat, password]));
        }
        if (errors.Count > 0) throw FineractException.Validation(errors);

        var id = ctx.Id();
        string username, currentHash;
        long officeId;
        await using (var select = ctx.Sql("SELECT username, password_hash, office_id FROM m_appuser WHERE id = $1 FOR UPDATE", id))
        await using (var r = await select.ExecuteReaderAsync())
        {
            if (!await r.ReadAsync())
                throw FineractException.NotFound("error.msg.user.id.invalid", $"User with identifier {id} does not exist", id);
            (username, currentHash, officeId) = (r.GetString(0), r.GetString(1), r.GetInt64(2));
        }

        var changes = new JsonObject();
        foreach (var name in new[] { "firstname", "lastname" })
        {
            if (!body.Has(name)) continue;
            await using var update = ctx.Sql($"UPDATE m_appuser SET {name} = $2 WHERE id = $1", id, body.String(name)!.Trim());
            await update.ExecuteNonQueryAsync();
            changes[name] = body.String(name)!.Trim();
        }
        if (!string.IsNullOrEmpty(password))
        {
            if (PasswordHash.Verify(password, currentHash))
                throw FineractException.DomainRule("error.msg.password.already.used",
                    "The submitted password has already been used in the past");
            var hash = PasswordHash.Create(password);
            await using var update = ctx.Sql(
                "UPDATE m_appuser SET password_hash = $2, last_time_password_updated = current_date WHERE id = $1", id, hash);
            await update.ExecuteNonQueryAsync();
            changes["passwordEncoded"] = hash;
            BasicAuthentication.Forget(username);
        }
        return Json.Serialize(Json.Object(("officeId", officeId), ("resourceId", id), ("changes", changes)));
    }
}
