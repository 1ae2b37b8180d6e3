using System.ComponentModel.DataAnnotations;

namespace OneClickSuite.Clients.Odk;

public sealed class OdkOptions
{
    public const string SectionName = "Odk";

    /// <summary>Server root; the service discovery name by default.</summary>
    public string BaseUrl { get; set; } = "http://odk-central";

    [Required]
    public string? Email { get; set; }

    [Required]
    public string? Password { get; set; }

    internal static Uri ApiBase(string baseUrl) => new(baseUrl.TrimEnd('/') + "/v1/");
}
