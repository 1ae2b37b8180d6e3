using System.Diagnostics;

namespace OneClickSuite.AppHost;

/// <summary>Which systems the graph runs: real containers, emulators, or systems a ministry already operates.</summary>
public enum SuiteMode
{
    /// <summary>Every upstream system as its published container image.</summary>
    Full,
    /// <summary>No container at all: PostgreSQL and RabbitMQ from the machine's packages, emulators for the rest.</summary>
    Sandbox,
    /// <summary>Fineract, ODK Central and iHRIS already run elsewhere; the graph points the adapters at them.</summary>
    External,
}

public static class SuiteModeExtensions
{
    public const string ConfigurationKey = "Suite:Mode";

    /// <summary>
    /// Reads <c>Suite:Mode</c>. Where it is unset: publishing always describes the full graph; a run starts the
    /// full graph when a container engine answers and the sandbox otherwise, and says so.
    /// </summary>
    public static SuiteMode GetSuiteMode(this IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration[ConfigurationKey];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Enum.TryParse<SuiteMode>(configured, ignoreCase: true, out var mode)
                ? mode
                : throw new InvalidOperationException(
                    $"{ConfigurationKey}='{configured}' is not a mode: use full, sandbox or external.");
        }

        if (builder.ExecutionContext.IsPublishMode) return SuiteMode.Full;

        var engine = ContainerEngine.Answering();
        if (engine is not null)
        {
            Console.WriteLine($"OneClickSuite: {engine} answers, starting the full suite (set {ConfigurationKey}=sandbox for emulators).");
            return SuiteMode.Full;
        }
        Console.WriteLine(
            $"OneClickSuite: no container engine answers, so the SANDBOX starts: PostgreSQL and RabbitMQ from this machine, " +
            $"emulators of Fineract, ODK Central, iHRIS, a mobile money provider and Payment Hub EE. Start Docker or Podman for the real systems, or set {ConfigurationKey}.");
        return SuiteMode.Sandbox;
    }
}

public static class EvaluatorMachine
{
    /// <summary>
    /// Whether the graph runs where evaluators try the suite (the sandbox, or a full graph on their own machine), not
    /// beside a ministry's systems nor deployed: the demo and the stand-ins for systems no one publishes an image of
    /// (a mobile money provider) belong only there.
    /// </summary>
    public static bool IsEvaluatorMachine(this IDistributedApplicationBuilder builder, SuiteMode mode) =>
        mode == SuiteMode.Sandbox || (mode == SuiteMode.Full && builder.ExecutionContext.IsRunMode);
}

/// <summary>Asks Docker or Podman whether a daemon answers, the way Aspire itself would need it to.</summary>
internal static class ContainerEngine
{
    public static string? Answering()
    {
        var preferred = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME");
        string[] candidates = string.IsNullOrWhiteSpace(preferred) ? ["docker", "podman"] : [preferred];
        return candidates.FirstOrDefault(Answers);
    }

    private static bool Answers(string engine)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(engine, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null) return false;
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}
