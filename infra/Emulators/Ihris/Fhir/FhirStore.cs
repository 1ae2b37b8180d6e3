using System.Diagnostics;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace OneClickSuite.Emulators.Ihris.Fhir;

public sealed record StoredResource(
    long Seq, string Type, string Id, int Version, DateTimeOffset LastUpdated, bool Deleted, string? Body);

public enum WriteMethod { Create, Update, Delete }

/// <summary>One write of a transaction. <see cref="Conditional"/> makes an update find its target by search.</summary>
public sealed class WriteOperation
{
    public required WriteMethod Method { get; init; }
    public required string Type { get; init; }
    public string? Id { get; set; }
    public Resource? Resource { get; init; }
    public int? IfMatchVersion { get; init; }
    public SearchRequest? Conditional { get; init; }
}

public sealed record WriteResult(string Type, string Id, int Version, DateTimeOffset LastUpdated, string? Body, bool Created, bool Deleted);

/// <summary>Position of a page walk: the snapshot it reads and the last row it returned.</summary>
public sealed record PageCursor(long Snapshot, DateTimeOffset AfterLastUpdated, long AfterSeq, int Total);

public sealed record SearchPage(
    IReadOnlyList<StoredResource> Matches, IReadOnlyList<StoredResource> Included, int Total, PageCursor? Next);

/// <summary>
/// FHIR resources in PostgreSQL. Searches read the store as of a snapshot sequence number, so following a page
/// cursor neither repeats nor skips a match while new versions are being written.
/// </summary>
public sealed class FhirStore(NpgsqlDataSource dataSource)
{
    public static readonly ActivitySource Activity = new("OneClickSuite.Emulators.Ihris");

    private static readonly FhirJsonSerializer Serializer = new();

    private const string ResourceColumns = "r.seq, r.res_type, r.res_id, r.version, r.last_updated, r.deleted, r.body";

    public async Task<StoredResource?> ReadAsync(string type, string id, int? version, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(version is null
            ? $"SELECT {ResourceColumns} FROM fhir_resource r WHERE r.res_type = $1 AND r.res_id = $2 AND r.superseded_seq IS NULL"
            : $"SELECT {ResourceColumns} FROM fhir_resource r WHERE r.res_type = $1 AND r.res_id = $2 AND r.version = $3");
        command.Parameters.Add(new() { Value = type });
        command.Parameters.Add(new() { Value = id });
        if (version is { } v) command.Parameters.Add(new() { Value = v });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadResource(reader) : null;
    }

    public async Task<string[]> NewServerIdsAsync(int count, CancellationToken ct)
    {
        if (count == 0) return [];
        await using var command = dataSource.CreateCommand("SELECT nextval('fhir_server_id')::text FROM generate_series(1, $1)");
        command.Parameters.Add(new() { Value = count });
        var ids = new List<string>(count);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
        return [.. ids];
    }

