using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.OdkAdapter.Statements;

/// <summary>
/// Puts each pay statement in Central's <c>pay_statements</c> entity list (uuid derived from the statement id,
/// <see cref="StatementEntityIds"/>), so a community
/// health worker sees it in ODK Collect and can pick it in the query form. A newer version (a query answered) updates
/// the entity with <c>baseVersion</c>; an older or repeated one changes nothing. A transient failure is retried by the
/// messaging (it never gives up); a permanent one (the list missing, a property unknown) is dead-lettered with
/// Central's error, where a person sees it and replays it once fixed.
/// </summary>
public sealed class StatementEntities(OdkClient odk, Roster.OdkProject project, SuiteDatabase database, IOptions<StatementOptions> options,
    MinistryCalendar calendar, ILogger<StatementEntities> logger)
{
    public async Task WriteAsync(PayStatementV1 statement, CancellationToken ct)
    {
        var schema = $"\"{database.Schema}\"";
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        var written = await connection.ExecuteScalarAsync<long?>(
            $"SELECT written_version FROM {schema}.statement_entities WHERE statement_id = @id", new { id = statement.StatementId });
        if (written >= statement.Version) return;

        var projectId = await project.IdAsync(ct);
        var list = options.Value.EntityList;
        var entityUuid = StatementEntityIds.For(statement.StatementId);
        var uuid = entityUuid.ToString();
        var label = Label(statement);
        var data = Data(statement);
        int? version = null;
        for (var attempt = 0; version is null; attempt++)
        {
            var current = await odk.GetEntityAsync(projectId, list, uuid, ct);
            try
            {
                version = current is null
                    ? (await odk.CreateEntityAsync(projectId, list, new OdkNewEntity(uuid, label, data), ct)).CurrentVersion?.Version ?? 1
                    : (await odk.UpdateEntityAsync(projectId, list, uuid, label, data, current.CurrentVersion?.Version ?? 1, ct)).CurrentVersion?.Version;
            }
            catch (OdkException ex) when (ex.Code is "409.3" or "409.15" && attempt < 3)
            {
                // Created or changed meanwhile (another replica, a lost answer): read it again.
            }
        }
        await connection.ExecuteAsync($"""
            INSERT INTO {schema}.statement_entities (statement_id, entity_uuid, written_version, odk_version) VALUES (@id, @entityUuid, @written, @version)
            ON CONFLICT (statement_id) DO UPDATE SET written_version = GREATEST(statement_entities.written_version, excluded.written_version),
                odk_version = excluded.odk_version, updated_at = now()
            """, new { id = statement.StatementId, entityUuid, written = statement.Version, version });
        logger.LogInformation("Statement {StatementId} of {WorkerId} ({Period}) is in ODK's {List} list (version {Version})",
            statement.StatementId, statement.WorkerId, statement.Period, list, statement.Version);
    }

    private string PaidOn(PayStatementV1 s) => calendar.DateOf(s.PaidAt).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>What Collect shows in the choice list; the day it was paid is the ministry's day.</summary>
    public string Label(PayStatementV1 s) =>
        $"{s.Period} {s.Kind}: {s.Amount.ToString("0.00", CultureInfo.InvariantCulture)} {s.Currency} paid {PaidOn(s)}";

    /// <summary>Entity properties are strings in Central (400.11 otherwise); empty when there is nothing to say.</summary>
    public Dictionary<string, string> Data(PayStatementV1 s) => new()
    {
        ["worker_id"] = s.WorkerId,
        ["employee_number"] = s.EmployeeNumber,
        ["period"] = s.Period,
        ["kind"] = s.Kind,
        ["amount"] = s.Amount.ToString("0.00", CultureInfo.InvariantCulture),
        ["currency"] = s.Currency,
        ["paid_on"] = PaidOn(s),
        ["paid_to"] = s.PaidTo,
        ["details"] = s.Details,
        ["query_status"] = s.QueryStatus ?? "",
        ["query_answer"] = s.QueryAnswer ?? "",
    };
}

/// <summary>Wolverine handler: every statement Payroll issues (or updates) goes to ODK's entity list.</summary>
public sealed class PayStatementHandler
{
    public Task Handle(PayStatementV1 statement, StatementEntities entities, CancellationToken ct) => entities.WriteAsync(statement, ct);
}
