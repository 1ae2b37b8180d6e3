using System.Diagnostics;
using System.Reflection;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OneClickSuite.Messaging;
using OneClickSuite.Testing;
using Xunit;

namespace OneClickSuite.Roster.Tests;

/// <summary>
/// The services run Wolverine's handlers from code generated ahead of time and committed (TypeLoadMode.Static): each
/// service's committed Internal/Generated must be exactly what its current handlers and set-up generate, or a
/// service would run stale adapters (or fail to start). Needs no server: the hosts are built, never started.
/// </summary>
public sealed class GeneratedHandlersTests
{
    public const string Regenerate = "adapters/Shared/Messaging/generate-handlers.sh";

    private static readonly Dictionary<string, Assembly> Projects = new()
    {
        ["adapters/Upstream/FineractAdapter"] = typeof(FineractAdapterApp).Assembly,
        ["adapters/Upstream/OdkAdapter"] = typeof(OdkAdapterApp).Assembly,
        ["adapters/Upstream/IhrisAdapter"] = typeof(IhrisAdapterApp).Assembly,
        ["adapters/Upstream/MobileMoneyAdapter"] = typeof(MobileMoneyAdapterApp).Assembly,
        ["adapters/Upstream/PaymentHubAdapter"] = typeof(PaymentHubAdapterApp).Assembly,
        ["adapters/Services/Payroll"] = typeof(PayrollApp).Assembly,
    };

    public static TheoryData<string> Services => new(Projects.Keys);

    [Theory]
    [MemberData(nameof(Services))]
    public void Committed_handler_code_is_what_the_service_generates_today(string project)
    {
        var committed = Path.Combine(Repository.Root, project, "Internal", "Generated");
        var fresh = Directory.CreateTempSubdirectory("generated-handlers-").FullName;
        try
        {
            using (var host = BuildHost(Projects[project], fresh))
            {
                var builder = new DynamicCodeBuilder(host.Services, host.Services.GetServices<ICodeFileCollection>().ToArray())
                {
                    ServiceVariableSource = host.Services.GetService<IServiceVariableSource>(),
                };
                builder.WriteGeneratedCode(_ => { });
            }

            var expected = Files(fresh);
            var actual = Directory.Exists(committed) ? Files(committed) : new Dictionary<string, string>();
            Assert.NotEmpty(expected);
            var stale = expected.Keys.Union(actual.Keys)
                .Where(name => !expected.TryGetValue(name, out var e) || !actual.TryGetValue(name, out var a) || e != a)
                .Order(StringComparer.Ordinal)
                .ToList();
            Assert.True(stale.Count == 0,
                $"{project}/Internal/Generated is out of date ({string.Join(", ", stale)} missing, extra or different): " +
                $"run {Regenerate} (or `dotnet run --project {project} -- codegen write`) and commit the result.");
        }
        finally
        {
            Directory.Delete(fresh, recursive: true);
        }
    }

    private static Dictionary<string, string> Files(string root) =>
        Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).ToDictionary(
            file => Path.GetRelativePath(root, file).Replace('\\', '/'),
            file => File.ReadAllText(file).ReplaceLineEndings("\n"));

    /// <summary>
    /// Runs the service's Program up to <c>builder.Build()</c>, as the <c>codegen</c> command sees it, and keeps the
    /// built host (the rest of Program, which would migrate and run, is stopped there). The generated code goes to
    /// <paramref name="output"/> instead of the project.
    /// </summary>
    private static IHost BuildHost(Assembly service, string output)
    {
        string[] args =
        [
            $"--{GeneratedHandlers.OutputPathSetting}={output}",
            $"--ConnectionStrings:{SuiteMessaging.DatabaseConnectionName}=Host=localhost",
            $"--ConnectionStrings:{SuiteMessaging.BrokerConnectionName}=amqp://localhost/",
            $"--{SuiteIdentity.SigningKeySetting}={TestIdentity.SigningKey}",
        ];
        using var capture = new HostCapture();
        try
        {
            service.EntryPoint!.Invoke(null, [args]);
        }
        catch (TargetInvocationException e) when (e.InnerException is HostCapture.Captured)
        {
        }
        return capture.Host ?? throw new InvalidOperationException($"{service.GetName().Name} built no host");
    }

    /// <summary>Takes the host this thread builds (from the hosting diagnostics events) and stops the program there.</summary>
    private sealed class HostCapture : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        [ThreadStatic] private static HostCapture? _current;
        private readonly List<IDisposable> _subscriptions = [];
        private readonly IDisposable _all;

        public HostCapture()
        {
            _current = this;
            _all = DiagnosticListener.AllListeners.Subscribe(this);
        }

        public IHost? Host { get; private set; }

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name != "Microsoft.Extensions.Hosting") return;
            lock (_subscriptions) _subscriptions.Add(listener.Subscribe(this));
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            // Other tests build hosts on other threads at the same time: only this thread's is ours.
            if (_current != this || value.Key != "HostBuilt" || value.Value is not IHost host || Host is not null) return;
            Host = host;
            throw new Captured();
        }

        public void OnCompleted() { }

        public void OnError(Exception error) { }

        public void Dispose()
        {
            _current = null;
            _all.Dispose();
            lock (_subscriptions) _subscriptions.ForEach(s => s.Dispose());
        }

        public sealed class Captured : Exception;
    }
}
