namespace OneClickSuite.AppHost.Fineract;

/// <summary>Apache Fineract, the core banking server behind Mifos X.</summary>
public sealed class FineractResource(string name) : ContainerResource(name), IResourceWithServiceDiscovery
{
    internal const string HttpEndpointName = "http";
    public const int HttpPort = 8080;
    public const string ContextPath = "/fineract-provider";
    public const string HealthPath = ContextPath + "/actuator/health";
    public const string Tenant = "default";

    /// <summary>The administrator a fresh tenant comes with; bootstrap replaces its upstream default password.</summary>
    public const string AdminUser = "mifos";

    /// <summary>
    /// The password every fresh Fineract tenant ships with (upstreams.md). Not a secret of ours: bootstrap signs in
    /// with it once and replaces it with the <c>fineract-password</c> parameter.
    /// </summary>
    public const string UpstreamDefaultPassword = "password";

    public EndpointReference HttpEndpoint => new(this, HttpEndpointName);
}

/// <summary>The Mifos X web app: an nginx-served single-page app, with Fineract's API proxied under its origin.</summary>
public sealed class MifosWebAppResource(string name) : ContainerResource(name)
{
    internal const string HttpEndpointName = "http";
    public EndpointReference HttpEndpoint => new(this, HttpEndpointName);
}
