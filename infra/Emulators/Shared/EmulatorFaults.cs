using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OneClickSuite.Emulators;

/// <summary>How an emulator misbehaves, for reliability tests and demonstrations.</summary>
public sealed record FaultSettings
{
    /// <summary>Share of upstream API calls that misbehave, 0 to 1.</summary>
    [JsonPropertyName("failureRate")] public double FailureRate { get; init; }

    /// <summary>error | lost-response | timeout | slow</summary>
    [JsonPropertyName("mode")] public string Mode { get; init; } = FaultModes.Error;

    /// <summary>How long "timeout" holds a request and "slow" delays it.</summary>
    [JsonPropertyName("delayMs")] public int? DelayMs { get; init; }

    public static readonly FaultSettings Off = new();

    public string? Validate()
    {
        if (FailureRate is < 0 or > 1 || double.IsNaN(FailureRate)) return "failureRate must be between 0 and 1";
        if (!FaultModes.All.Contains(Mode)) return $"mode must be one of {string.Join(", ", FaultModes.All)}";
        if (DelayMs is < 0 or > 600_000) return "delayMs must be between 0 and 600000";
        return null;
    }
}

public static class FaultModes
{
    /// <summary>Answer 503 without doing the work.</summary>
    public const string Error = "error";
    /// <summary>Do the work, then answer 502: the caller cannot know it succeeded.</summary>
    public const string LostResponse = "lost-response";
    /// <summary>Hold the request, then answer 504 without doing the work.</summary>
    public const string Timeout = "timeout";
    /// <summary>Delay, then do the work normally.</summary>
    public const string Slow = "slow";
    public static readonly string[] All = [Error, LostResponse, Timeout, Slow];
}

/// <summary>The live fault settings of one emulator process.</summary>
public sealed class FaultSwitch
{
    private FaultSettings _settings = FaultSettings.Off;
    public FaultSettings Current => Volatile.Read(ref _settings);
    public void Set(FaultSettings settings) => Volatile.Write(ref _settings, settings);

    /// <summary>Whether this call should misbehave; thread-safe.</summary>
    public bool Strikes(FaultSettings settings) => settings.FailureRate > 0 && Random.Shared.NextDouble() < settings.FailureRate;
}

public static class EmulatorFaults
{
    public const string AdminPath = "/_emulator/faults";
    public const string ConfigurationSection = "Emulator:Faults";

    public static IHostApplicationBuilder AddEmulatorFaults(this IHostApplicationBuilder builder)
    {
        var initial = builder.Configuration.GetSection(ConfigurationSection).Get<FaultSettings>() ?? FaultSettings.Off;
        var error = initial.Validate();
        if (error is not null) throw new InvalidOperationException($"{ConfigurationSection}: {error}");
        var faultSwitch = new FaultSwitch();
        faultSwitch.Set(initial);
        builder.Services.AddSingleton(faultSwitch);
        return builder;
    }

    /// <summary>
    /// Applies faults to requests under the given path prefixes (the upstream API surface only, never health or admin
    /// endpoints, nor the emulator's own pages) and maps the admin endpoint <c>/_emulator/faults</c> (GET, PUT, DELETE)
    /// and the pages' form endpoint <c>/_emulator/faults/form</c> (POST).
    /// </summary>
    public static WebApplication UseEmulatorFaults(this WebApplication app, params string[] apiPathPrefixes)
    {
        var faultSwitch = app.Services.GetRequiredService<FaultSwitch>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OneClickSuite.Emulators.Faults");

        app.Use(async (context, next) =>
        {
            var settings = faultSwitch.Current;
            if (!apiPathPrefixes.Any(p => context.Request.Path.StartsWithSegments(p)) || !faultSwitch.Strikes(settings))
            {
                await next(context);
                return;
            }

            var delay = TimeSpan.FromMilliseconds(settings.DelayMs ?? (settings.Mode == FaultModes.Timeout ? 30_000 : 2_000));
            logger.LogInformation("Injected fault {Mode} on {Method} {Path}", settings.Mode, context.Request.Method, context.Request.Path);
            switch (settings.Mode)
            {
                case FaultModes.Error:
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    return;
                case FaultModes.Timeout:
                    try { await Task.Delay(delay, context.RequestAborted); } catch (OperationCanceledException) { return; }
                    context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
                    return;
                case FaultModes.Slow:
                    try { await Task.Delay(delay, context.RequestAborted); } catch (OperationCanceledException) { return; }
                    await next(context);
                    return;
                case FaultModes.LostResponse:
                    var realBody = context.Response.Body;
                    context.Response.Body = Stream.Null;
                    try { await next(context); }
                    finally { context.Response.Body = realBody; }
                    if (!context.Response.HasStarted)
                    {
                        context.Response.Clear();
                        context.Response.StatusCode = StatusCodes.Status502BadGateway;
                    }
                    return;
            }
        });

        var admin = app.MapGroup(AdminPath);
        admin.MapGet("", () => Results.Ok(faultSwitch.Current));
        admin.MapPut("", (FaultSettings settings) =>
        {
            var error = settings.Validate();
            if (error is not null) return Results.BadRequest(new { error });
            faultSwitch.Set(settings);
            logger.LogWarning("Faults set: {Rate:P0} {Mode}", settings.FailureRate, settings.Mode);
            return Results.Ok(settings);
        });
        admin.MapDelete("", () =>
        {
            faultSwitch.Set(FaultSettings.Off);
            logger.LogWarning("Faults off");
            return Results.Ok(FaultSettings.Off);
        });
        EmulatorPage.MapFaultForm(app, faultSwitch, logger);
        return app;
    }
}
