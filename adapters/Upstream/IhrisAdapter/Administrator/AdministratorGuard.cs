using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients;
using OneClickSuite.Clients.Ihris;

namespace OneClickSuite.IhrisAdapter.Administrator;

/// <summary>
/// Keeps iHRIS's administrator signing in with the configured email and password (parameters ihris-admin-email and
/// ihris-admin-password), and its demo user off the published default password. Every new iHRIS container loads both
/// users again with the password "ihris" (<see cref="IhrisUsers"/>), which would lock people out and put a public
/// default password on an internet-facing sign-in page: so this checks at start and every
/// <c>Ihris:AdministratorCheckInterval</c> (30 s), on the FHIR server where iHRIS keeps its users. Only where the suite
/// runs iHRIS (<see cref="IhrisOptions.EnforceAdminPassword"/>); a ministry's own administrator is theirs.
/// </summary>
public sealed class AdministratorGuard(IServiceScopeFactory scopes, IOptions<IhrisOptions> options, IConfiguration configuration,
    ILogger<AdministratorGuard> logger) : BackgroundService
{
    protected override async System.Threading.Tasks.Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.EnforceAdminPassword) return;
        if (string.IsNullOrEmpty(o.AdminEmail) || string.IsNullOrEmpty(o.AdminPassword))
        {
            logger.LogError("Ihris:EnforceAdminPassword is on but Ihris:AdminEmail or Ihris:AdminPassword is not set");
            return;
        }
        var interval = configuration.GetValue("Ihris:AdministratorCheckInterval", TimeSpan.FromSeconds(30));
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await EnsureAsync(scope.ServiceProvider.GetRequiredService<IhrisClient>(), o.AdminEmail, o.AdminPassword, logger, stoppingToken);
            }
            catch (UpstreamException ex)
            {
                logger.LogWarning("iHRIS administrator not checked: {Error}", ex.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One check; true when something had to be put right.</summary>
    public static async Task<bool> EnsureAsync(IhrisClient ihris, string email, string password, ILogger logger, CancellationToken ct)
    {
        var changed = false;
        // Absent until iHRIS's first start has loaded its users.
        if (await ihris.ReadAsync<Person>(IhrisUsers.AdministratorId, ct) is { } administrator
            && (IhrisUsers.Email(administrator) != email || !IhrisUsers.HasPassword(administrator, password)))
        {
            IhrisUsers.SetEmail(administrator, email);
            IhrisUsers.SetPassword(administrator, password);
            await ihris.UpdateAsync(administrator, ct);
            logger.LogWarning("iHRIS administrator had another email or password (a new iHRIS container restores the published default): " +
                              "the configured ones are in place again");
            changed = true;
        }
        if (await ihris.ReadAsync<Person>(IhrisUsers.DemoUserId, ct) is { } demo && IhrisUsers.HasPassword(demo, IhrisUsers.PublishedDefaultPassword))
        {
            // Nobody is told this password: whoever needs the demo user sets one in iHRIS.
            IhrisUsers.SetPassword(demo, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
            await ihris.UpdateAsync(demo, ct);
            logger.LogWarning("iHRIS demo user had the published default password: replaced by a random one");
            changed = true;
        }
        return changed;
    }
}