    /// <summary>Writes all operations in one database transaction: all of them happen, or none.</summary>
    public async Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<WriteOperation> operations, CancellationToken ct)
    {
        using var activity = Activity.StartActivity("fhir write");
        activity?.SetTag("fhir.write.count", operations.Count);

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        // The clock row lock orders writers: sequence numbers and lastUpdated follow commit order.
        long lastSeq;
        DateTimeOffset lastUpdated;
        await using (var clock = new NpgsqlCommand("""
            UPDATE fhir_clock SET seq = seq + $1,
                last_updated = GREATEST(date_trunc('milliseconds', clock_timestamp()), last_updated + interval '1 millisecond')
            WHERE id = 1 RETURNING seq, last_updated
            """, connection, transaction))
        {
            clock.Parameters.Add(new() { Value = (long)operations.Count });
            await using var reader = await clock.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            lastSeq = reader.GetInt64(0);
            lastUpdated = reader.GetFieldValue<DateTimeOffset>(1);
        }
        var firstSeq = lastSeq - operations.Count + 1;

        await ResolveConditionalTargetsAsync(connection, transaction, operations, ct);

        var seen = new HashSet<(string, string)>();
        foreach (var operation in operations)
        {
            if (!seen.Add((operation.Type, operation.Id!)))
            {
                throw FhirException.BadRequest($"HAPI-0535: Transaction bundle contains multiple resources with ID: {operation.Type}/{operation.Id}");
            }
        }

        var current = await ReadCurrentVersionsAsync(connection, transaction, operations, ct);

        var rows = new List<(long Seq, WriteOperation Operation, int Version, string? Body)>();
        var results = new List<WriteResult>();
        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i];
            var exists = current.TryGetValue((operation.Type, operation.Id!), out var previous);
            if (operation.IfMatchVersion is { } expected && (!exists || previous.Version != expected))
            {
                throw new FhirException(StatusCodes.Status412PreconditionFailed,
                    $"HAPI-0989: Trying to update {operation.Type}/{operation.Id}/_history/{expected} but this is not the current version");
            }
            if (operation.Method == WriteMethod.Delete)
            {
                if (!exists) throw FhirException.NotFound(operation.Type, operation.Id!);
                if (previous.Deleted)
                {
                    results.Add(new(operation.Type, operation.Id!, previous.Version, lastUpdated, null, false, true));
                    continue;
                }
            }
            if (operation.Method == WriteMethod.Create && exists)
            {
                throw FhirException.BadRequest($"HAPI-0534: Resource {operation.Type}/{operation.Id} already exists");
            }
            var version = exists ? previous.Version + 1 : 1;
            string? body = null;
            if (operation.Resource is { } resource)
            {
                resource.Id = operation.Id;
                resource.Meta ??= new Meta();
                resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
                resource.Meta.LastUpdated = lastUpdated;
                body = Serializer.SerializeToString(resource);
            }
            rows.Add((firstSeq + i, operation, version, body));
            results.Add(new(operation.Type, operation.Id!, version, lastUpdated, body,
                Created: !exists || previous.Deleted, Deleted: operation.Method == WriteMethod.Delete));
        }

        if (rows.Count > 0)
        {
            await StoreVersionsAsync(connection, transaction, rows, lastUpdated, current, ct);
        }
        await transaction.CommitAsync(ct);
        return results;
    }

    private async Task ResolveConditionalTargetsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<WriteOperation> operations, CancellationToken ct)
    {
        var needingIds = 0;
        foreach (var operation in operations.Where(o => o.Conditional is not null))
        {
            var query = new SearchSql(operation.Conditional!, snapshot: null);
            await using var command = new NpgsqlCommand(
                $"SELECT r.res_id FROM fhir_resource r WHERE {query.Where} LIMIT 2", connection, transaction);
            command.Parameters.AddRange(query.CreateParameters());
            var matches = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) matches.Add(reader.GetString(0));
            }
            if (matches.Count > 1)
            {
                throw new FhirException(StatusCodes.Status412PreconditionFailed,
                    $"HAPI-0988: Failed to UPDATE resource with match URL \"{operation.Type}?{operation.Conditional!.CanonicalQuery}\" because this search matched {matches.Count} resources");
            }
            if (matches.Count == 1) operation.Id = matches[0];
            else if (operation.Id is null) needingIds++;
        }
        if (needingIds == 0) return;
        await using var ids = new NpgsqlCommand("SELECT nextval('fhir_server_id')::text FROM generate_series(1, $1)", connection, transaction);
        ids.Parameters.Add(new() { Value = needingIds });
        var fresh = new Queue<string>();
        await using (var reader = await ids.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) fresh.Enqueue(reader.GetString(0));
        }
        foreach (var operation in operations.Where(o => o.Conditional is not null && o.Id is null))
        {
            operation.Id = fresh.Dequeue();
        }
    }

    private static async Task<Dictionary<(string Type, string Id), (int Version, bool Deleted)>> ReadCurrentVersionsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<WriteOperation> operations, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT r.res_type, r.res_id, r.version, r.deleted
            FROM fhir_resource r JOIN unnest($1::text[], $2::text[]) AS k(res_type, res_id)
              ON r.res_type = k.res_type AND r.res_id = k.res_id
            WHERE r.superseded_seq IS NULL
            """, connection, transaction);
        command.Parameters.Add(new() { Value = operations.Select(o => o.Type).ToArray() });
        command.Parameters.Add(new() { Value = operations.Select(o => o.Id!).ToArray() });
        var current = new Dictionary<(string, string), (int, bool)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            current[(reader.GetString(0), reader.GetString(1))] = (reader.GetInt32(2), reader.GetBoolean(3));
        }
        return current;
    }

    private static async Task StoreVersionsAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        List<(long Seq, WriteOperation Operation, int Version, string? Body)> rows,
        DateTimeOffset lastUpdated,
        Dictionary<(string Type, string Id), (int Version, bool Deleted)> current,
        CancellationToken ct)
    {
        var types = rows.Select(r => r.Operation.Type).ToArray();
        var ids = rows.Select(r => r.Operation.Id!).ToArray();
        var seqs = rows.Select(r => r.Seq).ToArray();
        var replaced = rows.Where(r => current.ContainsKey((r.Operation.Type, r.Operation.Id!))).ToList();

        var batch = new NpgsqlBatch(connection, transaction);
        if (replaced.Count > 0)
        {
            var replacedTypes = replaced.Select(r => r.Operation.Type).ToArray();
            var replacedIds = replaced.Select(r => r.Operation.Id!).ToArray();
            batch.BatchCommands.Add(Command("""
                UPDATE fhir_resource f SET superseded_seq = u.seq
                FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(res_type, res_id, seq)
                WHERE f.res_type = u.res_type AND f.res_id = u.res_id AND f.superseded_seq IS NULL
                """, replacedTypes, replacedIds, replaced.Select(r => r.Seq).ToArray()));
            batch.BatchCommands.Add(Command("""
                DELETE FROM fhir_token t USING unnest($1::text[], $2::text[]) AS u(res_type, res_id)
                WHERE t.res_type = u.res_type AND t.res_id = u.res_id
                """, replacedTypes, replacedIds));
            batch.BatchCommands.Add(Command("""
                DELETE FROM fhir_reference f USING unnest($1::text[], $2::text[]) AS u(res_type, res_id)
                WHERE f.res_type = u.res_type AND f.res_id = u.res_id
                """, replacedTypes, replacedIds));
        }
        batch.BatchCommands.Add(Command("""
            INSERT INTO fhir_resource (seq, res_type, res_id, version, last_updated, deleted, body)
            SELECT u.seq, u.res_type, u.res_id, u.version, $5, u.body IS NULL, u.body
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $6::text[]) AS u(seq, res_type, res_id, version, body)
            """, seqs, types, ids, rows.Select(r => r.Version).ToArray(), lastUpdated, rows.Select(r => r.Body).ToArray()));

        var tokens = new List<(string Type, string Id, TokenEntry Token)>();
        var references = new List<(string Type, string Id, ReferenceEntry Reference)>();
        foreach (var row in rows.Where(r => r.Operation.Resource is not null))
        {
            var (rowTokens, rowReferences) = SearchIndexer.Index(row.Operation.Resource!);
            tokens.AddRange(rowTokens.Select(t => (row.Operation.Type, row.Operation.Id!, t)));
            references.AddRange(rowReferences.Select(r => (row.Operation.Type, row.Operation.Id!, r)));
        }
        if (tokens.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO fhir_token (res_type, res_id, param, system, value)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                """,
                tokens.Select(t => t.Type).ToArray(), tokens.Select(t => t.Id).ToArray(),
                tokens.Select(t => t.Token.Param).ToArray(), tokens.Select(t => t.Token.System).ToArray(),
                tokens.Select(t => t.Token.Value).ToArray()));
        }
        if (references.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO fhir_reference (res_type, res_id, param, target_type, target_id)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                """,
                references.Select(r => r.Type).ToArray(), references.Select(r => r.Id).ToArray(),
                references.Select(r => r.Reference.Param).ToArray(), references.Select(r => r.Reference.TargetType).ToArray(),
                references.Select(r => r.Reference.TargetId).ToArray()));
        }
        await using (batch)
        {
            await batch.ExecuteNonQueryAsync(ct);
        }
    }

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        return command;
    }

    public async Task<SearchPage> SearchAsync(SearchRequest request, PageCursor? cursor, int pageSize, CancellationToken ct)
    {
        using var activity = Activity.StartActivity("fhir search");
        activity?.SetTag("fhir.resource_type", request.ResourceType);

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var snapshot = cursor?.Snapshot ?? await CurrentSequenceAsync(connection, ct);
        var query = new SearchSql(request, snapshot);

        int? total = cursor?.Total;
        var matches = new List<StoredResource>();
        var hasMore = false;
        if (pageSize > 0 && !request.SummaryCount)
        {
            var comparison = request.Descending ? "<" : ">";
            var direction = request.Descending ? "DESC" : "ASC";
            var sql = $"SELECT {ResourceColumns} FROM fhir_resource r WHERE {query.Where}"
                      + (cursor is null ? "" : $" AND (r.last_updated, r.seq) {comparison} (@after_ts, @after_seq)")
                      + $" ORDER BY r.last_updated {direction}, r.seq {direction} LIMIT @page_limit";
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddRange(query.CreateParameters());
            if (cursor is not null)
            {
                command.Parameters.AddWithValue("after_ts", cursor.AfterLastUpdated);
                command.Parameters.AddWithValue("after_seq", cursor.AfterSeq);
            }
            command.Parameters.AddWithValue("page_limit", pageSize + 1);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) matches.Add(ReadResource(reader));
            hasMore = matches.Count > pageSize;
            if (hasMore) matches.RemoveAt(matches.Count - 1);
            if (total is null && cursor is null && !hasMore) total = matches.Count;
        }
        if (total is null)
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM fhir_resource r WHERE {query.Where}", connection);
            count.Parameters.AddRange(query.CreateParameters());
            total = (int)(long)(await count.ExecuteScalarAsync(ct))!;
        }

        var included = await ReadIncludedAsync(connection, request, matches, ct);
        var last = matches.LastOrDefault();
        var next = hasMore && last is not null ? new PageCursor(snapshot, last.LastUpdated, last.Seq, total.Value) : null;
        return new SearchPage(matches, included, total.Value, next);
    }

    private static async Task<List<StoredResource>> ReadIncludedAsync(
        NpgsqlConnection connection, SearchRequest request, List<StoredResource> matches, CancellationToken ct)
    {
        var included = new List<StoredResource>();
        if (matches.Count == 0 || (request.Includes.Count == 0 && request.RevIncludes.Count == 0)) return included;
        var seen = matches.Select(m => (m.Type, m.Id)).ToHashSet();
        var matchIds = matches.Select(m => m.Id).ToArray();

        var batch = new NpgsqlBatch(connection);
        if (request.Includes.Count > 0)
        {
            batch.BatchCommands.Add(Command($"""
                SELECT {ResourceColumns}, f.param FROM fhir_reference f
                JOIN fhir_resource r ON r.res_type = f.target_type AND r.res_id = f.target_id
                  AND r.superseded_seq IS NULL AND NOT r.deleted
                WHERE f.res_type = $1 AND f.res_id = ANY($2) AND f.param = ANY($3)
                """, request.ResourceType, matchIds, request.Includes.Select(i => i.Param).Distinct().ToArray()));
        }
        foreach (var revInclude in request.RevIncludes)
        {
            batch.BatchCommands.Add(Command($"""
                SELECT {ResourceColumns}, f.param FROM fhir_reference f
                JOIN fhir_resource r ON r.res_type = f.res_type AND r.res_id = f.res_id
                  AND r.superseded_seq IS NULL AND NOT r.deleted
                WHERE f.target_id = ANY($1) AND f.param = $2 AND f.res_type = $3 AND f.target_type = $4
                """, matchIds, revInclude.Param, revInclude.SourceType, request.ResourceType));
        }
        await using (batch)
        {
            await using var reader = await batch.ExecuteReaderAsync(ct);
            var resultIndex = 0;
            do
            {
                var isInclude = request.Includes.Count > 0 && resultIndex == 0;
                while (await reader.ReadAsync(ct))
                {
                    var resource = ReadResource(reader);
                    var param = reader.GetString(7);
                    if (isInclude && !request.Includes.Any(i => i.Param == param && (i.TargetType is null || i.TargetType == resource.Type)))
                    {
                        continue;
                    }
                    if (seen.Add((resource.Type, resource.Id))) included.Add(resource);
                }
                resultIndex++;
            }
            while (await reader.NextResultAsync(ct));
        }
        return included;
    }

    /// <summary>Versions newest first, as HAPI lists history.</summary>
    public async Task<SearchPage> HistoryAsync(
        string? type, string? id, DateTimeOffset? since, PageCursor? cursor, int pageSize, CancellationToken ct)
    {
        using var activity = Activity.StartActivity("fhir history");
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var snapshot = cursor?.Snapshot ?? await CurrentSequenceAsync(connection, ct);
        var where = "r.seq <= @snapshot"
                    + (type is null ? "" : " AND r.res_type = @type")
                    + (id is null ? "" : " AND r.res_id = @id")
                    + (since is null ? "" : " AND r.last_updated >= @since");

        void AddFilters(NpgsqlCommand command)
        {
            command.Parameters.AddWithValue("snapshot", snapshot);
            if (type is not null) command.Parameters.AddWithValue("type", type);
            if (id is not null) command.Parameters.AddWithValue("id", id);
            if (since is { } s) command.Parameters.AddWithValue("since", s);
        }

        var matches = new List<StoredResource>();
        await using (var command = new NpgsqlCommand(
            $"SELECT {ResourceColumns} FROM fhir_resource r WHERE {where}"
            + (cursor is null ? "" : " AND (r.last_updated, r.seq) < (@after_ts, @after_seq)")
            + " ORDER BY r.last_updated DESC, r.seq DESC LIMIT @page_limit", connection))
        {
            AddFilters(command);
            if (cursor is not null)
            {
                command.Parameters.AddWithValue("after_ts", cursor.AfterLastUpdated);
                command.Parameters.AddWithValue("after_seq", cursor.AfterSeq);
            }
            command.Parameters.AddWithValue("page_limit", pageSize + 1);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) matches.Add(ReadResource(reader));
        }
        var hasMore = matches.Count > pageSize;
        if (hasMore) matches.RemoveAt(matches.Count - 1);

        int? total = cursor?.Total ?? (hasMore ? null : matches.Count);
        if (total is null)
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM fhir_resource r WHERE {where}", connection);
            AddFilters(count);
            total = (int)(long)(await count.ExecuteScalarAsync(ct))!;
        }
        var last = matches.LastOrDefault();
        var next = hasMore && last is not null ? new PageCursor(snapshot, last.LastUpdated, last.Seq, total.Value) : null;
        return new SearchPage(matches, [], total.Value, next);
    }

    public async Task<string> GetOrCreateSettingAsync(string name, Func<string> create, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            WITH inserted AS (
                INSERT INTO ihris_setting (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value)
            SELECT value FROM inserted UNION ALL SELECT value FROM ihris_setting WHERE name = $1
            """);
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = create() });
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<long> CurrentSequenceAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT seq FROM fhir_clock WHERE id = 1", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static StoredResource ReadResource(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
        reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5), reader.IsDBNull(6) ? null : reader.GetString(6));
}

