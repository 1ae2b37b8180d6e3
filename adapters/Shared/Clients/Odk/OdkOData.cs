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
    /// Submissions created, changed or deleted after <paramref name="since"/>: <c>updatedAt</c> stays null until a
    /// submission is first edited or reviewed, so new ones are found by <c>submissionDate</c>; a deletion sets only
    /// <c>deletedAt</c>. Central leaves deleted rows out of a feed unless its filter names <c>__system/deletedAt</c>
    /// (central-backend lib/data/odata-filter.js odataExcludeDeleted), which this one does.
    /// </summary>
    public static string ChangedSince(DateTimeOffset since)
    {
        var at = Timestamp(since);
        return $"__system/submissionDate gt {at} or __system/updatedAt gt {at} or __system/deletedAt gt {at}";
    }

    /// <summary>Submissions in Central's trash now (deleted, not yet purged).</summary>
    public const string Deleted = "__system/deletedAt ne null";

    /// <summary>One submission, if it is not deleted.</summary>
    public static string Submission(string instanceId) => $"__id eq '{instanceId.Replace("'", "''")}'";

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Entities created at or after <paramref name="since"/>.</summary>
    public static string CreatedSince(DateTimeOffset since) =>
        "__system/createdAt ge " + since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
