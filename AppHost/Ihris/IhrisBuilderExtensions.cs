namespace OneClickSuite.AppHost.Ihris;

/// <summary>iHRIS's containers: the web app people sign in to, and the FHIR server that holds the records.</summary>
public sealed record IhrisContainers(IResourceBuilder<IhrisResource> App, IResourceBuilder<HapiFhirResource> Fhir);

public static class IhrisBuilderExtensions
{
    /// <summary>
    /// iHRIS with what it needs: HAPI FHIR 6.8 on the <c>hapi</c> database, Elasticsearch 7.17 and Redis.
    /// The sibling resources are named as in iHRIS's own compose file (fhir, es).
    /// </summary>
    public static IhrisContainers AddIhris(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<PostgresServerResource> postgres, IResourceBuilder<ParameterResource> hapiDatabasePassword,
        IResourceBuilder<ParameterResource> authSecret, IResourceBuilder<ParameterResource> sessionSecret,
        IResourceBuilder<IResource> databaseSetup)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var db = postgres.Resource.PrimaryEndpoint;

        // Settings from iHRIS/iHRIS docker-compose.yml, with its hard-coded credentials replaced. The names are passed
        // dotted, as iHRIS does: the starter copies spring.jpa.properties.* only under that raw name.
        var fhir = builder.AddResource(new HapiFhirResource("fhir"))
            .WithImage(IhrisContainerImageTags.HapiImage, IhrisContainerImageTags.HapiTag)
            .WithImageRegistry(IhrisContainerImageTags.Registry)
            .WithHttpEndpoint(targetPort: HapiFhirResource.HttpPort, name: HapiFhirResource.HttpEndpointName)
            .WithEnvironment("profiles.active", "r4")
            .WithEnvironment("spring.datasource.url",
                ReferenceExpression.Create($"jdbc:postgresql://{db.Property(EndpointProperty.Host)}:{db.Property(EndpointProperty.Port)}/hapi"))
            .WithEnvironment("spring.datasource.username", "hapi")
            .WithEnvironment("spring.datasource.password", hapiDatabasePassword)
            .WithEnvironment("spring.datasource.driverClassName", "org.postgresql.Driver")
            .WithEnvironment("spring.jpa.properties.hibernate.dialect", "ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgres94Dialect")
            // Hibernate Search is left as the image sets it (application.yaml enables it; EnvironmentHelper
            // .getHibernateProperties fills the Lucene backend and HAPI's analysis configurer with putIfAbsent): an
            // override here once named a configurer class HAPI 6.8 no longer has, and HAPI never started.
            .WithEnvironment("spring.datasource.hikari.maximum-pool-size", ConnectionBudget.Hapi.ToString())
            .WithEnvironment("hapi.fhir.enable_index_missing_fields", "true")
            .WithEnvironment("JAVA_TOOL_OPTIONS", "-Xmx1g")
            .WithHttpHealthCheck("/fhir/metadata", endpointName: HapiFhirResource.HttpEndpointName)
            .WaitForCompletion(databaseSetup)
            .WithIconName("DatabaseSearch");

        var elasticsearch = builder.AddContainer("es", IhrisContainerImageTags.ElasticsearchImage, IhrisContainerImageTags.ElasticsearchTag)
            .WithImageRegistry(IhrisContainerImageTags.Registry)
            .WithHttpEndpoint(targetPort: 9200, name: "http")
            .WithEnvironment("node.name", "es01")
            .WithEnvironment("discovery.type", "single-node")
            .WithEnvironment("xpack.security.enabled", "false")
            // A small heap; upstream's compose gives 512m and locks memory, which needs ulimits a cloud host may refuse.
            .WithEnvironment("ES_JAVA_OPTS", "-Xms384m -Xmx384m")
            .WithHttpHealthCheck("/_cluster/health?wait_for_status=yellow&timeout=1s", endpointName: "http")
            .WithIconName("Search");

        var redis = builder.AddContainer("ihris-redis", IhrisContainerImageTags.RedisImage, IhrisContainerImageTags.RedisTag)
            .WithImageRegistry(IhrisContainerImageTags.Registry)
            .WithEndpoint(targetPort: 6379, name: "tcp", scheme: "tcp")
            .WithArgs("redis-server", "--appendonly", "yes")
            .WithRedisPingHealthCheck("tcp")
            .WithIconName("Memory");

        var fhirEndpoint = fhir.Resource.HttpEndpoint;
        var esEndpoint = elasticsearch.GetEndpoint("http");
        var redisEndpoint = redis.GetEndpoint("tcp");
        var app = builder.AddResource(new IhrisResource(name))
            .WithImage(IhrisContainerImageTags.IhrisImage, IhrisContainerImageTags.IhrisTag)
            .WithImageRegistry(IhrisContainerImageTags.Registry)
            .WithHttpEndpoint(targetPort: IhrisResource.HttpPort, name: IhrisResource.HttpEndpointName)
            .WithExternalHttpEndpoints()
            .WithEnvironment("IHRIS_FHIR__BASE", ReferenceExpression.Create($"{fhirEndpoint.Property(EndpointProperty.Url)}/fhir"))
            .WithEnvironment("IHRIS_REDIS__URL",
                ReferenceExpression.Create($"redis://{redisEndpoint.Property(EndpointProperty.Host)}:{redisEndpoint.Property(EndpointProperty.Port)}"))
            .WithEnvironment("IHRIS_ELASTICSEARCH__BASE", esEndpoint)
            // iHRIS commits its JWT secret to its repository: anything real must override it.
            .WithEnvironment("IHRIS_AUTH__SECRET", authSecret)
            // Without it iHRIS draws a random session secret per process and every sign-in dies on restart.
            .WithEnvironment("IHRIS_SESSION__SECRET", sessionSecret)
            .WithHttpHealthCheck("/config/app", endpointName: IhrisResource.HttpEndpointName)
            .WithUrlForEndpoint(IhrisResource.HttpEndpointName, url =>
                url.DisplayText = $"iHRIS (user {IhrisResource.AdminEmail}, password: parameter ihris-admin-password)")
            .WaitFor(fhir)
            .WaitFor(elasticsearch)
            .WaitFor(redis)
            .WithIconName("PeopleTeam");
        return new IhrisContainers(app, fhir);
    }
}
