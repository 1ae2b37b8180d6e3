using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.Logging;

namespace OneClickSuite.DatabaseSetup;

/// <summary>The broker's users: one per service, with the permissions its messages need and no more.</summary>
public sealed class BrokerSpec
{
    /// <summary>RabbitMQ's management API (the management plugin), e.g. <c>http://rabbitmq:15672</c>.</summary>
    public string? ManagementUrl { get; set; }
    public string? AdminUser { get; set; }
    public string? AdminPassword { get; set; }
    public List<BrokerUserSpec> Users { get; set; } = [];
}

public sealed class BrokerUserSpec
{
    public string Name { get; set; } = "";
    public string? Password { get; set; }
    public string Configure { get; set; } = "^$";
    public string Write { get; set; } = "^$";
    public string Read { get; set; } = "^$";
}

/// <summary>
/// Creates or updates each service's RabbitMQ user through the management API (PUT /api/users/{name}, PUT
/// /api/permissions/{vhost}/{name}): passwords travel in request bodies, never on a command line. Safe to run again.
/// </summary>
public static class BrokerProvisioner
{
    public static async Task ProvisionAsync(BrokerSpec broker, ILogger logger, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(broker.ManagementUrl) || broker.Users.Count == 0) return;
        using var http = new HttpClient { BaseAddress = new Uri(broker.ManagementUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{broker.AdminUser}:{broker.AdminPassword}")));
        foreach (var user in broker.Users)
        {
            if (string.IsNullOrEmpty(user.Password)) throw new InvalidOperationException($"Setup:Broker: user {user.Name} has no Password");
            var name = Uri.EscapeDataString(user.Name);
            await PutAsync(http, $"api/users/{name}", new { password = user.Password, tags = "" }, logger, ct);
            await PutAsync(http, $"api/permissions/%2F/{name}", new { configure = user.Configure, write = user.Write, read = user.Read }, logger, ct);
            logger.LogInformation("Broker user {User} ready (configure {Configure}, write {Write}, read {Read})",
                user.Name, user.Configure, user.Write, user.Read);
        }
    }

    private static async Task PutAsync(HttpClient http, string path, object body, ILogger logger, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await http.PutAsJsonAsync(path, body, ct);
                if (response.IsSuccessStatusCode) return;
                if ((int)response.StatusCode < 500 && response.StatusCode != HttpStatusCode.Unauthorized)
                    throw new InvalidOperationException($"RabbitMQ PUT /{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
                if (attempt >= 30) throw new InvalidOperationException($"RabbitMQ PUT /{path} answered {(int)response.StatusCode}");
                logger.LogWarning("RabbitMQ management answered {Status}; retrying", (int)response.StatusCode);
            }
            catch (HttpRequestException ex) when (attempt < 30)
            {
                logger.LogWarning("RabbitMQ management not reachable ({Message}); retrying", ex.Message);
            }
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
    }
}
