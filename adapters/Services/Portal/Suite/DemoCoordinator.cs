using System.Diagnostics;
using OneClickSuite.Demo;
using OneClickSuite.Portal.Data;

namespace OneClickSuite.Portal.Suite;

/// <summary>
/// The one-click demo (configuration Portal:Demo). It exists where evaluators run the suite (the sandbox, a full
/// graph on their machine) and nowhere else: in external mode and once deployed, <see cref="Enabled"/> is false and
/// every way to start it answers that it is not here.
/// </summary>
public sealed class PortalDemoOptions
{
    public const string SectionName = "Portal:Demo";

    public bool Enabled { get; set; }

    /// <summary>A demo that takes longer than this is stopped and reported as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Runs the demo one at a time, whoever starts it (the page's button or the dashboard's command), and keeps its
/// narration so that every open page shows the same run as it progresses.
/// </summary>
public sealed class DemoCoordinator(IServiceScopeFactory scopes, Microsoft.Extensions.Options.IOptions<PortalDemoOptions> options,
    IHostApplicationLifetime lifetime, ILogger<DemoCoordinator> logger)
{
    public const string TelemetryName = "OneClickSuite.Portal.Demo";
    private static readonly ActivitySource Source = new(TelemetryName);

    private readonly Lock _gate = new();
    private readonly List<DemoStep> _steps = [];
    private Task<DemoResult>? _running;
    private bool _busy;

    /// <summary>Raised on every step and when a run starts or ends; handlers must not block.</summary>
    public event Action? Changed;

    public bool IsRunning { get { lock (_gate) return _busy; } }

    /// <summary>Whether the demo exists here (the sandbox, or a full graph on an evaluator's machine).</summary>
    public bool Enabled => options.Value.Enabled;

    public const string NotHere = "The demo runs only in the sandbox and on an evaluator's own machine: it pays a worker it registers " +
                                  "itself, so it has no place beside a ministry's systems or in a deployment.";

    public string? StartedBy { get; private set; }

    public DateTimeOffset? StartedAt { get; private set; }

    public DemoResult? LastResult { get; private set; }

    public TimeSpan? LastDuration { get; private set; }

    /// <summary>The latest state of every step of the current (or last) run, in order.</summary>
    public IReadOnlyList<DemoStep> Steps { get { lock (_gate) return _steps.ToList(); } }

    /// <summary>Starts a run unless one is under way (then answers null); the returned task ends with the run.</summary>
    public Task<DemoResult>? TryStart(string startedBy)
    {
        if (!Enabled) return null;
        lock (_gate)
        {
            if (_busy) return null;
            _busy = true;
            _steps.Clear();
            StartedBy = startedBy;
            StartedAt = DateTimeOffset.UtcNow;
            LastResult = null;
            LastDuration = null;
            _running = Task.Run(() => RunAsync(startedBy));
        }
        Changed?.Invoke();
        return _running;
    }

    private async Task<DemoResult> RunAsync(string startedBy)
    {
        using var activity = Source.StartActivity("demo run");
        activity?.SetTag("portal.user", startedBy);
        var stopwatch = Stopwatch.StartNew();
        await using var scope = scopes.CreateAsyncScope();
        var audit = scope.ServiceProvider.GetRequiredService<AuditLog>();
        var demo = options.Value;
        DemoResult result;
        try
        {
            await audit.RecordAsync(startedBy, "run-demo", "demo", "started", $"acting as {DemoActors.Default.Clerk} and {DemoActors.Default.Approver}", lifetime.ApplicationStopping);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
            timeout.CancelAfter(demo.Timeout);
            var runner = scope.ServiceProvider.GetRequiredService<DemoRunner>();
            result = await runner.RunAsync(DemoActors.Default, new Progress(this), timeout.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogError(ex, "The demo stopped");
            result = new DemoResult(false, "", null, null, 0m, ex is OperationCanceledException ? "the demo took too long and was stopped" : ex.Message);
        }
        LastDuration = stopwatch.Elapsed;
        LastResult = result;
        activity?.SetTag("demo.succeeded", result.Succeeded);
        logger.LogInformation("Demo started by {User} {Outcome} in {Seconds:F1} s (worker {WorkerId}, {Amount})", startedBy,
            result.Succeeded ? "succeeded" : "failed", stopwatch.Elapsed.TotalSeconds, result.WorkerId, result.Amount);
        try
        {
            await audit.RecordAsync(startedBy, "run-demo", result.WorkerId is { Length: > 0 } ? $"worker {result.WorkerId}" : "demo",
                result.Succeeded ? "done" : "failed",
                result.Succeeded ? $"paid {result.Amount} in {stopwatch.Elapsed.TotalSeconds:F1} s, pay run {result.PayRunId}" : result.Error,
                CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogWarning(ex, "The demo's outcome could not be recorded in the audit trail");
        }
        lock (_gate) _busy = false;
        Changed?.Invoke();
        return result;
    }

    private void Report(DemoStep step)
    {
        lock (_gate)
        {
            var index = _steps.FindIndex(s => s.Number == step.Number);
            if (index >= 0) _steps[index] = step;
            else
            {
                _steps.Add(step);
                _steps.Sort((a, b) => a.Number.CompareTo(b.Number));
            }
        }
        Changed?.Invoke();
    }

    /// <summary>Reports synchronously: <see cref="Progress{T}"/> would post to a thread-pool context and could reorder steps.</summary>
    private sealed class Progress(DemoCoordinator coordinator) : IProgress<DemoStep>
    {
        public void Report(DemoStep value) => coordinator.Report(value);
    }
}
