using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OneClickSuite.IhrisAdapter.Roster;

public static class RosterTelemetry
{
    public const string Name = "OneClickSuite.Roster";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    /// <summary>Roster events published (registered, changed, left).</summary>
    public static readonly Counter<long> Synced = Meter.CreateCounter<long>("roster.workers.synced", description: "Worker changes published");

    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("roster.workers.failed", description: "Roster reads that failed");

    public static readonly Counter<long> Quarantined = Meter.CreateCounter<long>("roster.workers.quarantined", description: "Worker records set aside");
}
