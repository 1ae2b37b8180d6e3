namespace OneClickSuite.IhrisAdapter.Roster;

/// <summary>Section "Roster" (and <c>Ihris:PollInterval</c>).</summary>
public sealed class RosterOptions
{
    public const string SectionName = "Roster";

    /// <summary>How often iHRIS is asked for changes (<c>Ihris:PollInterval</c>).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A full read of the whole roster at least this often, whatever the incremental reads saw: an end date that
    /// passes with no edit in iHRIS changes no resource, so only a fresh read of everyone notices it.
    /// </summary>
    public TimeSpan FullReadEvery { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// A full read that would retire more than this share of the roster (workers no longer found) is held: nothing is
    /// published until a person confirms it on the portal. A short read is not a mass leaving.
    /// </summary>
    public double MassLeavingShare { get; set; } = 0.05;

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
