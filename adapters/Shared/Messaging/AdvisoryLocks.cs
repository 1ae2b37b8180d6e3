namespace OneClickSuite.Messaging;

/// <summary>
/// Every PostgreSQL advisory lock the suite's services take, named in one place: two pieces of work that shared a key
/// would block each other for nothing (the activity poll and the entity-list sync once did). Keys are per database,
/// and each service has its own schema but shares the database, so they must differ across services too.
/// </summary>
public static class AdvisoryLocks
{
    /// <summary>iHRIS adapter: one roster read at a time, across replicas.</summary>
    public const long RosterRead = 4_207_311;

    /// <summary>ODK adapter: one activity poll at a time.</summary>
    public const long ActivityPoll = 4_207_312;

    /// <summary>ODK adapter: one writer of the entity list at a time.</summary>
    public const long EntityListSync = 4_207_313;

    /// <summary>Mobile money adapter: one dispatcher of batches at a time, across replicas.</summary>
    public const long MobileMoneyDispatch = 4_207_314;

    /// <summary>Payment Hub adapter: one dispatcher of batches at a time, across replicas.</summary>
    public const long PaymentHubDispatch = 4_207_315;

    /// <summary>Payroll: one schema migration at a time.</summary>
    public const long PayrollMigration = 72_010_501;

    /// <summary>Payroll: pay runs are drafted one at a time, so two cannot claim the same worker unnoticed.</summary>
    public const long PayRunDrafting = 72_010_502;

    // Per-item locks take pg_advisory_xact_lock(hashtext(prefix || id)); the prefixes keep items of different kinds apart.

    /// <summary>Fineract adapter: one enrolment of a worker at a time.</summary>
    public const string FineractEnrolment = "fineract-enrolment:";

    /// <summary>ODK adapter: one roster event of a worker recorded at a time.</summary>
    public const string OdkRosterWorker = "odk-roster:";

    /// <summary>Any service: one migration of its schema at a time (hashtext of the schema name).</summary>
    public const string SchemaMigration = "schema:";
}

/// <summary>
/// Work that holds its advisory lock is already running: a request that would start it again is answered 409 at
/// once, instead of waiting with a pooled connection (a hundred such calls would starve the service's own inbox).
/// </summary>
public sealed class AlreadyRunning(string what) : Exception($"{what} is already running; try again when it has finished")
{
    /// <summary>Answers 409 with the reason when the work is already running.</summary>
    public static async Task<Microsoft.AspNetCore.Http.IResult> AnswerConflict(Func<Task<Microsoft.AspNetCore.Http.IResult>> work)
    {
        try
        {
            return await work();
        }
        catch (AlreadyRunning running)
        {
            return Microsoft.AspNetCore.Http.Results.Problem(statusCode: 409, title: running.Message);
        }
    }
}
