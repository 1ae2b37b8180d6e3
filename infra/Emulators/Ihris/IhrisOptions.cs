namespace OneClickSuite.Emulators.Ihris;

/// <summary>Configuration section "Ihris".</summary>
public sealed class IhrisOptions
{
    public const string Section = "Ihris";

    /// <summary>
    /// Second HTTP port, on which the HAPI FHIR surface is served at <c>/fhir</c> (what the compose file's <c>fhir</c>
    /// container is). Unset: one port, and the HAPI surface is at <c>/hapi/fhir</c> on it.
    /// </summary>
    public int? FhirPort { get; set; }

    /// <summary>
    /// Upstream <c>IHRIS_FHIR__BASE</c>: the HAPI base the backend talks to, shown as <c>fhir.base</c> by
    /// <c>GET /config/app</c> and found in the paging links of bundles the backend passes through. Unset: this
    /// emulator's own HAPI surface, as seen from the request.
    /// </summary>
    public string? FhirBase { get; set; }

    /// <summary>Upstream <c>auth:secret</c>; unset: one generated once and kept in the database.</summary>
    public string? TokenSecret { get; set; }

    /// <summary>
    /// Upstream <c>auth:tokenDuration</c>, baseConfig.json "5400". It reaches jsonwebtoken's expiresIn as a string,
    /// and a string without a unit is milliseconds (the "ms" package): 5.4 s, i.e. exp = iat + 5.
    /// </summary>
    public string TokenDuration { get; set; } = "5400";

    /// <summary>jsonwebtoken timespan(): floor(iat + ms(value) / 1000) seconds after iat.</summary>
    public TimeSpan TokenLifetime
    {
        get
        {
            var match = System.Text.RegularExpressions.Regex.Match(TokenDuration.Trim(), @"^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
            if (!match.Success) return TimeSpan.Zero;
            var number = double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var unit = match.Groups[2].Success ? match.Groups[2].Value.ToLowerInvariant() : "ms";
            var milliseconds = unit switch
            {
                "s" => number * 1000, "m" => number * 60_000, "h" => number * 3_600_000, "d" => number * 86_400_000,
                "w" => number * 604_800_000, "y" => number * 31_557_600_000, _ => number,
            };
            return TimeSpan.FromSeconds(Math.Floor(milliseconds / 1000));
        }
    }

    /// <summary>
    /// Upstream <c>app:installed</c> in the container's config/baseConfig.json. False (a new container): the default
    /// users are loaded again on start. True stands for a restarted container whose file already says "true".
    /// </summary>
    public bool AppInstalled { get; set; }

    /// <summary>hapi.fhir.default_page_size (starter AppProperties: 20).</summary>
    public int DefaultPageSize { get; set; } = 20;

    /// <summary>hapi.fhir.max_page_size (starter AppProperties: Integer.MAX_VALUE, i.e. no cap).</summary>
    public int MaxPageSize { get; set; } = int.MaxValue;

    /// <summary>hapi.fhir.retain_cached_searches_mins (starter AppProperties: 60).</summary>
    public int RetainCachedSearchesMinutes { get; set; } = 60;

    /// <summary>hapi.fhir.reuse_cached_search_results_millis (starter AppProperties: 60000).</summary>
    public int ReuseCachedSearchResultsMillis { get; set; } = 60_000;
}
