using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>How a one-shot program (db-setup, bootstrap) ends.</summary>
public static class OneShot
{
    /// <summary>
    /// Returns the exit code, after staying up until stopped when it is 0 and <c>OneShot:StayUp</c> is set: where the
    /// platform restarts every container that exits (Azure Container Apps), a finished one-shot must not exit, or it
    /// runs again and again.
    /// </summary>
    public static async Task<int> FinishAsync(IHost host, int exitCode)
    {
        if (exitCode == 0 && host.Services.GetRequiredService<IConfiguration>().GetValue<bool>("OneShot:StayUp"))
        {
            var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OneShot");
            logger.LogInformation("Done; staying up until stopped, so that the platform does not run this again");
            var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            try
            {
                await Task.Delay(Timeout.Infinite, stopping);
            }
            catch (OperationCanceledException)
            {
                // stopped
            }
        }
        return exitCode;
    }
}
