using System.ComponentModel.DataAnnotations;

namespace OneClickSuite.Clients.Ihris;

/// <summary>
/// Section "Ihris". The suite reads and writes iHRIS's records on its FHIR server (HAPI in iHRIS's own compose file),
/// never through the iHRIS web app's /fhir routes, which are not a FHIR API (AppHost/Ihris/README.md).
/// </summary>
public sealed class IhrisOptions
{
    public const string SectionName = "Ihris";

    /// <summary>The FHIR server's base, e.g. <c>http://fhir:8080/fhir</c>.</summary>
    [Required]
    public string? FhirUrl { get; set; }

    /// <summary>
    /// Optional Basic credentials for a FHIR server behind a gateway, as iHRIS itself sends them to its store
    /// (IHRIS_FHIR__USERNAME / IHRIS_FHIR__PASSWORD, ihris-backend modules/fhir/fhirAxios.js __getAuth).
    /// </summary>
    public string? FhirUsername { get; set; }

    public string? FhirPassword { get; set; }

    /// <summary>The iHRIS web app, where people sign in.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>iHRIS's administrator, whose password the iHRIS adapter keeps as configured.</summary>
    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }

    /// <summary>
    /// Re-apply <see cref="AdminPassword"/> whenever iHRIS has restored its published default (every new iHRIS
    /// container does). Off for a ministry's own iHRIS, whose administrator is theirs.
    /// </summary>
    public bool EnforceAdminPassword { get; set; }

    internal static Uri FhirBase(string fhirUrl) => new(fhirUrl.TrimEnd('/') + "/");
}
