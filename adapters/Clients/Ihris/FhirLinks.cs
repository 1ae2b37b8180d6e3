namespace OneClickSuite.Clients.Ihris;

public static class FhirLinks
{
    /// <summary>
    /// Moves a paging link onto our own FHIR base: HAPI writes links with its own address, which is not the iHRIS
    /// backend a client talks to. Everything after the <c>/fhir</c> segment (path and query) is kept.
    /// </summary>
    public static string ToRelative(string link)
    {
        if (!Uri.TryCreate(link, UriKind.Absolute, out var uri))
        {
            return link.TrimStart('/');
        }
        var pathAndQuery = uri.PathAndQuery;
        var fhir = pathAndQuery.IndexOf("/fhir", StringComparison.OrdinalIgnoreCase);
        var rest = fhir >= 0 ? pathAndQuery[(fhir + "/fhir".Length)..] : pathAndQuery;
        // "/fhir?_getpages=..." has no resource path: the query addresses the base itself.
        return rest.StartsWith('?') ? rest : rest.TrimStart('/');
    }
}
