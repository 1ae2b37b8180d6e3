using System.Text.Json;

namespace OneClickSuite.Emulators.Ihris.Fhir;

/// <summary>
/// A request HAPI FHIR refuses: answered as an OperationOutcome with HAPI's status code and message. HAPI's
/// exception handler writes every issue with severity "error" and code "processing"
/// (ExceptionHandlingInterceptor / OperationOutcomeUtil.addIssue).
/// </summary>
public sealed class FhirException(int statusCode, string diagnostics) : Exception(diagnostics)
{
    public int StatusCode { get; } = statusCode;

    /// <summary>Issues of an OperationOutcome the exception carries (delete conflicts); else the message alone.</summary>
    public IReadOnlyList<string>? Issues { get; init; }

    public IReadOnlyList<string> Diagnostics => Issues ?? [Message];

    public static FhirException BadRequest(string diagnostics) => new(StatusCodes.Status400BadRequest, diagnostics);

    /// <summary>BaseHapiFhirDao / IdHelperService: HAPI-2001 for an id that was never written.</summary>
    public static FhirException NotFound(string type, string id) =>
        new(StatusCodes.Status404NotFound, $"HAPI-2001: Resource {type}/{id} is not known");

    /// <summary>RestfulServer.determineResourceMethod: HAPI-0302 for a type the server does not serve.</summary>
    public static FhirException UnknownResourceType(string type) =>
        new(StatusCodes.Status404NotFound, $"HAPI-0302: Unknown resource type '{type}' - Server knows how to handle: [{string.Join(", ", FhirResourceTypes.Supported)}]");
}

public static class OperationOutcomeJson
{
    public const string StorageCodeSystem = "https://hapifhir.io/fhir/CodeSystem/hapi-fhir-storage-response-code";

    public static byte[] Create(string severity, string code, string diagnostics) => Create(severity, code, [diagnostics]);

    public static byte[] Create(string severity, string code, IEnumerable<string> diagnostics, string? storageCode = null)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, severity, code, diagnostics, storageCode);
        }
        return buffer.ToArray();
    }

    public static void Write(Utf8JsonWriter writer, string severity, string code, IEnumerable<string> diagnostics, string? storageCode = null)
    {
        writer.WriteStartObject();
        writer.WriteString("resourceType", "OperationOutcome");
        writer.WriteStartArray("issue");
        foreach (var text in diagnostics)
        {
            writer.WriteStartObject();
            writer.WriteString("severity", severity);
            writer.WriteString("code", code);
            if (storageCode is not null)
            {
                writer.WriteStartObject("details");
                writer.WriteStartArray("coding");
                writer.WriteStartObject();
                writer.WriteString("system", StorageCodeSystem);
                writer.WriteString("code", storageCode);
                writer.WriteString("display", StorageCode.Display(storageCode));
                writer.WriteEndObject();
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteString("diagnostics", text);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The informational OperationOutcome HAPI attaches to a write (BaseStorageDao.createInfoOperationOutcome).</summary>
    public static byte[] Information(WriteResult result, long millis) =>
        Create("information", "informational", [result.Message(millis)], result.Code);

    public static Task WriteAsync(HttpResponse response, int statusCode, IEnumerable<string> diagnostics)
    {
        response.StatusCode = statusCode;
        response.ContentType = FhirResults.FhirJson;
        return response.Body.WriteAsync(Create("error", "processing", diagnostics)).AsTask();
    }
}
