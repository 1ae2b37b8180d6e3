namespace OneClickSuite.Bootstrap;

public sealed class BootstrapOptions
{
    public const string SectionName = "Bootstrap";

    /// <summary>Fineract's out-of-the-box password for user 1, replaced by <c>Fineract:Password</c> on first run.</summary>
    public string? FineractDefaultPassword { get; set; }

    /// <summary>What the funding programme's account holds to pay workers from.</summary>
    public decimal FundingFloat { get; set; } = 1_000_000m;

    public string Currency { get; set; } = "USD";

    /// <summary>Loads the demo workforce into iHRIS. Off for a ministry's own systems (external mode).</summary>
    public bool LoadDemoWorkforce { get; set; } = true;

    /// <summary>How long to wait for a system that is still starting (Fineract's first boot migrates for minutes).</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
