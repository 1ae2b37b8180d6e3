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

/// <summary>
/// ODK Central's API server (central-service). Named <c>service</c> as in upstream's compose file; central-service
/// itself reaches <c>pyxform:80</c> and <c>enketo:8005</c> by those literal names (config.json.template).
/// </summary>
public sealed class OdkServiceResource(string name) : ContainerResource(name)
{
    public const string HostName = "service";
    internal const string HttpEndpointName = "http";
    public const int HttpPort = 8383;
    public EndpointReference HttpEndpoint => new(this, HttpEndpointName);
}

/// <summary>A mail catcher for the evaluator's machine: ODK Central's invitations and password resets land here.</summary>
public sealed class MailCatcherResource(string name) : ContainerResource(name)
{
    internal const string SmtpEndpointName = "smtp";
    internal const string HttpEndpointName = "http";
    public const int SmtpPort = 1025;
    public const int HttpPort = 8025;
    public EndpointReference SmtpEndpoint => new(this, SmtpEndpointName);
}
