namespace OneClickSuite.Emulators.Ihris;

/// <summary>Configuration section "Ihris".</summary>
public sealed class IhrisOptions
{
    public const string Section = "Ihris";

    /// <summary>The built-in administrator of iHRIS (upstream: Person/ihris-user-admin).</summary>
    public string AdminEmail { get; set; } = "admin@ihris.org";

    /// <summary>No default: without it nobody can log in.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>Signing key of access tokens; when unset one is generated once and kept in the database.</summary>
    public string? TokenSecret { get; set; }

    /// <summary>Lifetime of an access token (upstream setting auth:tokenDuration).</summary>
    public int TokenDurationSeconds { get; set; } = 5400;

    /// <summary>Serve /fhir without a token, as HAPI FHIR itself does when reached directly.</summary>
    public bool AnonymousFhir { get; set; }

    /// <summary>Value of fhir.base in GET /config/app; defaults to this server's own /fhir.</summary>
    public string? FhirBase { get; set; }

    /// <summary>HAPI's default page size and its cap on _count (hapi-fhir-jpaserver-starter defaults).</summary>
    public int DefaultPageSize { get; set; } = 20;

    public int MaxPageSize { get; set; } = 200;
}
