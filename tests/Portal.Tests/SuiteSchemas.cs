using Npgsql;
using OneClickSuite.FineractAdapter.Enrolment;
using OneClickSuite.IhrisAdapter.Roster;
using OneClickSuite.Messaging;
using OneClickSuite.OdkAdapter.Activities;
using OneClickSuite.OdkAdapter.Roster;
using OneClickSuite.Payroll.Data;

namespace OneClickSuite.Portal.Tests;

/// <summary>
/// The services' tables, created by their own DDL in their own schemas, and a synthetic workforce in them: what the
/// portal reads in the suite database, without running the services.
/// </summary>
public static class SuiteSchemas
{
    public static async Task CreateAsync(NpgsqlDataSource db)
    {
        await new SuiteDatabase(db, "ihris_adapter").MigrateAsync(RosterStore.Ddl);
        await new SuiteDatabase(db, "fineract_adapter").MigrateAsync(EnrolmentStore.Ddl);
        await new SuiteDatabase(db, "odk_adapter").MigrateAsync(EntityListStore.Ddl + ActivityIntake.Ddl);
        await PayrollDatabase.MigrateAsync(db, CancellationToken.None);
    }

    /// <summary>
    /// <paramref name="count"/> workers "w-1"… with employee numbers "EMP-000001"…: one in 50 has left, one in 97 fails to
    /// reach ODK, one in 200 is not in ODK yet, one in 151 has no Fineract account yet; plus one quarantined record per 1,000.
    /// </summary>
    public static async Task SeedWorkersAsync(NpgsqlDataSource db, int count)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("""
            INSERT INTO ihris_adapter.roster_workers (worker_id, employee_number, content_hash, on_roster, revision, snapshot)
            SELECT 'w-' || i, 'EMP-' || lpad(i::text, 6, '0'), md5(i::text), i % 50 <> 0, 1 + i % 3,
                   jsonb_build_object('workerId', 'w-' || i, 'employeeNumber', 'EMP-' || lpad(i::text, 6, '0'),
                       'givenName', (ARRAY['Sarah', 'Peter', 'Grace', 'John', 'Aisha', 'Moses', 'Ruth'])[1 + i % 7],
                       'familyName', (ARRAY['Nakato', 'Ssempala', 'Achieng', 'Okello', 'Namutebi'])[1 + i % 5] || i,
                       'phone', '+2567' || lpad(i::text, 8, '0'),
                       'facility', jsonb_build_object('id', 'facility-' || i % 40, 'name', 'Health Centre ' || i % 40),
                       'job', CASE WHEN i % 10 = 0
                                   THEN jsonb_build_object('code', '3229-3A', 'title', 'Community health worker', 'cadre', 'Community health worker')
                                   ELSE jsonb_build_object('code', '2230-1B', 'title', 'Nurse', 'cadre', 'Nurse') END,
                       'pay', jsonb_build_object('kind', CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END),
                       'active', i % 50 <> 0)
            FROM generate_series(1, @count) AS i;

            INSERT INTO odk_adapter.roster_entities (worker_id, entity_uuid, revision, present, label, data, synced_revision, attempts, last_error)
            SELECT 'w-' || i, gen_random_uuid(), 1 + i % 3, i % 50 <> 0, 'Worker ' || i, '{}'::jsonb,
                   CASE WHEN i % 97 = 0 THEN 0 ELSE 1 + i % 3 END, CASE WHEN i % 97 = 0 THEN 3 ELSE 0 END,
                   CASE WHEN i % 97 = 0 THEN 'ODK answered 503' END
            FROM generate_series(1, @count) AS i WHERE i % 200 <> 0;

            INSERT INTO fineract_adapter.worker_accounts (worker_id, employee_number, client_id, savings_account_id, credits_blocked, applied_revision)
            SELECT 'w-' || i, 'EMP-' || lpad(i::text, 6, '0'), i, 100000 + i, i % 50 = 0, 1 + i % 3
            FROM generate_series(1, @count) AS i WHERE i % 151 <> 0;

            INSERT INTO ihris_adapter.quarantine (worker_id, resource, field, reason)
            SELECT 'q-' || i, 'Practitioner/q-' || i, 'name', 'Practitioner/q-' || i || ': name is missing'
            FROM generate_series(1, greatest(1, @count / 1000)) AS i;

            -- Two approved activity reports a month for every community health worker among the first 100.
            INSERT INTO odk_adapter.activity_submissions (instance_id, worker_id, period, counts, review_state, counted, version)
            SELECT 'uuid:report-' || i || '-' || k, 'w-' || i, DATE '2026-10-01',
                   jsonb_build_object('households_visited', 20 + k, 'referrals', k), 'approved', true, 1
            FROM generate_series(10, least(100, @count), 10) AS i, generate_series(1, 2) AS k;

            ANALYZE ihris_adapter.roster_workers; ANALYZE ihris_adapter.quarantine;
            ANALYZE odk_adapter.roster_entities; ANALYZE fineract_adapter.worker_accounts;
            """, connection) { Parameters = { new("count", count) } };
        await command.ExecuteNonQueryAsync();
    }
}
