using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneClickSuite.Emulators.Ihris.Fhir;

/// <summary>
/// The state of a paged search or history, carried in HAPI's <c>_getpages</c> link parameter instead of a server-side
/// search cache: a link keeps working for as long as the store exists, in any replica.
/// </summary>
public sealed record PageToken(
    [property: JsonPropertyName("k")] string Kind,
    [property: JsonPropertyName("t")] string? ResourceType,
    [property: JsonPropertyName("i")] string? ResourceId,
    [property: JsonPropertyName("q")] string Query,
    [property: JsonPropertyName("h")] long Snapshot,
    [property: JsonPropertyName("u")] DateTimeOffset AfterLastUpdated,
    [property: JsonPropertyName("s")] long AfterSeq,
    [property: JsonPropertyName("n")] int Total)
{
    public const string Search = "searchset";
    public const string History = "history";

    public PageCursor Cursor => new(Snapshot, AfterLastUpdated, AfterSeq, Total);

    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this));

    public static PageToken? TryDecode(string value)
    {
        try
        {
            var token = JsonSerializer.Deserialize<PageToken>(Base64Url.DecodeFromChars(value));
            return token is { Kind: Search or History } ? token : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
