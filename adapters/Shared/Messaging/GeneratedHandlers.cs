using System.Reflection;
using JasperFx;
using JasperFx.CodeGeneration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace OneClickSuite.Messaging;

/// <summary>
/// Wolverine's handler adapters, generated ahead of time. Each service commits them under <c>Internal/Generated</c>
/// and compiles them in, and Wolverine runs in <see cref="TypeLoadMode.Static"/>: it only looks the types up, so
/// no C# compiler is referenced or loaded at run time. Regenerate them after changing a handler's signature, its
/// constructor's services, or the messaging set-up: <c>adapters/Shared/Messaging/generate-handlers.sh</c>.
/// </summary>
public static class GeneratedHandlers
{
    /// <summary>Where <c>codegen write</c> puts the files; tests point it elsewhere to compare.</summary>
    public const string OutputPathSetting = "Messaging:GeneratedCodePath";

    /// <summary>True while JasperFx's <c>codegen</c> command runs (it looks for "codegen" among the process's arguments).</summary>
    public static bool Generating => DynamicCodeBuilder.WithinCodegenCommand;

    /// <summary>
    /// <see cref="OutputPathSetting"/> if set, else <c>Internal/Generated</c> in the project of
    /// <paramref name="handlers"/>: found by climbing from the build output to the folder holding its project file,
    /// so the command writes to the same place whatever directory it is run from.
    /// </summary>
    public static string OutputPath(IConfiguration configuration, Assembly handlers)
    {
        var configured = configuration[OutputPathSetting];
        if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (dir.EnumerateFiles("*.csproj").Any()) return Path.Combine(dir.FullName, "Internal", "Generated");
        }
        // A published service has no project above it; the path is only used by `codegen write`.
        return Path.Combine(AppContext.BaseDirectory, "Internal", "Generated");
    }

    /// <summary>
    /// Runs the service, or JasperFx's command line when the first argument is one of its commands
    /// (<c>codegen write</c>, <c>codegen preview</c>); any other start is exactly <c>app.Run()</c>.
    /// </summary>
    public static async Task<int> RunWithCommandsAsync(this WebApplication app, string[] args)
    {
        if (args.Length > 0 && args[0] == "codegen") return await app.RunJasperFxCommands(args);
        await app.RunAsync();
        return 0;
    }
}
