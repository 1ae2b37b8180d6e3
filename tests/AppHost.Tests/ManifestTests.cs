using System.Diagnostics;
using System.Text.Json.Nodes;
using OneClickSuite.Testing;

namespace OneClickSuite.AppHost.Tests;

/// <summary>infra/aspire-manifest.json is what azd deploys: it must be the graph as the code describes it today.</summary>
public class ManifestTests
{
    private const string Regenerate = "dotnet run --project AppHost -- --publisher manifest --output-path \"$PWD/infra\"";

    [Fact]
    public async Task Committed_manifest_matches_the_graph()
    {
        var committedPath = Path.Combine(Repository.Root, "infra", "aspire-manifest.json");
        Assert.True(File.Exists(committedPath), $"infra/aspire-manifest.json is missing: run {Regenerate}");

        var outputDirectory = Path.Combine(Repository.Root, "artifacts", $"manifest-{Guid.NewGuid():N}");
        try
        {
            await PublishManifestAsync(outputDirectory);
            var generated = Normalise(Path.Combine(outputDirectory, "aspire-manifest.json"));
            var committed = Normalise(committedPath);
            Assert.True(JsonNode.DeepEquals(committed, generated),
                $"infra/aspire-manifest.json is stale. Regenerate it from the repository root: {Regenerate}");
        }
        finally
        {
            if (Directory.Exists(outputDirectory)) Directory.Delete(outputDirectory, recursive: true);
        }
    }

    [Fact]
    public void Manifest_lists_every_system_with_pinned_images_and_parameterised_secrets()
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Root, "infra", "aspire-manifest.json")))!;
        var resources = manifest["resources"]!.AsObject();
        foreach (var name in new[] { "postgres", "rabbitmq", "fineract", "mifos", "service", "odk-central", "pyxform", "fhir", "es", "ihris", "bootstrap", "db-setup" })
            Assert.True(resources.ContainsKey(name), $"manifest lacks {name}");

        foreach (var (name, resource) in resources)
        {
            if (resource!["image"]?.GetValue<string>() is { } image)
            {
                var tag = image[(image.LastIndexOf(':') + 1)..];
                Assert.NotEqual("latest", tag);
                Assert.Matches(@"\d", tag);
            }
            foreach (var (key, value) in resource["env"]?.AsObject() ?? [])
            {
                var text = value!.GetValue<string>();
                var looksSecret = new[] { "PASSWORD", "PWD", "SECRET" }.Any(w => key.ToUpperInvariant().Contains(w));
                if (!looksSecret || text.Length == 0 || key is "Bootstrap__FineractDefaultPassword" or "Bootstrap__IhrisDefaultPassword") continue;
                Assert.True(text.StartsWith('{') && text.EndsWith('}'), $"{name}: {key} is a literal in the manifest");
            }
        }
        // No bind mounts: Azure Container Apps cannot use them.
        Assert.DoesNotContain("bindMounts", manifest.ToJsonString());
    }

    private static async Task PublishManifestAsync(string outputDirectory)
    {
        var info = new ProcessStartInfo("dotnet",
            ["run", "--project", Path.Combine(Repository.Root, "AppHost"), "--no-build", "--no-launch-profile", "--",
             "--publisher", "manifest", "--output-path", outputDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.Root,
        };
        info.Environment.Remove("Suite__Mode");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"manifest publishing failed:\n{await output}\n{await errors}");
    }

    /// <summary>Project paths are relative to the manifest's folder: compare them as absolute paths.</summary>
    private static JsonNode Normalise(string manifestPath)
    {
        var node = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        var folder = Path.GetDirectoryName(manifestPath)!;
        foreach (var (_, resource) in node["resources"]!.AsObject())
        {
            if (resource?["path"] is JsonValue path)
            {
                resource["path"] = Path.GetFullPath(Path.Combine(folder, path.GetValue<string>()));
            }
        }
        return node;
    }
}
