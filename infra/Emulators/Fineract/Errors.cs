using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OneClickSuite.Emulators.Fineract;

/// <summary>One item of Fineract's <c>errors</c> list (ApiParameterError): developerMessage always equals defaultUserMessage.</summary>
public sealed record ParameterError(string Code, string Message, string ParameterName, object?[] Args, string? Value = null)
{
    public static ParameterError Mandatory(string resource, string parameter) =>
        new($"validation.msg.{resource}.{parameter}.cannot.be.blank", $"The parameter `{parameter}` is mandatory.", parameter, [null]);

    public static ParameterError ExceedsLength(string resource, string parameter, int max, string value) =>
        new($"validation.msg.{resource}.{parameter}.exceeds.max.length",
            $"The parameter `{parameter}` exceeds max length of {max}.", parameter, [max, value]);

    public static ParameterError NotGreaterThanZero(string resource, string parameter, object number) =>
        new($"validation.msg.{resource}.{parameter}.not.greater.than.zero",
            $"The parameter `{parameter}` must be greater than 0.", parameter, [number, 0]);

    public static ParameterError NotInRange(string resource, string parameter, object number, int min, int max) =>
        new($"validation.msg.{resource}.{parameter}.is.not.within.expected.range",
            $"The parameter `{parameter}` must be between {min} and {max}.", parameter, [number, min, max]);

    public static ParameterError NotOneOf(string resource, string parameter, object? value, params int[] allowed) =>
        new($"validation.msg.{resource}.{parameter}.is.not.one.of.expected.enumerations",
            $"The parameter `{parameter}` must be one of [ {string.Join(", ", allowed)} ] .", parameter,
            [value, .. allowed.Cast<object?>()]);

    /// <summary>DataValidatorBuilder.failWithCode: the code is appended to the parameter, args are [value, []].</summary>
    public static ParameterError FailWithCode(string resource, string parameter, string code, object? value = null) =>
        new($"validation.msg.{resource}.{parameter}.{code}", $"Failed data validation due to: {code}.", parameter,
            [value, Array.Empty<object>()]);

    /// <summary>A general error (domain rule, not found) always names parameter "id".</summary>
    public static ParameterError General(string code, string message, params object?[] args) => new(code, message, "id", args);

    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("developerMessage", Message);
        writer.WriteString("defaultUserMessage", Message);
        writer.WriteString("userMessageGlobalisationCode", Code);
        writer.WriteString("parameterName", ParameterName);
        if (Value is not null) writer.WriteString("value", Value);
        writer.WriteStartArray("args");
        foreach (var arg in Args)
        {
            writer.WriteStartObject();
            if (arg is not null)
            {
                writer.WritePropertyName("value");
                WriteArg(writer, arg);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteArg(Utf8JsonWriter writer, object arg)
    {
        switch (arg)
        {
            case string s: writer.WriteStringValue(s); break;
            case int i: writer.WriteNumberValue(i); break;
            case long l: writer.WriteNumberValue(l); break;
            case decimal d: writer.WriteNumberValue(d); break;
            case bool b: writer.WriteBooleanValue(b); break;
            // A LocalDate arg is pre-formatted as yyyy-MM-dd (AbstractPlatformException).
            case DateOnly date: writer.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
            case Array array:
                writer.WriteStartArray();
                foreach (var item in array) if (item is not null) WriteArg(writer, item);
                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(arg.ToString()); break;
        }
    }
}

/// <summary>
/// A failed request with the exact status and body Fineract answers. Thrown anywhere in a command; the command
/// pipeline turns it into the response (and stores it for idempotent replays).
/// </summary>
public sealed class FineractException(int status, string body) : Exception(body)
{
    public int Status { get; } = status;
    public string Body { get; } = body;

    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    public static FineractException Validation(params ParameterError[] errors) =>
        Global(400, "The request was invalid. This typically will happen due to validation errors which are provided.",
            "Validation errors exist.", "validation.msg.validation.errors.exist", errors);

    public static FineractException Validation(IReadOnlyList<ParameterError> errors) => Validation(errors.ToArray());

    public static FineractException NotFound(string code, string message, params object?[] args) =>
        Global(404, "The requested resource is not available.", "The requested resource is not available.",
            "error.msg.resource.not.found", [ParameterError.General(code, message, args)]);

    public static FineractException DomainRule(string code, string message, params object?[] args) =>
        Global(403, "Request was understood but caused a domain rule violation.",
            "Errors contain reason for domain rule violation.", "validation.msg.domain.rule.violation",
            [ParameterError.General(code, message, args)]);

    public static FineractException DataIntegrity(string code, string message, string parameter, params object?[] args) =>
        Global(403, "The request caused a data integrity issue to be fired by the database.", message, code,
            [new ParameterError(code, message, parameter, args)]);

    public static FineractException UnsupportedParameters(IEnumerable<string> names) =>
        Validation(names.Select(n => new ParameterError("error.msg.parameter.unsupported",
            $"The parameter {n} is not supported.", n, [n])).ToArray());

    public static FineractException UnsupportedQueryValue(string parameter, string value, IEnumerable<string> supported) =>
        Validation(new ParameterError("error.msg.query.parameter.value.unsupported",
            $"The query parameter {parameter} has an unsupported value of: {value}", parameter,
            [parameter, value, supported.ToArray()]));

    /// <summary>
    /// What Spring Boot's /error page answers when no Fineract mapper handles the failure: Jersey's 404 for a query
    /// parameter it cannot convert, or a RuntimeException without a mapper (500). Body as api-shapes.md §1.10.
    /// </summary>
    public static FineractException SpringError(int status, string path) =>
        new(status, JsonSerializer.Serialize(new
        {
            timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            status,
            error = status switch { 404 => "Not Found", 500 => "Internal Server Error", 400 => "Bad Request", _ => "Error" },
            path,
        }));

    /// <summary>JSON syntax errors answer a bare ApiParameterError, without the global wrapper.</summary>
    public static FineractException InvalidJson(string message)
    {
        var body = Write(writer =>
            new ParameterError("error.msg.invalid.request.body", message, "id", []).WriteTo(writer));
        return new FineractException(400, body);
    }

    public static FineractException Global(int status, string developerMessage, string defaultUserMessage, string code,
        ParameterError[]? errors) =>
        new(status, Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("developerMessage", developerMessage);
            writer.WriteString("httpStatusCode", status.ToString(CultureInfo.InvariantCulture));
            writer.WriteString("defaultUserMessage", defaultUserMessage);
            writer.WriteString("userMessageGlobalisationCode", code);
            if (errors is not null)
            {
                writer.WriteStartArray("errors");
                foreach (var error in errors) error.WriteTo(writer);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }));

    private static string Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Indented)) write(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>Success bodies: compact JSON, nulls omitted (Gson), field order as written.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Gson's LocalDateAdapter writes [yyyy, M, d].</summary>
    public static JsonArray? Date(DateOnly? date) =>
        date is { } d ? new JsonArray(d.Year, d.Month, d.Day) : null;

    /// <summary>A JsonObject built from pairs, skipping null values (Gson omits nulls).</summary>
    public static JsonObject Object(params (string Name, JsonNode? Value)[] fields)
    {
        var result = new JsonObject();
        foreach (var (name, value) in fields)
        {
            if (value is not null) result[name] = value;
        }
        return result;
    }

    public static string Serialize(JsonNode node) => node.ToJsonString(Options);
}
