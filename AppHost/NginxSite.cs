using System.Text;

namespace OneClickSuite.AppHost;

/// <summary>
/// A small nginx site handed to a container at start. azd evaluates every <c>{…}</c> in the manifest's environment
/// values and arguments as an expression (Azure/azure-dev cli/azd/pkg/apphost/eval.go), and an nginx site is all
/// braces: so the site travels base64-encoded in one variable and the container decodes it before nginx starts. The
/// upstream it proxies to is written as a placeholder (<c>@UPSTREAM@</c>) and filled in from an endpoint reference,
/// so the same site works on a Docker network and behind Container Apps' internal ingress.
/// </summary>
public static class NginxSite
{
    public const string SiteVariable = "NGINX_SITE_BASE64";
    public const string UpstreamVariable = "NGINX_UPSTREAM";
    public const string UpstreamPlaceholder = "@UPSTREAM@";

    public static string Encode(string site) => Convert.ToBase64String(Encoding.UTF8.GetBytes(site.ReplaceLineEndings("\n")));

    /// <summary>Shell that removes every site the image ships in <c>conf.d</c> and installs ours as <paramref name="fileName"/>.</summary>
    public static string InstallCommand(string fileName) =>
        "rm -f /etc/nginx/conf.d/* " +
        $"&& printf '%s' \"${SiteVariable}\" | base64 -d | sed \"s|{UpstreamPlaceholder}|${UpstreamVariable}|g\" > /etc/nginx/conf.d/{fileName}";

    /// <summary>Gives a container its site and the upstream the site proxies to.</summary>
    public static IResourceBuilder<T> WithNginxSite<T>(this IResourceBuilder<T> resource, string site, ReferenceExpression upstream)
        where T : IResourceWithEnvironment =>
        resource.WithEnvironment(SiteVariable, Encode(site))
            .WithEnvironment(UpstreamVariable, upstream);
}
