using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace OneClickSuite.Portal.Security;

/// <summary>
/// How many sign-in attempts one client address may make in a window (<c>Portal:SignInLimits</c>). This slows down
/// guessing across many names; the lockout (<see cref="PortalUsers.MaxFailedAttempts"/>) guards each name.
/// </summary>
public sealed class SignInLimits
{
    public const string SectionName = "Portal:SignInLimits";

    /// <summary>The rate limiter policy on every sign-in route.</summary>
    public const string Policy = "sign-in";

    /// <summary>Attempts per address in one window (<c>Portal:SignInLimits:PermitLimit</c>).</summary>
    public int PermitLimit { get; set; } = 20;

    /// <summary>The window's length in seconds (<c>Portal:SignInLimits:WindowSeconds</c>).</summary>
    public int WindowSeconds { get; set; } = 60;

    /// <summary>Registers the policy: a fixed window per client address; over the limit the portal answers 429.</summary>
    public static void AddSignInRateLimiter(IServiceCollection services, IConfiguration configuration)
    {
        var limits = configuration.GetSection(SectionName).Get<SignInLimits>() ?? new SignInLimits();
        if (limits.PermitLimit < 1 || limits.WindowSeconds < 1)
            throw new InvalidOperationException($"{SectionName}:PermitLimit and :WindowSeconds must be at least 1");
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(Policy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.PermitLimit,
                    Window = TimeSpan.FromSeconds(limits.WindowSeconds),
                    QueueLimit = 0,
                }));
            options.OnRejected = async (context, ct) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                    ? (int)Math.Ceiling(retryAfter.TotalSeconds)
                    : limits.WindowSeconds;
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.HttpContext.Response.WriteAsJsonAsync(new
                {
                    status = StatusCodes.Status429TooManyRequests,
                    title = $"too many sign-in attempts from this address: try again in {seconds} s",
                }, ct);
            };
        });
    }
}
