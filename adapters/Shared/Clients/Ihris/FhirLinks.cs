namespace OneClickSuite.Clients.Ihris;

public static class FhirLinks
{
    /// <summary>
    /// What a paging link addresses below the FHIR base, e.g. <c>?_getpages=…</c> (HAPI pages on the base itself) or
    /// <c>Practitioner?…</c>. HAPI writes links with the address it was reached at (IncomingRequestAddressStrategy),
    /// which behind a gateway or proxy is not the one we use: everything after the base's path is kept.
    /// </summary>
    public static string BelowBase(string link, string basePath)
    {
        if (!Uri.TryCreate(link, UriKind.Absolute, out var uri))
        {
            return link.TrimStart('/');
        }
        var pathAndQuery = uri.PathAndQuery;
        var trimmedBase = basePath.TrimEnd('/');
        var at = trimmedBase.Length == 0 ? -1 : pathAndQuery.IndexOf(trimmedBase, StringComparison.OrdinalIgnoreCase);
        var rest = at >= 0 ? pathAndQuery[(at + trimmedBase.Length)..] : pathAndQuery;
        return rest.StartsWith('?') ? rest : rest.TrimStart('/');
    }

    /// <summary>The request URI for a path below the base; the base itself (a transaction, a page) keeps no trailing slash.</summary>
    public static Uri Resolve(Uri fhirBase, string belowBase) =>
        belowBase.Length == 0 || belowBase.StartsWith('?')
            ? new Uri(fhirBase.GetLeftPart(UriPartial.Path).TrimEnd('/') + belowBase)
            : new Uri(fhirBase, belowBase);
}
