using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;
using OneClickSuite.OdkAdapter.Roster;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>What the tests that run Payroll and the ODK adapter against an ODK Central share.</summary>
internal static class OdkFlow
{
    /// <summary>An ODK Central emulator of the test's own, on a fresh database, with this administrator.</summary>
    public static async Task<EmulatorHost<ProblemMiddleware>> StartOdkAsync(PostgresServer pg, string database, string email, string password)
    {
        var odkDb = await pg.CreateDatabaseAsync(database);
        return EmulatorHost<ProblemMiddleware>.Start(origin => new Dictionary<string, string>
        {
            ["ConnectionStrings:odk-db"] = odkDb,
            ["Odk:AdminEmail"] = email,
            ["Odk:AdminPassword"] = password,
            ["Odk:PublicUrl"] = origin.GetLeftPart(UriPartial.Authority),
        });
    }

    /// <summary>The suite's ODK client, signed in as the administrator, as Bootstrap uses it.</summary>
    public static OdkClient Client(string odkUrl, string email, string password) =>
        new(new HttpClient { BaseAddress = new Uri(odkUrl + "/v1/") },
            Options.Create(new OdkOptions { BaseUrl = odkUrl, Email = email, Password = password }), new OdkSession());

    /// <summary>Both services' settings: their database and broker, the ODK Central to use, and <paramref name="extra"/>.</summary>
    public static Dictionary<string, string> Settings(string suiteDb, RabbitMqServer rabbit, string odkUrl, string email, string password,
        params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:suite-db"] = suiteDb,
            ["ConnectionStrings:rabbitmq"] = rabbit.ConnectionString,
            ["Odk:BaseUrl"] = odkUrl,
            ["Odk:Email"] = email,
            ["Odk:Password"] = password,
            ["Fineract:Password"] = "unused",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Wolverine"] = "Error",
        };
        foreach (var (key, value) in extra) settings[key] = value;
        return settings;
    }

    /// <summary>A worker as the ODK adapter knows it: behind its deterministic entity uuid in the project's list.</summary>
    public static async Task<Guid> KnownWorkerAsync(string suiteDb, long projectId, string workerId, CancellationToken ct)
    {
        var entity = EntityIds.ForWorker(projectId, workerId);
        await using var connection = new NpgsqlConnection(suiteDb);
        await connection.OpenAsync(ct);
        await using var roster = new NpgsqlCommand("""
            INSERT INTO odk_adapter.roster_entities (worker_id, entity_uuid, revision, present, label, data, synced_revision)
            VALUES ($1, $2, 1, true, 'Amina ' || $1, '{}', 1)
            """, connection) { Parameters = { new() { Value = workerId }, new() { Value = entity } } };
        await roster.ExecuteNonQueryAsync(ct);
        return entity;
    }
}
