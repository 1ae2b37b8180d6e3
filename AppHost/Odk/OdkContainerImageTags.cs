namespace OneClickSuite.AppHost.Odk;

/// <summary>
/// Pinned images, never "latest". ODK Central: getodk/central's ghcr workflow publishes central-service and
/// central-nginx for every release tag vYYYY.N.P; v2026.2.4 is the newest release of the line whose API the suite is
/// checked against (the v2026.2 API server run from source; see adapters/Shared/Clients/Odk). v2026.3.0 (2026-09-10) exists
/// and is a one-line move once checked. pyxform-http: the tag getodk/central's docker-compose.yml pins (v2026.1.0,
/// the newest compose file read). Mailpit: axllent/mailpit's build-docker.yml pushes every release tag.
/// </summary>
internal static class OdkContainerImageTags
{
    public const string Registry = "ghcr.io";
    public const string ServiceImage = "getodk/central-service";
    public const string NginxImage = "getodk/central-nginx";
    public const string Tag = "v2026.2.4";
    public const string PyxformImage = "getodk/pyxform-http";
    public const string PyxformTag = "v4.4.0";

    public const string MailRegistry = "docker.io";
    public const string MailImage = "axllent/mailpit";
    public const string MailTag = "v1.30.5";
}
