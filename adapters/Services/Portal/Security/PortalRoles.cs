namespace OneClickSuite.Portal.Security;

/// <summary>The portal's roles and what each may do; the pages hide what a role may not do, the server refuses it.</summary>
public static class PortalRoles
{
    /// <summary>Sees everything, changes nothing.</summary>
    public const string Viewer = SuiteIdentity.Viewer;

    /// <summary>Payroll clerk: creates, submits and cancels pay runs; retries and replays stuck records.</summary>
    public const string Clerk = SuiteIdentity.Clerk;

    /// <summary>Approves (or rejects) a run someone else prepared; retries and replays stuck records.</summary>
    public const string Approver = SuiteIdentity.Approver;

    public static readonly string[] All = [Viewer, Clerk, Approver];

    /// <summary>Policy: may prepare pay runs.</summary>
    public const string PreparePayRuns = "prepare-pay-runs";

    /// <summary>Policy: may approve or reject pay runs.</summary>
    public const string ApprovePayRuns = "approve-pay-runs";

    /// <summary>Policy: may retry quarantined records, replay dead letters and run the demo (clerks and approvers).</summary>
    public const string Operate = "operate";

}
