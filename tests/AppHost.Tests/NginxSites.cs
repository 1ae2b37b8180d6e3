using System.Text;
using OneClickSuite.AppHost;

namespace OneClickSuite.AppHost.Tests;

/// <summary>Reads back the nginx site a container is given (it travels base64-encoded, see <see cref="NginxSite"/>).</summary>
public static class NginxSites
{
    public static string Decode(IReadOnlyDictionary<string, object> environment) =>
        Encoding.UTF8.GetString(Convert.FromBase64String((string)environment[NginxSite.SiteVariable]));

    /// <summary>The shell a container runs at start (sh -c or bash -c).</summary>
    public static string StartScript(IResource resource) => Integration.Args(resource).Last();
}
