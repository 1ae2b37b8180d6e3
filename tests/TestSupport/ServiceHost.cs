using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace OneClickSuite.Testing;

/// <summary>
/// A suite service hosted in the test process (in-memory server) with the given configuration, verifying identities
/// signed with <see cref="TestIdentity.SigningKey"/> unless the settings name another key.
/// </summary>
public static class ServiceHost
{
    public static WebApplicationFactory<T> Start<T>(IReadOnlyDictionary<string, string> settings, string? environment = null) where T : class =>
        new WebApplicationFactory<T>().WithWebHostBuilder(web =>
        {
            web.UseSetting(Microsoft.Extensions.Hosting.SuiteIdentity.SigningKeySetting, TestIdentity.SigningKey);
            foreach (var (key, value) in settings) web.UseSetting(key, value);
            if (environment is not null) web.UseEnvironment(environment);
        });
}
