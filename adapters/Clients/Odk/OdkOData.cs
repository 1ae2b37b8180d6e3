using System.Globalization;
using System.Web;

namespace OneClickSuite.Clients.Odk;

/// <summary>Helpers for Central's OData feeds.</summary>
public static class OdkOData
{
    /// <summary>
    /// The <c>$skiptoken</c> of an <c>@odata.nextLink</c>. Only the token is reused: Central builds the link on its
    /// configured public domain, which a service inside the network may not reach.
    /// </summary>
    public static string? SkipTokenOf(string? nextLink)
    {
        if (string.IsNullOrEmpty(nextLink))
        {
            return null;
        }
        var query = nextLink.IndexOf('?') is var at and >= 0 ? nextLink[(at + 1)..] : "";
        return HttpUtility.ParseQueryString(query)["$skiptoken"];
    }

    /// <summary>
    /// Submissions created or changed after <paramref name="since"/>: <c>updatedAt</c> stays null until a submission
    /// is first edited or reviewed, so new ones are found by <c>submissionDate</c>.
    /// </summary>
    public static string ChangedSince(DateTimeOffset since)
    {
        var at = since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return $"__system/submissionDate gt {at} or __system/updatedAt gt {at}";
    }

    /// <summary>Entities created at or after <paramref name="since"/>.</summary>
    public static string CreatedSince(DateTimeOffset since) =>
        "__system/createdAt ge " + since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
