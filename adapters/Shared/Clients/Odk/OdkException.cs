using System.Text.Json;
using System.Text.Json.Nodes;

namespace OneClickSuite.Clients.Odk;

/// <summary>An ODK Central error: HTTP status plus Central's numeric code (e.g. <c>409.3</c>, <c>409.15</c>).</summary>
public sealed class OdkException : UpstreamException
{
    public OdkException(string message, int? statusCode, string? code = null, JsonNode? details = null, Exception? innerException = null)
        : base(message, statusCode, innerException)
    {
        Code = code;
        Details = details;
    }

    /// <summary>Central's problem code as written in the body, e.g. "409.3" (uuid exists), "409.15" (stale baseVersion).</summary>
    public string? Code { get; }

    public JsonNode? Details { get; }

    /// <summary>Parses Central's <c>{"message","code","details"}</c> error body.</summary>
    public static OdkException FromResponse(int statusCode, string body, string request)
    {
        string? code = null;
        string? message = null;
        JsonNode? details = null;
        try
        {
            if (JsonNode.Parse(body) is JsonObject root)
            {
                code = root["code"]?.ToJsonString().Trim('"');
                message = (string?)root["message"];
                details = root["details"]?.DeepClone();
            }
        }
        catch (JsonException)
        {
            // A proxy's page rather than Central's JSON: keep the text.
        }
        message ??= body.Length > 300 ? body[..300] : body;
        return new OdkException($"ODK Central {request} failed with {statusCode} ({code}): {message}", statusCode, code, details);
    }
}
