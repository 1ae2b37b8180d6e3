namespace OneClickSuite.AppHost.Odk;

/// <summary>
/// ODK Central's front end (central-nginx): the web UI, and the API proxied to the <c>service</c> resource.
/// Clients, adapters included, talk to Central through it, as upstream intends.
/// </summary>
public sealed class OdkCentralResource(string name) : ContainerResource(name), IResourceWithServiceDiscovery
{
    internal const string HttpEndpointName = "http";
    public EndpointReference HttpEndpoint => new(this, HttpEndpointName);
}

/// <summary>ODK Central's API server (central-service). Its host name is fixed: nginx proxies to <c>service:8383</c>.</summary>
public sealed class OdkServiceResource(string name) : ContainerResource(name)
{
    public const string HostName = "service";
    internal const string HttpEndpointName = "http";
    public const int HttpPort = 8383;
    public EndpointReference HttpEndpoint => new(this, HttpEndpointName);
}
