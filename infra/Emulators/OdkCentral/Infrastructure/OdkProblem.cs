using System.Text.Json.Nodes;

namespace OneClickSuite.Emulators.OdkCentral.Infrastructure;

/// <summary>
/// An error as ODK Central reports it: <c>{message, code, details}</c>, where the HTTP status is the integer part
/// of the code. Codes and messages follow central-backend lib/util/problem.js.
/// </summary>
public sealed class OdkProblem(double code, string message, JsonObject? details = null) : Exception(message)
{
    public double Code { get; } = code;
    public JsonObject? Details { get; } = details;
    public int HttpStatus => (int)Math.Floor(Code);

    /// <summary>A failure that is not one of Central's Problems: only a message, no code (lib/http/endpoint.js defaultErrorWriter).</summary>
    public bool Bare { get; init; }

    public JsonObject ToJson()
    {
        if (Bare) return new JsonObject { ["message"] = Message };
        var body = new JsonObject { ["message"] = Message, ["code"] = Code };
        if (Details is not null) body["details"] = Details.DeepClone();
        return body;
    }
}

public static class Problems
{
    public static OdkProblem Unparseable(string format, int rawLength) =>
        new(400.1, $"Could not parse the given data ({rawLength} chars) as {format}.",
            new JsonObject { ["format"] = format, ["rawLength"] = rawLength });

    public static OdkProblem MissingParameter(string field) =>
        new(400.2, $"Required parameter {field} missing.", new JsonObject { ["field"] = field });

