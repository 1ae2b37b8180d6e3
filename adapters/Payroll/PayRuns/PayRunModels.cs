using OneClickSuite.Contracts.Payroll;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>Who acts, as the portal asserts it (headers X-Suite-User and X-Suite-Roles).</summary>
public sealed record Actor(string User, IReadOnlySet<string> Roles)
{
    /// <summary>Prepares, submits, cancels runs; retries or writes off failed lines.</summary>
    public const string MakerRole = PayrollHeaders.MakerRole;
    /// <summary>Approves a submitted run (never one they created or submitted).</summary>
    public const string CheckerRole = PayrollHeaders.CheckerRole;

    public bool Has(string role) => Roles.Contains(role);
}

/// <summary>A refused request: <see cref="Status"/> is the HTTP status to answer.</summary>
public sealed class PayrollRefusal(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static PayrollRefusal NotFound(string what) => new(404, $"{what} not found");
    public static PayrollRefusal Conflict(string message) => new(409, message);
    public static PayrollRefusal Forbidden(string message) => new(403, message);
    public static PayrollRefusal Invalid(string message) => new(400, message);
}
