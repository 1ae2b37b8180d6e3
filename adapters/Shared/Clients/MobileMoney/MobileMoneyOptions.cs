using System.ComponentModel.DataAnnotations;

namespace OneClickSuite.Clients.MobileMoney;

public sealed class MobileMoneyOptions
{
    public const string SectionName = "MobileMoney";

    /// <summary>The API root including the provider's base path, e.g. http://mobilemoney/gsma/v1.2/mm.</summary>
    [Required]
    public string BaseUrl { get; set; } = "";

    /// <summary>The pre-shared client key, sent as X-API-Key (GSMA get-started, "Custom Request Headers").</summary>
    public string? ApiKey { get; set; }

    /// <summary>The pre-shared client identifier, sent as X-Client-Id when set.</summary>
    public string? ClientId { get; set; }

    internal static Uri ApiBase(string baseUrl) => new(baseUrl.TrimEnd('/') + "/");
}