    public static OdkProblem MissingParameters(string[] expected, IReadOnlyDictionary<string, string?> got) =>
        new(400.3, $"Required parameters missing. Expected ({string.Join(", ", expected)}), got ({string.Join(", ", got.Select(p => $"{p.Key}: {p.Value ?? "undefined"}"))}).",
            new JsonObject
            {
                ["expected"] = new JsonArray(expected.Select(e => (JsonNode?)e).ToArray()),
                ["got"] = new JsonObject(got.Where(p => p.Value is not null).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            });

    public static OdkProblem InvalidHeader(string field, string? value) =>
        new(400.6, $"An expected header field ({field}) did not match the expected format (got: {value ?? "[nothing]"}).",
            new JsonObject { ["field"] = field, ["value"] = value });

    public static OdkProblem MissingMultipartField(string field) =>
        new(400.7, $"Required multipart POST field {field} missing.", new JsonObject { ["field"] = field });

    public static OdkProblem UnexpectedValue(string field, string value, string reason) =>
        new(400.8, $"Unexpected {field} value {value}; {reason}",
            new JsonObject { ["field"] = field, ["value"] = value, ["reason"] = reason });

    /// <summary>400.8 for a value as given in JSON: absent (undefined upstream) leaves "value" out of the details.</summary>
    public static OdkProblem UnexpectedValue(string field, JsonNode? value, string reason)
    {
        var details = new JsonObject { ["field"] = field };
        if (value is not null) details["value"] = value.DeepClone();
        details["reason"] = reason;
        var shown = value switch { null => "undefined", JsonValue v when v.TryGetValue<string>(out var text) => text, _ => value.ToJsonString() };
        return new(400.8, $"Unexpected {field} value {shown}; {reason}", details);
    }

    public static OdkProblem DatasetNameConflict(string current, string provided) =>
        new(409.16, $"A dataset named '{current}' exists and you provided '{provided}' with the same name but different capitalization.",
            new JsonObject { ["current"] = current, ["provided"] = provided });

    public static OdkProblem InvalidDataType(string field, string expected) =>
        new(400.11, $"Invalid input data type: expected ({field}) to be ({expected})",
            new JsonObject { ["field"] = field, ["expected"] = expected });

    /// <summary>400.11 with the JavaScript type that was found (lib/data/entity.js extractBulkSource).</summary>
    public static OdkProblem InvalidDataTypeOf(string field, string value, string expected) =>
        new(400.11, $"Invalid input data type: expected ({field}) to be ({expected})",
            new JsonObject { ["field"] = field, ["value"] = value, ["expected"] = expected });

    /// <summary>400.11 as raised from a query option or a PostgreSQL cast: "expected "value" to be (...)" or "(field)".</summary>
    public static OdkProblem InvalidDataTypeOfParameter(string field, string expected) =>
        new(400.11, $"Invalid input data type: expected ({field}) to be ({expected})",
            new JsonObject { ["field"] = field, ["expected"] = expected });

    /// <summary>PostgreSQL's 22P02 read back by lib/util/db.js: details are {value, expected}.</summary>
    public static OdkProblem InvalidInputSyntax(string value, string expected) =>
        new(400.11, $"Invalid input data type: expected \"{value}\" to be ({expected})",
            new JsonObject { ["value"] = value, ["expected"] = expected });

    public static OdkProblem UnparseableODataExpression(string reason) =>
        new(400.18, $"The OData filter expression you provided could not be parsed: {reason}",
            new JsonObject { ["reason"] = reason });

    public static OdkProblem ExpectedDeprecation() =>
        new(400.19, "This PUT endpoint expects a deprecatedID metadata tag pointing at the current version instanceID. I cannot find that tag in your request.");

    public static OdkProblem PropertyNotFound(string property) =>
        new(400.23, $"Could not find a property named '{property}'", new JsonObject { ["property"] = property });

    public static OdkProblem DatasetLinkNotAllowed() =>
        new(400.26, "Dataset can only be linked to attachments with \"Data File\" type.");

    public static OdkProblem InvalidEntity(string reason) =>
        new(400.28, $"The entity is invalid. {reason}", new JsonObject { ["reason"] = reason });

    public static OdkProblem UnexpectedAttributes(string[] expected, string[] actual) =>
        new(400.31, $"Expected parameters: ({string.Join(", ", expected)}). Got ({string.Join(", ", actual)}).",
            new JsonObject
            {
                ["expected"] = new JsonArray(expected.Select(e => (JsonNode?)e).ToArray()),
                ["actual"] = new JsonArray(actual.Select(e => (JsonNode?)e).ToArray()),
            });

    public static OdkProblem NoConflictEntity() => new(400.32, "The Entity doesn't have any conflict");

    public static OdkProblem InvalidSkiptoken() => new(400.35, "Invalid $skiptoken");

    public static OdkProblem AuthenticationFailed() =>
        new(401.2, "Could not authenticate with the provided credentials.");

    public static OdkProblem HttpsOnly() => new(401.3, "This authentication method is only available over HTTPS");

    public static OdkProblem InsufficientRights() =>
        new(403.1, "The authentication you provided does not have rights to perform that action.");

    public static OdkProblem MissingApiVersion() => new(404.2, "Expected an API version (eg /v1) at the start of the request URL.");

    public static OdkProblem UnexpectedApiVersion(string got) =>
        new(404.3, $"Unexpected an API version (accepts: 1) (got: {got}).", new JsonObject { ["got"] = got });

    public static OdkProblem UnacceptableFormat(string[] allowed, string got) =>
        new(406.1, $"Requested format not acceptable; this resource allows: {string.Join(",", allowed)}.",
            new JsonObject { ["allowed"] = new JsonArray(allowed.Select(a => (JsonNode?)a).ToArray()), ["got"] = got });

    public static OdkProblem UnsupportedODataExpand(string text) =>
        new(501.6, $"The given OData expand expression is not supported by this server: \"{text}\". Currently, only \"$expand=*\" is supported.",
            new JsonObject { ["text"] = text });

    public static OdkProblem UnsupportedODataSelectExpand() =>
        new(501.11, "This server doesn't support $select query parameter with $expand.");

    public static OdkProblem NotFound() => new(404.1, "Could not find the resource you were looking for.");

    public static OdkProblem DeprecatedIdNotFound(string deprecatedId) =>
        new(404.5, $"You tried to update an existing submission, but we can't find that submission to update ({deprecatedId})",
            new JsonObject { ["deprecatedId"] = deprecatedId });

    public static OdkProblem FormVersionNotFound(string formVersion) =>
        new(404.6, $"The form version specified in this submission '{formVersion}' does not exist.",
            new JsonObject { ["formVersion"] = formVersion });

    public static OdkProblem XmlConflict() =>
        new(409.1, "A submission already exists with this ID, but with different XML. Resubmissions to attach additional multimedia must resubmit an identical xml_submission_file.");

    public static OdkProblem NotAcceptingSubmissions() =>
        new(409.2, "This form is not currently accepting submissions. Please talk to your program staff if this is unexpected.");

    /// <summary>Fields and values as PostgreSQL reports the violated key (central-backend lib/util/db.js).</summary>
    public static OdkProblem UniquenessViolation(string[] fields, string[] values, string? table) =>
        UniquenessViolation(fields, values.Select(v => (JsonNode?)v).ToArray(), table);

    /// <summary>The same, with values as the code raising it passes them (numbers stay numbers).</summary>
    public static OdkProblem UniquenessViolation(string[] fields, JsonNode?[] values, string? table) =>
        new(409.3, $"A resource already exists with {string.Join(",", fields)} value(s) of {string.Join(",", values.Select(v => v is JsonValue jv && jv.TryGetValue<string>(out var t) ? t : v?.ToJsonString()))}.",
            new JsonObject
            {
                ["fields"] = new JsonArray(fields.Select(f => (JsonNode?)f).ToArray()),
                ["values"] = new JsonArray(values.ToArray()),
                ["table"] = table,
            });

    /// <summary>The edit trigger's variant: one field and one value, given as plain strings.</summary>
    public static OdkProblem InstanceIdUniquenessViolation(string instanceId) =>
        new(409.3, $"A resource already exists with instanceID value(s) of {instanceId}.",
            new JsonObject { ["fields"] = "instanceID", ["values"] = instanceId });

    /// <summary>central-backend lib/util/problem.js entityUniquenessViolationWithDeleted (since v2025.1).</summary>
    public static OdkProblem EntityUuidOfDeleted(IEnumerable<string> uuids)
    {
        var list = uuids.ToArray();
        return new(409.19, $"The following UUID(s) cannot be used because they are associated with deleted Entities: ({string.Join(", ", list)}).",
            new JsonObject { ["entityUuids"] = new JsonArray(list.Select(u => (JsonNode?)u).ToArray()) });
    }

    public static OdkProblem VersionUniquenessViolation(string xmlFormId, string version) =>
        new(409.6, $"You tried to publish the form '{xmlFormId}' with version '{version}', but a published form has already existed in this project with those identifiers. Please choose a new name and try again. You can re-request with ?version=xyz to have the version changed in-place for you.",
            new JsonObject { ["xmlFormId"] = xmlFormId, ["version"] = version });

    public static OdkProblem DeprecatingOldSubmission(string deprecatedId) =>
        new(409.9, $"You tried to update a submission, but the copy you were editing ({deprecatedId}) is now out of date. Please get the new version that has been submitted, and make your edits again.",
            new JsonObject { ["deprecatedId"] = deprecatedId });

    public static OdkProblem EntityVersionConflict(string current, string? provided)
    {
        var details = new JsonObject { ["current"] = current };
        if (provided is not null) details["provided"] = provided;
        return new(409.15, $"Current version of the Entity is '{current}' and you provided '{provided ?? "undefined"}'. Please correct the version number or pass '?force=true' in the URL to forcefully update the Entity.", details);
    }

    /// <summary>What Central answers for any error that is not a Problem (lib/http/endpoint.js defaultErrorWriter).</summary>
    public static OdkProblem InternalServerError() => new(500, "Internal Server Error") { Bare = true };

    public static OdkProblem Unknown() => new(500.1, "An unknown internal problem has occurred. Please try again later.");

    public static OdkProblem NotImplemented(string feature) =>
        new(501.1, $"The requested feature {feature} is not supported by this server.", new JsonObject { ["feature"] = feature });

    public static OdkProblem UnsupportedODataExpression(int at, string type, string text) =>
        new(501.4, $"The given OData filter expression uses features not supported by this server: {type} at {at} (\"{text}\")",
            new JsonObject { ["at"] = at, ["type"] = type, ["text"] = text });

    /// <summary>Upstream omits <c>at</c> for $orderby fields, so the message then reads "at undefined".</summary>
    public static OdkProblem UnsupportedODataField(int? at, string text)
    {
        var details = new JsonObject();
        if (at is not null) details["at"] = at;
        details["text"] = text;
        return new(501.5, $"The given OData filter expression references fields not supported by this server: {text} at {(at is null ? "undefined" : at.ToString())}", details);
    }

    public static OdkProblem XlsformNotAvailable(JsonObject error) =>
        new(502.2, "The XLSForm conversion service could not be contacted.", new JsonObject { ["error"] = error });

    public static OdkProblem XlsformNotValid(JsonNode? error, JsonNode? warnings) =>
        new(400.15, "The given XLSForm file was not valid. Please see the error details for more information.",
            new JsonObject { ["error"] = error?.DeepClone(), ["warnings"] = warnings?.DeepClone() });
}
