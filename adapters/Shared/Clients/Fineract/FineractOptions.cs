using System.ComponentModel.DataAnnotations;

namespace OneClickSuite.Clients.Fineract;

public sealed class FineractOptions
{
    public const string SectionName = "Fineract";

    /// <summary>Server root; the service discovery name by default.</summary>
    public string BaseUrl { get; set; } = "http://fineract";

    public string Username { get; set; } = "mifos";

    [Required]
    public string? Password { get; set; }

    public string Tenant { get; set; } = "default";

    internal static Uri ApiBase(string baseUrl) => new(baseUrl.TrimEnd('/') + "/fineract-provider/api/v1/");
}
