namespace OneClickSuite.AppHost.Fineract;

/// <summary>Pinned images (upstreams.md: Mifos Gazelle's current MifosX manifests). Never "latest".</summary>
internal static class FineractContainerImageTags
{
    public const string Registry = "docker.io";
    public const string Image = "openmf/fineract";
    public const string Tag = "1.14.0";

    public const string WebAppImage = "openmf/web-app";
    public const string WebAppTag = "dev-10d24b8";
}
