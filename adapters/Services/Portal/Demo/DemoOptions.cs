using OneClickSuite.Contracts.Payroll;
namespace OneClickSuite.Demo;

/// <summary>Where the demo registers its worker and where the suite's own services are (section "Demo").</summary>
public sealed class DemoOptions
{
    public const string SectionName = "Demo";

    /// <summary>The iHRIS facility (Location id) the demo worker is posted to; Bootstrap's demo workforce has it.</summary>
    public string FacilityId { get; set; } = "demo-facility-1";

    /// <summary>The ODK project, entity list and form that Bootstrap creates.</summary>
    public string OdkProjectName { get; set; } = "OneClickSuite";

    public string EntityList { get; set; } = "health_workers";

    public string ActivityFormId { get; set; } = "chw_activity";

    /// <summary>Where a worker sees their pay statements in ODK Collect (the ODK adapter writes them; Bootstrap creates it).</summary>
    public string StatementList { get; set; } = "pay_statements";

    /// <summary>The adapters, resolved by service discovery.</summary>
    public string IhrisAdapterUrl { get; set; } = "http://ihris-adapter";

    public string OdkAdapterUrl { get; set; } = "http://odk-adapter";

    /// <summary>
    /// The mobile money provider emulator, where the demo's worker opens their wallet; set where the emulator stands in
    /// for the provider (the sandbox, a full graph on an evaluator's machine).
    /// </summary>
    public string? ProviderEmulatorUrl { get; set; }

    /// <summary>The currency of the demo worker's wallet: the one Payroll pays in.</summary>
    public string WalletCurrency { get; set; } = "USD";

    /// <summary>How long a step waits for the other systems to catch up (real systems are slower than the sandbox).</summary>
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How long a step that only calls an API may take.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
