using OneClickSuite.Contracts.Payroll;

namespace OneClickSuite.Demo;

/// <summary>
/// One narrated step of the demo. Status is "running", "done" or "failed"; <see cref="Elapsed"/> is the time since the
/// demo started.
/// </summary>
public sealed record DemoStep(int Number, string Title, string Status, string? Detail, TimeSpan Elapsed)
{
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";
}

/// <summary>How the demo ended: the worker it registered, the run that paid them and the deposit in their account.</summary>
public sealed record DemoResult(bool Succeeded, string WorkerId, string? PayRunId, long? SavingsAccountId, decimal Amount, string? Error);

/// <summary>Who the demo acts as on payroll: its own identities, never a person's (<see cref="DemoIdentities"/>).</summary>
public sealed record DemoActors(string Clerk, string Approver)
{
    public static readonly DemoActors Default = new(DemoIdentities.Clerk, DemoIdentities.Approver);
}

/// <summary>A step that did not reach its goal; the message says what was not reached.</summary>
public sealed class DemoStepFailed(string message, Exception? innerException = null) : Exception(message, innerException);
