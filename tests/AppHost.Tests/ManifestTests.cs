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
                if (!looksSecret || text.Length == 0 || key is "Bootstrap__FineractDefaultPassword" or "Ihris__EnforceAdminPassword") continue;
                Assert.True(text.StartsWith('{') && text.EndsWith('}'), $"{name}: {key} is a literal in the manifest");
            }
        }
        // No bind mounts: Azure Container Apps cannot use them.
        Assert.DoesNotContain("bindMounts", manifest.ToJsonString());
    }

    private static JsonObject CommittedResources() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Root, "infra", "aspire-manifest.json")))!["resources"]!.AsObject();

    [Fact]
    public void Azd_evaluates_every_value_of_the_manifest()
    {
        var resources = CommittedResources();
        var names = resources.Select(r => r.Key).ToHashSet();
        var problems = new List<string>();
        foreach (var (name, resource) in resources)
        {
            var values = (resource!["env"]?.AsObject() ?? []).Select(kv => ($"env {kv.Key}", kv.Value!.GetValue<string>()))
                .Concat((resource["args"]?.AsArray() ?? []).Select((a, i) => ($"args[{i}]", a!.GetValue<string>())))
                .Concat(resource["connectionString"] is { } cs ? [("connectionString", cs.GetValue<string>())] : [])
                .Concat(resource["value"] is JsonValue v ? [("value", v.GetValue<string>())] : []);
            foreach (var (where, value) in values)
            {
                if (AzdExpressions.Problem(value, names) is { } problem) problems.Add($"{name} {where}: {problem}");
            }
        }
        Assert.True(problems.Count == 0, "azd up would fail on:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void The_manifest_holds_only_what_azd_deploys()
    {
        string[] supported = ["project.v0", "project.v1", "container.v0", "container.v1", "dockerfile.v0", "parameter.v0", "value.v0",
            "annotated.string", "azure.bicep.v0", "azure.bicep.v1"];
        foreach (var (name, resource) in CommittedResources())
        {
            var type = resource!["type"]!.GetValue<string>();
            Assert.True(supported.Contains(type), $"{name}: azd cannot deploy a {type}");
            // azd refuses a secret parameter with a fixed default ("default value for secured parameter ... is not supported").
            if (type == "parameter.v0" && resource["inputs"]?["value"] is { } input && input["secret"]?.GetValue<bool>() == true)
                Assert.Null(input["default"]?["value"]);
            // Container Apps allow one external ingress per app, and only for HTTP.
            var external = (resource["bindings"]?.AsObject() ?? []).Where(b => b.Value!["external"]?.GetValue<bool>() == true).ToList();
            Assert.True(external.Count <= 1, $"{name} has several external bindings");
            Assert.All(external, b => Assert.StartsWith("http", b.Value!["scheme"]!.GetValue<string>()));
        }
    }

    [Fact]
    public void Once_deployed_the_browser_reaches_only_external_endpoints()
    {
        var resources = CommittedResources();
        string[] userInterfaces = ["portal", "mifos", "odk-central", "ihris"];
        foreach (var name in userInterfaces)
            Assert.True(resources[name]!["bindings"]!["http"]!["external"]?.GetValue<bool>() == true, $"{name} is not reachable from outside");
        // No demo once deployed: it registers and pays a worker of its own.
        Assert.Equal("false", resources["portal"]!["env"]!["Portal__Demo__Enabled"]!.GetValue<string>());
        Assert.False(resources.ContainsKey("portal-demo-key"));
        // The Mifos X web app calls Fineract from the browser: on its own origin (no FINERACT_API_URL), proxied inside.
        var mifos = resources["mifos"]!["env"]!.AsObject();
        Assert.False(mifos.ContainsKey("FINERACT_API_URL"));
        Assert.Equal("{fineract.bindings.http.url}", mifos["NGINX_UPSTREAM"]!.GetValue<string>());
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
