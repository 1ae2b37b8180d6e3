namespace OneClickSuite.Testing;

/// <summary>Where the repository and the shared contracts are, seen from a test's output folder.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary><c>../shared/contracts</c> beside the repository, or null where it is absent (tests then skip).</summary>
    public static string? SharedContracts
    {
        get
        {
            var path = Path.GetFullPath(Path.Combine(Root, "..", "shared", "contracts"));
            return Directory.Exists(path) ? path : null;
        }
    }

    public static string SandboxScript(string name) => Path.Combine(Root, "AppHost", "Sandbox", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OneClickSuite.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No OneClickSuite.sln above {AppContext.BaseDirectory}");
    }
}
