using System.Text.Json;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.PayRules;

namespace OneClickSuite.Payroll.Workforce;

/// <summary>A worker as Payroll stores them: the roster's facts and the raw iHRIS records pay is computed from.</summary>
public sealed record StoredWorker(
    string WorkerId,
    string EmployeeNumber,
    string Name,
    string FacilityId,
    string JobCode,
    string Cadre,
    bool Active,
    DateOnly? EmployedFrom,
    DateOnly? EmployedUntil,
    IReadOnlyList<RoleRecord> Roles,
    IReadOnlyList<SalaryRecord> Salaries,
    long RosterRevision)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The columns <see cref="Read"/> expects, in order (alias <c>w</c>).</summary>
    public const string Columns = """
        w.worker_id, w.employee_number, w.display_name, w.facility_id, w.job_code, w.cadre, w.active, w.employed_from, w.employed_until,
        w.roles::text, w.salaries::text, w.roster_revision
        """;

    public WorkerFacts Facts => new(WorkerId, Roles, Salaries, Active, EmployedUntil, EmployedFrom);

    public static StoredWorker Read(NpgsqlDataReader r, int at = 0) => new(
        r.GetString(at), r.GetString(at + 1), r.GetString(at + 2), r.GetString(at + 3), r.GetString(at + 4), r.GetString(at + 5), r.GetBoolean(at + 6),
        r.IsDBNull(at + 7) ? null : r.GetFieldValue<DateOnly>(at + 7), r.IsDBNull(at + 8) ? null : r.GetFieldValue<DateOnly>(at + 8),
        JsonSerializer.Deserialize<List<RoleRecord>>(r.GetString(at + 9), Json) ?? [],
        JsonSerializer.Deserialize<List<SalaryRecord>>(r.GetString(at + 10), Json) ?? [],
        r.GetInt64(at + 11));

    public static string ToJson<T>(IReadOnlyList<T> records) => JsonSerializer.Serialize(records, Json);
}
