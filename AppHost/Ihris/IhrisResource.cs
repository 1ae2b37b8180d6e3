namespace OneClickSuite.AppHost.Ihris;

/// <summary>The iHRIS 5 backend and web app (Node), which serves its own API and proxies FHIR to HAPI.</summary>
public sealed class IhrisResource(string name) : ContainerResource(name), IResourceWithServiceDiscovery
{
    internal const string HttpEndpointName = "http";
    public const int HttpPort = 3000;
    /// <summary>iHRIS's seeded administrator (upstreams.md).</summary>
    public const string AdminEmail = "admin@ihris.org";

    /// <summary>
    /// The administrator password every fresh iHRIS container restores (iHRIS/iHRIS IhrisUser.fsh, loaded at each first
    /// start). Not a secret of ours: bootstrap signs in with it and replaces it with <c>ihris-admin-password</c>.
    /// </summary>
    public const string UpstreamDefaultPassword = "ihris";
    public EndpointReference HttpEndpoint => new(this, HttpEndpointName);
}

/// <summary>HAPI FHIR, iHRIS's store. It has no authentication of its own, so it is never an external endpoint.</summary>
public sealed class HapiFhirResource(string name) : ContainerResource(name), IResourceWithServiceDiscovery
{
    internal const string HttpEndpointName = "http";
    public const int HttpPort = 8080;
    public EndpointReference HttpEndpoint => new(this, HttpEndpointName);
}
