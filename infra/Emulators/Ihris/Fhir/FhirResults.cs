using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OneClickSuite.Emulators.Ihris.Fhir;

/// <summary>Writes FHIR JSON responses; stored resources are copied verbatim into bundles.</summary>
public static class FhirResults
{
    public const string FhirJson = "application/fhir+json;charset=utf-8";

    public static string BaseUrl(HttpRequest request) => OneClickSuite.Emulators.Ihris.Hosting.Surfaces.HapiBaseUrl(request.HttpContext);

    public static string FormatInstant(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+00:00'", CultureInfo.InvariantCulture);

    public static string ETag(int version) => $"W/\"{version}\"";

    public static async Task WriteResourceAsync(HttpResponse response, int statusCode, StoredResource resource)
    {
        response.StatusCode = statusCode;
        response.ContentType = FhirJson;
        response.Headers.ETag = ETag(resource.Version);
        response.Headers.LastModified = resource.LastUpdated.ToString("R", CultureInfo.InvariantCulture);
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(resource.Body ?? ""));
    }

    public static async Task WriteJsonAsync(HttpResponse response, int statusCode, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        response.StatusCode = statusCode;
        response.ContentType = FhirJson;
        await response.Body.WriteAsync(buffer.WrittenMemory);
    }

    public static void WriteBundleStart(Utf8JsonWriter writer, string id, string type, int? total, IEnumerable<(string Relation, string Url)> links)
    {
        writer.WriteStartObject();
        writer.WriteString("resourceType", "Bundle");
        writer.WriteString("id", id);
        writer.WriteStartObject("meta");
        writer.WriteString("lastUpdated", FormatInstant(DateTimeOffset.UtcNow));
        writer.WriteEndObject();
        writer.WriteString("type", type);
        if (total is { } count) writer.WriteNumber("total", count);
        var linkList = links.ToList();
        if (linkList.Count > 0)
        {
            writer.WriteStartArray("link");
            foreach (var (relation, url) in linkList)
            {
                writer.WriteStartObject();
                writer.WriteString("relation", relation);
                writer.WriteString("url", url);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
    }

    public static void WriteSearchEntry(Utf8JsonWriter writer, string baseUrl, StoredResource resource, string mode)
    {
        writer.WriteStartObject();
        writer.WriteString("fullUrl", $"{baseUrl}/{resource.Type}/{resource.Id}");
        writer.WritePropertyName("resource");
        writer.WriteRawValue(resource.Body!, skipInputValidation: true);
        writer.WriteStartObject("search");
        writer.WriteString("mode", mode);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>A history entry as HAPI's R4 bundle factory writes it: request and response from the version.</summary>
    public static void WriteHistoryEntry(Utf8JsonWriter writer, string baseUrl, StoredResource resource)
    {
        writer.WriteStartObject();
        writer.WriteString("fullUrl", $"{baseUrl}/{resource.Type}/{resource.Id}");
        if (!resource.Deleted)
        {
            writer.WritePropertyName("resource");
            writer.WriteRawValue(resource.Body!, skipInputValidation: true);
        }
        writer.WriteStartObject("request");
        writer.WriteString("method", resource.Deleted ? "DELETE" : resource.Version == 1 ? "POST" : "PUT");
        writer.WriteString("url", $"{resource.Type}/{resource.Id}/_history/{resource.Version}");
        writer.WriteEndObject();
        writer.WriteStartObject("response");
        writer.WriteString("status", resource.Version == 1 ? "201 Created" : "200 OK");
        writer.WriteString("etag", ETag(resource.Version));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
