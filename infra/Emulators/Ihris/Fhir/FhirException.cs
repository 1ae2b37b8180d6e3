using System.Text.Json;

namespace OneClickSuite.Emulators.Ihris.Fhir;

/// <summary>A request HAPI FHIR refuses: answered as an OperationOutcome with HAPI's status code and message.</summary>
public sealed class FhirException(int statusCode, string diagnostics, string issueCode = "processing") : Exception(diagnostics)
{
    public int StatusCode { get; } = statusCode;
    public string IssueCode { get; } = issueCode;

    public static FhirException BadRequest(string diagnostics) => new(StatusCodes.Status400BadRequest, diagnostics);

    public static FhirException NotFound(string type, string id) =>
        new(StatusCodes.Status404NotFound, $"HAPI-2001: Resource {type}/{id} is not known", "not-found");

    public static FhirException UnknownResourceType(string type) =>
        new(StatusCodes.Status404NotFound, $"HAPI-0302: Unknown resource type '{type}' - Server knows how to handle: [{string.Join(", ", FhirResourceTypes.Supported)}]", "not-supported");
}

public static class OperationOutcomeJson
{
    public static byte[] Create(string severity, string code, string diagnostics)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("resourceType", "OperationOutcome");
            writer.WriteStartArray("issue");
            writer.WriteStartObject();
            writer.WriteString("severity", severity);
            writer.WriteString("code", code);
            writer.WriteString("diagnostics", diagnostics);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public static Task WriteAsync(HttpResponse response, int statusCode, string code, string diagnostics, string severity = "error")
    {
        response.StatusCode = statusCode;
        response.ContentType = FhirResults.FhirJson;
        return response.Body.WriteAsync(Create(severity, code, diagnostics)).AsTask();
    }
}
