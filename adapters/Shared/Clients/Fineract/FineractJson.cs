using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace OneClickSuite.Clients.Fineract;

/// <summary>How Fineract writes and reads JSON.</summary>
public static class FineractJson
{
    public const string DateFormat = "yyyy-MM-dd";
    public const string Locale = "en";

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new FineractDateConverter() },
    };

    public static string FormatDate(DateOnly date) => date.ToString(DateFormat, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Fineract rejects dates (and some numbers) without <c>dateFormat</c> and <c>locale</c> beside them.</summary>
    internal static JsonObject WithLocale(this JsonObject body)
    {
        body["dateFormat"] = DateFormat;
        body["locale"] = Locale;
        return body;
    }

    /// <summary>For bodies with amounts but no dates: Fineract refuses a <c>dateFormat</c> it does not expect (400 unsupported).</summary>
    internal static JsonObject WithLocaleOnly(this JsonObject body)
    {
        body["locale"] = Locale;
        return body;
    }

    /// <summary>Parses a Fineract error body (wrapped <c>ApiGlobalErrorResponse</c> or a bare parameter error).</summary>
    public static FineractException ParseError(int statusCode, string body, bool servedFromCache, string request)
    {
        string? code = null;
        string? message = null;
        var errors = new List<FineractParameterError>();
        try
        {
            if (JsonNode.Parse(body) is JsonObject root)
            {
                code = (string?)root["userMessageGlobalisationCode"];
                message = (string?)root["defaultUserMessage"] ?? (string?)root["developerMessage"];
                if (root["errors"] is JsonArray items)
                {
                    foreach (var item in items.OfType<JsonObject>())
                    {
                        errors.Add(new FineractParameterError(
                            (string?)item["userMessageGlobalisationCode"],
                            (string?)item["parameterName"],
                            (string?)item["defaultUserMessage"] ?? (string?)item["developerMessage"]));
                    }
                }
                // Spring's own error page (filter-level 400/401) has "error" and no Fineract fields.
                message ??= (string?)root["error"];
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, a batch 501 text): keep the raw text.
        }

        message ??= body.Length > 300 ? body[..300] : body;
        var detail = errors.Count > 0
            ? " (" + string.Join("; ", errors.Select(e => $"{e.ParameterName}: {e.Code}")) + ")"
            : "";
        return new FineractException(
            $"Fineract {request} failed with {statusCode} {code}: {message}{detail}",
            statusCode, code, errors, servedFromCache);
    }
}

/// <summary>Fineract writes a date as <c>[yyyy, M, d]</c>; accepts <c>"yyyy-MM-dd"</c> too.</summary>
public sealed class FineractDateConverter : JsonConverter<DateOnly>
{
    public override DateOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return DateOnly.ParseExact(reader.GetString()!, FineractJson.DateFormat, System.Globalization.CultureInfo.InvariantCulture);
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"Expected a Fineract date, found {reader.TokenType}.");
        }
        var parts = new int[3];
        for (var i = 0; i < 3; i++)
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.Number)
            {
                throw new JsonException("A Fineract date array needs three numbers.");
            }
            parts[i] = reader.GetInt32();
        }
        if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray)
        {
            throw new JsonException("A Fineract date array has exactly three numbers.");
        }
        return new DateOnly(parts[0], parts[1], parts[2]);
    }

    public override void Write(Utf8JsonWriter writer, DateOnly value, JsonSerializerOptions options) =>
        writer.WriteStringValue(FineractJson.FormatDate(value));
}
