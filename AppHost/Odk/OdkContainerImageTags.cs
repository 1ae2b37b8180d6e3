namespace OneClickSuite.AppHost.Odk;

/// <summary>Pinned images (upstreams.md: getodk/central's ghcr workflow and docker-compose.yml). Never "latest".</summary>
internal static class OdkContainerImageTags
{
    public const string Registry = "ghcr.io";
    public const string ServiceImage = "getodk/central-service";
    public const string NginxImage = "getodk/central-nginx";
    public const string Tag = "v2026.1.0";
    public const string PyxformImage = "getodk/pyxform-http";
    public const string PyxformTag = "v4.4.0";
}
