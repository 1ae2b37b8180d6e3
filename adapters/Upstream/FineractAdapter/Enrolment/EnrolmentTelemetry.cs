using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OneClickSuite.FineractAdapter.Enrolment;

public static class EnrolmentTelemetry
{
    public const string Name = "OneClickSuite.Roster";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);
    public static readonly Counter<long> Synced = Meter.CreateCounter<long>("roster.fineract.synced", description: "Roster events applied in Fineract");
    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("roster.fineract.failed", description: "Attempts that failed (retried or dead-lettered)");
}
