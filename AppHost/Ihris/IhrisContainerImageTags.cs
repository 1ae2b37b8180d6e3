namespace OneClickSuite.AppHost.Ihris;

/// <summary>Pinned images (upstreams.md; iHRIS/iHRIS docker-compose.yml and its docker workflow). Never "latest".</summary>
internal static class IhrisContainerImageTags
{
    public const string Registry = "docker.io";
    public const string HapiImage = "hapiproject/hapi";
    public const string HapiTag = "v6.8.0";
    public const string ElasticsearchImage = "library/elasticsearch";
    public const string ElasticsearchTag = "7.17.6";
    public const string RedisImage = "library/redis";
    public const string RedisTag = "8.6.2";
    /// <summary>iHRIS publishes only "latest" and git shas: this is master on 2026-06-19.</summary>
    public const string IhrisImage = "ihris/ihris";
    public const string IhrisTag = "859205a7ef57b83b4ad972f5ba22623a9c992af4";
}
