using System.Security.Claims;
using OneClickSuite.Contracts.Payroll;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>Who acts: taken only from an identity the suite has verified (<see cref="SuiteIdentity"/>).</summary>
public sealed record Actor(string User, IReadOnlySet<string> Roles, bool IsDemo = false)
{
    /// <summary>Prepares, submits, cancels runs; retries or writes off failed lines.</summary>
    public const string MakerRole = PayrollRoles.MakerRole;
    /// <summary>Approves a submitted run (never one they created or submitted).</summary>
    public const string CheckerRole = PayrollRoles.CheckerRole;

    /// <summary>The workers the one-click demo registers; the demo may pay no one else.</summary>
    public const string DemoWorkerPrefix = "demo-chw-";

    public bool Has(string role) => Roles.Contains(role);

    /// <summary>A verified principal's payroll roles: a clerk makes, an approver checks, a viewer neither.</summary>
    public static Actor From(ClaimsPrincipal principal)
    {
        var name = principal.Identity?.IsAuthenticated == true ? principal.Identity.Name : null;
        if (string.IsNullOrEmpty(name)) throw new PayrollRefusal(401, "no verified identity");
        var suiteRoles = SuiteIdentity.RolesOf(principal);
        var roles = new HashSet<string>(StringComparer.Ordinal);
        if (suiteRoles.Contains(SuiteIdentity.Clerk)) roles.Add(MakerRole);
        if (suiteRoles.Contains(SuiteIdentity.Approver)) roles.Add(CheckerRole);
        return new Actor(name, roles, suiteRoles.Contains(SuiteIdentity.Demo));
    }
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
