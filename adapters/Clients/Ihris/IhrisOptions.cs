using System.ComponentModel.DataAnnotations;

namespace OneClickSuite.Clients.Ihris;

public sealed class IhrisOptions
{
    public const string SectionName = "Ihris";

    /// <summary>The iHRIS backend's root; the service discovery name by default. FHIR is served under <c>/fhir</c>.</summary>
    public string BaseUrl { get; set; } = "http://ihris";

    [Required]
    public string? Email { get; set; }

    [Required]
    public string? Password { get; set; }

    internal static Uri SiteBase(string baseUrl) => new(baseUrl.TrimEnd('/') + "/");
}