/// <summary>The WHERE clause of a search: the resources current as of a snapshot that match every filter.</summary>
internal sealed class SearchSql
{
    public string Where { get; }
    private List<NpgsqlParameter> Parameters { get; } = [];

    /// <summary>A parameter belongs to one command only, so each command gets copies.</summary>
    public NpgsqlParameter[] CreateParameters() => [.. Parameters.Select(p => p.Clone())];

    public SearchSql(SearchRequest request, long? snapshot)
    {
        var conditions = new List<string> { $"r.res_type = {Add(request.ResourceType)}", "NOT r.deleted" };
        if (snapshot is { } s)
        {
            var at = Add(s);
            conditions.Add($"r.seq <= {at} AND (r.superseded_seq IS NULL OR r.superseded_seq > {at})");
        }
        else
        {
            conditions.Add("r.superseded_seq IS NULL");
        }
        foreach (var ids in request.IdFilters)
        {
            conditions.Add($"r.res_id = ANY({Add(ids.ToArray())})");
        }
        foreach (var bound in request.LastUpdated)
        {
            conditions.Add(bound.Comparator == "eq"
                ? $"r.last_updated >= {Add(bound.Instant)} AND r.last_updated < {Add(bound.End)}"
                : $"r.last_updated {bound.Comparator} {Add(bound.Instant)}");
        }
        foreach (var filter in request.Filters)
        {
            var param = Add(filter.Definition.Name);
            var type = Add(request.ResourceType);
            if (filter.Definition.Type == SearchParamKind.Reference)
            {
                var anyOf = filter.AnyOf.Select(v => $"(f.target_type = {Add(v.System!)} AND f.target_id = {Add(v.Value)})");
                conditions.Add($"r.res_id IN (SELECT f.res_id FROM fhir_reference f WHERE f.res_type = {type} AND f.param = {param} AND ({string.Join(" OR ", anyOf)}))");
            }
            else
            {
                var anyOf = filter.AnyOf.Select(v => v switch
                {
                    { System: null } => $"(t.value = {Add(v.Value)})",
                    { System: "" } => $"(t.value = {Add(v.Value)} AND t.system IS NULL)",
                    { Value: "" } => $"(t.system = {Add(v.System)})",
                    _ => $"(t.value = {Add(v.Value)} AND t.system = {Add(v.System)})",
                });
                conditions.Add($"r.res_id IN (SELECT t.res_id FROM fhir_token t WHERE t.res_type = {type} AND t.param = {param} AND ({string.Join(" OR ", anyOf)}))");
            }
        }
        Where = string.Join(" AND ", conditions);
    }

    private string Add(object value)
    {
        var name = "p" + Parameters.Count;
        Parameters.Add(value switch
        {
            string[] array => new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = array },
            _ => new NpgsqlParameter(name, value),
        });
        return "@" + name;
    }
}
