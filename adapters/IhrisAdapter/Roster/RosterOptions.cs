namespace OneClickSuite.IhrisAdapter.Roster;

/// <summary>Section "Roster" (and <c>Ihris:PollInterval</c>).</summary>
public sealed class RosterOptions
{
    public const string SectionName = "Roster";

    /// <summary>How often iHRIS is asked for changes (<c>Ihris:PollInterval</c>).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>ihris-salary writes the amount as a bare string: the currency it is in.</summary>
    public string SalaryCurrency { get; set; } = "USD";

    /// <summary>
    /// Jobs paid per activity, not by salary. ihris-job has no community health worker job; the suite uses
    /// Environmental Health Worker (3229-3A) for them (Bootstrap's DemoWorkforce).
    /// </summary>
    public string[] IncentiveJobCodes { get; set; } = ["3229-3A"];

    /// <summary>Changes are read from this long before the cursor too: HAPI stamps a resource before its commit is visible.</summary>
    public TimeSpan CursorOverlap { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>More changed workers than this in one poll are read by a full sync instead of one by one.</summary>
    public int FullSyncThreshold { get; set; } = 2000;

    /// <summary>
    /// A chunk of a read with at least this many changes is published as one <c>RosterBatchV1</c>; fewer go out one
    /// event each (a single change keeps its own message and trace).
    /// </summary>
    public int BatchThreshold { get; set; } = 2;

    /// <summary>The cursor health check turns Degraded when no poll succeeded for this long.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(2);
}
