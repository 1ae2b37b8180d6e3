using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace OneClickSuite.Emulators.Ihris.Fhir;

public sealed record StoredResource(
    long Seq, string Type, string Id, int Version, DateTimeOffset LastUpdated, bool Deleted, string? Body);

public enum WriteMethod { Create, Update, Delete }

/// <summary>
/// One write. <see cref="Conditional"/> makes an update find its target by search, <see cref="IfNoneExist"/> makes a
/// create a no-op when its search matches one resource (HAPI's conditional create).
/// </summary>
public sealed class WriteOperation
{
    public required WriteMethod Method { get; init; }
    public required string Type { get; init; }
    public string? Id { get; set; }
    public Resource? Resource { get; init; }
    public int? IfMatchVersion { get; init; }
    public SearchRequest? Conditional { get; init; }
    public SearchRequest? IfNoneExist { get; init; }
    /// <summary>The match URL as the client sent it, for HAPI's messages.</summary>
    public string? MatchUrl { get; init; }
}

/// <summary>HAPI's StorageResponseCodeEnum (hapi-fhir-base ca.uhn.fhir.model.api.StorageResponseCodeEnum).</summary>
public static class StorageCode
{
    public const string Create = "SUCCESSFUL_CREATE";
    public const string CreateNoMatch = "SUCCESSFUL_CREATE_NO_CONDITIONAL_MATCH";
    public const string CreateWithMatch = "SUCCESSFUL_CREATE_WITH_CONDITIONAL_MATCH";
    public const string Update = "SUCCESSFUL_UPDATE";
    public const string UpdateAsCreate = "SUCCESSFUL_UPDATE_AS_CREATE";
    public const string UpdateNoChange = "SUCCESSFUL_UPDATE_NO_CHANGE";
    public const string UpdateNoMatch = "SUCCESSFUL_UPDATE_NO_CONDITIONAL_MATCH";
    public const string UpdateWithMatch = "SUCCESSFUL_UPDATE_WITH_CONDITIONAL_MATCH";
    public const string UpdateWithMatchNoChange = "SUCCESSFUL_UPDATE_WITH_CONDITIONAL_MATCH_NO_CHANGE";
    public const string Delete = "SUCCESSFUL_DELETE";
    public const string DeleteAlreadyDeleted = "SUCCESSFUL_DELETE_ALREADY_DELETED";
    public const string DeleteNotFound = "SUCCESSFUL_DELETE_NOT_FOUND";

    public static string Display(string code) => code switch
    {
        Create => "Create succeeded.",
        CreateNoMatch => "Conditional create succeeded: no existing resource matched the conditional URL.",
        CreateWithMatch => "Conditional create succeeded: an existing resource matched the conditional URL so no action was taken.",
        Update => "Update succeeded.",
        UpdateAsCreate => "Update as create succeeded.",
        UpdateNoChange => "Update succeeded: No changes were detected so no action was taken.",
        UpdateNoMatch => "Conditional update succeeded: no existing resource matched the conditional URL so a new resource was created.",
        UpdateWithMatch => "Conditional update succeeded: an existing resource matched the conditional URL and was updated.",
        UpdateWithMatchNoChange => "Conditional update succeeded: an existing resource matched the conditional URL and was updated, but no changes were detected so no action was taken.",
        Delete => "Delete succeeded.",
        DeleteAlreadyDeleted => "Delete succeeded: Resource was already deleted so no action was taken.",
        DeleteNotFound => "Delete succeeded: No existing resource was found so no action was taken.",
        _ => code,
    };
}

public sealed record WriteResult(
    string Type, string Id, int Version, DateTimeOffset LastUpdated, string? Body, bool Created, bool Deleted, string Code,
    string? MatchUrl = null)
{
    /// <summary>Nothing was written (conditional create matched, update without change, delete of nothing).</summary>
    public bool Nop => Code is StorageCode.CreateWithMatch or StorageCode.UpdateNoChange or StorageCode.UpdateWithMatchNoChange
        or StorageCode.DeleteAlreadyDeleted or StorageCode.DeleteNotFound;

    /// <summary>HAPI's BaseStorageDao message for this outcome, with its timing suffix.</summary>
    public string Message(long millis)
    {
        var versioned = $"{Type}/{Id}/_history/{Version}";
        var took = $" Took {millis}ms.";
        return Code switch
        {
            StorageCode.Create => $"Successfully created resource \"{versioned}\".{took}",
            StorageCode.CreateNoMatch => $"Successfully conditionally created resource \"{versioned}\". No existing resources matched URL \"{MatchUrl}\".{took}",
            StorageCode.CreateWithMatch => $"Successfully conditionally created resource \"{versioned}\". Existing resource matched URL \"{MatchUrl}\".",
            StorageCode.Update => $"Successfully updated resource \"{versioned}\".{took}",
            StorageCode.UpdateAsCreate => $"Successfully created resource \"{versioned}\" using update as create (ie. create with client assigned ID).{took}",
            StorageCode.UpdateNoChange => $"Successfully updated resource \"{versioned}\" with no changes detected, existing resource version \"{Version}\" retained.{took}",
            StorageCode.UpdateNoMatch => $"Successfully conditionally updated resource \"{versioned}\". Created resource because no match was found for URL \"{MatchUrl}\".{took}",
            StorageCode.UpdateWithMatch => $"Successfully conditionally updated resource \"{versioned}\". Existing resource matched URL \"{MatchUrl}\".{took}",
            StorageCode.UpdateWithMatchNoChange => $"Successfully conditionally updated resource \"{versioned}\" with no changes detected. Existing resource matched URL \"{MatchUrl}\".{took}",
            StorageCode.Delete => $"Successfully deleted 1 resource(s).{took}",
            StorageCode.DeleteAlreadyDeleted => $"Not deleted, resource {Type}/{Id} was already deleted.",
            StorageCode.DeleteNotFound => $"Not deleted, resource {Type}/{Id} does not exist.",
            _ => Code,
        };
    }
}

/// <summary>A stored HAPI search (the id in <c>_getpages</c>).</summary>
public sealed record StoredSearch(
    string Uuid, string Kind, string? ResourceType, string? ResourceId, string Query, long Snapshot, int Total);

public sealed record SearchPage(IReadOnlyList<StoredResource> Matches, IReadOnlyList<StoredResource> Included, int Total, bool HasMore);

/// <summary>
/// FHIR resources in PostgreSQL. A search is stored with the snapshot sequence number it read (HAPI stores the
/// matching resource ids): following its pages neither repeats nor skips a match while new versions are written,
/// and each page shows the resources as they are when the page is read.
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

    /// <summary>Current resources matching a search, at most <paramref name="limit"/>.</summary>
    public async Task<List<StoredResource>> FindCurrentAsync(SearchRequest request, int limit, CancellationToken ct)
    {
        var query = new SearchSql(request, snapshot: null);
        await using var command = dataSource.CreateCommand($"SELECT {ResourceColumns} FROM fhir_resource r WHERE {query.Where} LIMIT {limit}");
        command.Parameters.AddRange(query.CreateParameters());
        var found = new List<StoredResource>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) found.Add(ReadResource(reader));
        return found;
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

    /// <summary>HAPI's request id, kept as meta.source "#id" on everything one request writes (16 characters).</summary>
    public static string NewRequestId()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(16, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }

    /// <summary>Writes all operations in one database transaction: all of them happen, or none.</summary>
    public async Task<IReadOnlyList<WriteResult>> WriteAsync(IReadOnlyList<WriteOperation> operations, string requestId, CancellationToken ct)
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

        var matchedCreates = await ResolveConditionalTargetsAsync(connection, transaction, operations, ct);

        var seen = new HashSet<(string, string)>();
        foreach (var operation in operations.Where(o => !matchedCreates.ContainsKey(o)))
        {
            if (!seen.Add((operation.Type, operation.Id!)))
            {
                throw FhirException.BadRequest($"HAPI-0535: Transaction bundle contains multiple resources with ID: {operation.Type}/{operation.Id}");
            }
        }

        var current = await ReadCurrentVersionsAsync(connection, transaction, operations, ct);

        var rows = new List<VersionRow>();
        var results = new List<WriteResult>();
        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i];
            if (matchedCreates.TryGetValue(operation, out var matched))
            {
                results.Add(new(matched.Type, matched.Id, matched.Version, matched.LastUpdated, matched.Body, false, false,
                    StorageCode.CreateWithMatch, operation.MatchUrl));
                continue;
            }
            var exists = current.TryGetValue((operation.Type, operation.Id!), out var previous);
            if (operation.IfMatchVersion is { } expected && (!exists || previous.Version != expected))
            {
                throw new FhirException(StatusCodes.Status412PreconditionFailed,
                    $"HAPI-0989: Trying to update {operation.Type}/{operation.Id}/_history/{expected} but this is not the current version");
            }
            if (operation.Method == WriteMethod.Delete)
            {
                if (!exists || previous.Deleted)
                {
                    results.Add(new(operation.Type, operation.Id!, exists ? previous.Version : 0, lastUpdated, null, false, true,
                        exists ? StorageCode.DeleteAlreadyDeleted : StorageCode.DeleteNotFound));
                    continue;
                }
            }
            if (operation.Method == WriteMethod.Create && exists)
            {
                throw FhirException.BadRequest($"HAPI-0534: Resource {operation.Type}/{operation.Id} already exists");
            }
            var live = exists && !previous.Deleted;
            string? body = null;
            string? hash = null;
            if (operation.Resource is { } resource)
            {
                resource.Id = operation.Id;
                resource.Meta ??= new Meta();
                var clientSource = resource.Meta.Source;
                resource.Meta.VersionId = null;
                resource.Meta.LastUpdated = null;
                resource.Meta.Source = null;
                hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Serializer.SerializeToString(resource))));
                if (live && previous.ContentHash == hash)
                {
                    // BaseHapiFhirResourceDao: an update that changes nothing keeps the current version.
                    var unchanged = await ReadAsync(operation.Type, operation.Id!, null, ct);
                    results.Add(new(operation.Type, operation.Id!, previous.Version, unchanged!.LastUpdated, unchanged.Body, false, false,
                        operation.Conditional is null ? StorageCode.UpdateNoChange : StorageCode.UpdateWithMatchNoChange, operation.MatchUrl));
                    continue;
                }
                var version = exists ? previous.Version + 1 : 1;
                resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
                resource.Meta.LastUpdated = lastUpdated;
                resource.Meta.Source = string.IsNullOrEmpty(clientSource) ? $"#{requestId}"
                    : clientSource.Contains('#') ? clientSource : $"{clientSource}#{requestId}";
                body = Serializer.SerializeToString(resource);
            }
            var newVersion = exists ? previous.Version + 1 : 1;
            rows.Add(new(firstSeq + i, operation, newVersion, body, hash, exists ? previous.Pid : firstSeq + i));
            var code = operation.Method switch
            {
                WriteMethod.Delete => StorageCode.Delete,
                WriteMethod.Create => operation.IfNoneExist is null ? StorageCode.Create : StorageCode.CreateNoMatch,
                _ when operation.Conditional is not null => live ? StorageCode.UpdateWithMatch : StorageCode.UpdateNoMatch,
                _ => live ? StorageCode.Update : StorageCode.UpdateAsCreate,
            };
            results.Add(new(operation.Type, operation.Id!, newVersion, lastUpdated, body,
                Created: !live && operation.Method != WriteMethod.Delete, Deleted: operation.Method == WriteMethod.Delete, code, operation.MatchUrl));
        }

        if (rows.Count > 0)
        {
            var indexes = rows.Where(r => r.Operation.Resource is not null && r.Body is not null)
                .Select(r => (Row: r, Index: SearchIndexer.Index(r.Operation.Resource!))).ToList();
            await EnforceReferencesOnWriteAsync(connection, transaction, operations, indexes.Select(i => (i.Row.Operation, i.Index.References)), ct);
            await EnforceReferencesOnDeleteAsync(connection, transaction, rows, ct);
            await StoreVersionsAsync(connection, transaction, rows, indexes, lastUpdated, current, ct);
        }
        await transaction.CommitAsync(ct);
        return results;
    }

    private sealed record VersionRow(long Seq, WriteOperation Operation, int Version, string? Body, string? Hash, long Pid);

    /// <summary>
    /// DaoResourceLinkResolver.findTargetResource (hapi.fhir.enforce_referential_integrity_on_write, true in the
    /// starter): every indexed reference must point at a resource that exists, or is written in the same request.
    /// </summary>
    private static async Task EnforceReferencesOnWriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<WriteOperation> operations,
        IEnumerable<(WriteOperation Operation, List<ReferenceEntry> References)> written, CancellationToken ct)
    {
        var inRequest = operations.Where(o => o.Method != WriteMethod.Delete && o.Id is not null).Select(o => (o.Type, o.Id!)).ToHashSet();
        var needed = new List<(WriteOperation Operation, ReferenceEntry Reference)>();
        foreach (var (operation, references) in written)
        {
            foreach (var reference in references)
            {
                if (!inRequest.Contains((reference.TargetType, reference.TargetId))) needed.Add((operation, reference));
            }
        }
        if (needed.Count == 0) return;
        await using var command = new NpgsqlCommand("""
            SELECT k.t, k.i, r.deleted FROM unnest($1::text[], $2::text[]) AS k(t, i)
            LEFT JOIN fhir_resource r ON r.res_type = k.t AND r.res_id = k.i AND r.superseded_seq IS NULL
            """, connection, transaction);
        command.Parameters.Add(new() { Value = needed.Select(n => n.Reference.TargetType).ToArray() });
        command.Parameters.Add(new() { Value = needed.Select(n => n.Reference.TargetId).ToArray() });
        var state = new Dictionary<(string, string), bool?>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                state[(reader.GetString(0), reader.GetString(1))] = reader.IsDBNull(2) ? null : reader.GetBoolean(2);
            }
        }
        foreach (var (operation, reference) in needed)
        {
            var deleted = state.GetValueOrDefault((reference.TargetType, reference.TargetId));
            var path = FhirResourceTypes.ParametersOf(operation.Type).First(p => p.Name == reference.Param).Path;
            if (deleted is null)
            {
                throw FhirException.BadRequest($"HAPI-1094: Resource {reference.TargetType}/{reference.TargetId} not found, specified in path: {path}");
            }
            if (deleted == true)
            {
                throw FhirException.BadRequest($"HAPI-1096: Resource {reference.TargetType}/{reference.TargetId} is deleted, specified in path: {path}");
            }
        }
    }

    /// <summary>
    /// DeleteConflictService / DeleteConflictUtil (hapi.fhir.enforce_referential_integrity_on_delete, true in the
    /// starter): a resource another resource still refers to is not deleted; 409 with one issue per conflict.
    /// </summary>
    private static async Task EnforceReferencesOnDeleteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<VersionRow> rows, CancellationToken ct)
    {
        var deletes = rows.Where(r => r.Operation.Method == WriteMethod.Delete).ToList();
        if (deletes.Count == 0) return;
        var rewritten = rows.Select(r => (r.Operation.Type, r.Operation.Id!)).ToHashSet();
        await using var command = new NpgsqlCommand("""
            SELECT f.target_type, f.target_id, f.res_type, f.res_id, f.param FROM unnest($1::text[], $2::text[]) AS k(t, i)
            JOIN fhir_reference f ON f.target_id = k.i AND f.target_type = k.t
            ORDER BY f.res_type, f.res_id LIMIT 60
            """, connection, transaction);
        command.Parameters.Add(new() { Value = deletes.Select(d => d.Operation.Type).ToArray() });
        command.Parameters.Add(new() { Value = deletes.Select(d => d.Operation.Id!).ToArray() });
        var conflicts = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var source = (reader.GetString(2), reader.GetString(3));
                // A referring resource rewritten in the same request no longer counts (its index is replaced).
                if (rewritten.Contains(source)) continue;
                var path = FhirResourceTypes.ParametersOf(source.Item1).FirstOrDefault(p => p.Name == reader.GetString(4))?.Path;
                conflicts.Add($"Unable to delete {reader.GetString(0)}/{reader.GetString(1)} because at least one resource has a reference to this resource. First reference found was resource {source.Item1}/{source.Item2} in path {path}");
            }
        }
        if (conflicts.Count > 0)
        {
            throw new FhirException(StatusCodes.Status409Conflict, $"HAPI-0550: HAPI-0515: {conflicts[0]}") { Issues = conflicts };
        }
    }

    /// <summary>
    /// Finds the targets of conditional updates and creates. A create whose If-None-Exist search matches one resource
    /// is not performed (returned in the map); two or more matches fail with 412 as in HAPI.
    /// </summary>
    private async Task<Dictionary<WriteOperation, StoredResource>> ResolveConditionalTargetsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<WriteOperation> operations, CancellationToken ct)
    {
        var matchedCreates = new Dictionary<WriteOperation, StoredResource>();
        var needingIds = 0;
        foreach (var operation in operations.Where(o => o.Conditional is not null || o.IfNoneExist is not null))
        {
            var search = operation.Conditional ?? operation.IfNoneExist!;
            var query = new SearchSql(search, snapshot: null);
            await using var command = new NpgsqlCommand(
                $"SELECT {ResourceColumns} FROM fhir_resource r WHERE {query.Where} LIMIT 2", connection, transaction);
            command.Parameters.AddRange(query.CreateParameters());
            var matches = new List<StoredResource>();
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) matches.Add(ReadResource(reader));
            }
            if (matches.Count > 1)
            {
                var (code, verb) = operation.Conditional is not null ? ("0988", "UPDATE") : ("0958", "CREATE");
                throw new FhirException(StatusCodes.Status412PreconditionFailed,
                    $"HAPI-{code}: Failed to {verb} resource with match URL \"{operation.MatchUrl}\" because this search matched {matches.Count} resources");
            }
            if (matches.Count == 1)
            {
                if (operation.IfNoneExist is not null) matchedCreates[operation] = matches[0];
                else operation.Id = matches[0].Id;
            }
            else if (operation.Conditional is not null && operation.Id is null) needingIds++;
        }
        if (needingIds == 0) return matchedCreates;
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
        return matchedCreates;
    }

    private static async Task<Dictionary<(string Type, string Id), (int Version, bool Deleted, long Pid, string? ContentHash)>> ReadCurrentVersionsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<WriteOperation> operations, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT r.res_type, r.res_id, r.version, r.deleted, coalesce(r.pid, r.seq), r.content_hash
            FROM fhir_resource r JOIN unnest($1::text[], $2::text[]) AS k(res_type, res_id)
              ON r.res_type = k.res_type AND r.res_id = k.res_id
            WHERE r.superseded_seq IS NULL
            """, connection, transaction);
        var keyed = operations.Where(o => o.Id is not null).ToList();
        command.Parameters.Add(new() { Value = keyed.Select(o => o.Type).ToArray() });
        command.Parameters.Add(new() { Value = keyed.Select(o => o.Id!).ToArray() });
        var current = new Dictionary<(string, string), (int, bool, long, string?)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            current[(reader.GetString(0), reader.GetString(1))] =
                (reader.GetInt32(2), reader.GetBoolean(3), reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetString(5));
        }
        return current;
    }

    private static async Task StoreVersionsAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        List<VersionRow> rows,
        List<(VersionRow Row, (List<TokenEntry> Tokens, List<ReferenceEntry> References, List<StringEntry> Strings) Index)> indexes,
        DateTimeOffset lastUpdated,
        Dictionary<(string Type, string Id), (int Version, bool Deleted, long Pid, string? ContentHash)> current,
        CancellationToken ct)
    {
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
            foreach (var table in new[] { "fhir_token", "fhir_reference", "fhir_string" })
            {
                batch.BatchCommands.Add(Command($"""
                    DELETE FROM {table} t USING unnest($1::text[], $2::text[]) AS u(res_type, res_id)
                    WHERE t.res_type = u.res_type AND t.res_id = u.res_id
                    """, replacedTypes, replacedIds));
            }
        }
        batch.BatchCommands.Add(Command("""
            INSERT INTO fhir_resource (seq, res_type, res_id, version, last_updated, deleted, body, pid, content_hash)
            SELECT u.seq, u.res_type, u.res_id, u.version, $5, u.body IS NULL, u.body, u.pid, u.hash
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $6::text[], $7::bigint[], $8::text[])
              AS u(seq, res_type, res_id, version, body, pid, hash)
            """, rows.Select(r => r.Seq).ToArray(), rows.Select(r => r.Operation.Type).ToArray(), rows.Select(r => r.Operation.Id!).ToArray(),
            rows.Select(r => r.Version).ToArray(), lastUpdated, rows.Select(r => r.Body).ToArray(), rows.Select(r => r.Pid).ToArray(),
            rows.Select(r => r.Hash).ToArray()));

        var tokens = indexes.SelectMany(i => i.Index.Tokens.Select(t => (i.Row.Operation.Type, i.Row.Operation.Id!, t))).ToList();
        var references = indexes.SelectMany(i => i.Index.References.Select(r => (i.Row.Operation.Type, i.Row.Operation.Id!, r))).ToList();
        var strings = indexes.SelectMany(i => i.Index.Strings.Select(s => (i.Row.Operation.Type, i.Row.Operation.Id!, s))).ToList();
        if (tokens.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO fhir_token (res_type, res_id, param, system, value)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                """,
                tokens.Select(t => t.Type).ToArray(), tokens.Select(t => t.Item2).ToArray(),
                tokens.Select(t => t.t.Param).ToArray(), tokens.Select(t => t.t.System).ToArray(), tokens.Select(t => t.t.Value).ToArray()));
        }
        if (references.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO fhir_reference (res_type, res_id, param, target_type, target_id)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                """,
                references.Select(r => r.Type).ToArray(), references.Select(r => r.Item2).ToArray(),
                references.Select(r => r.r.Param).ToArray(), references.Select(r => r.r.TargetType).ToArray(),
                references.Select(r => r.r.TargetId).ToArray()));
        }
        if (strings.Count > 0)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO fhir_string (res_type, res_id, param, normalized, exact)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                """,
                strings.Select(s => s.Type).ToArray(), strings.Select(s => s.Item2).ToArray(),
                strings.Select(s => s.s.Param).ToArray(), strings.Select(s => s.s.Normalized).ToArray(), strings.Select(s => s.s.Exact).ToArray()));
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

    /// <summary>
    /// Registers a search (HAPI's SearchCoordinatorSvcImpl.registerSearch): reuses an identical search made less than
    /// <paramref name="reuseWithin"/> ago unless the client asked for no cache, else stores a new one over a snapshot.
    /// Searches not read for <paramref name="retain"/> are dropped (StaleSearchDeletingSvcImpl).
    /// </summary>
    public async Task<StoredSearch> RegisterSearchAsync(
        string kind, string? type, string? id, string query, string cacheKey, Func<NpgsqlConnection, long, Task<int>> count,
        TimeSpan? reuseWithin, TimeSpan retain, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (reuseWithin is { } window)
        {
            await using var reuse = new NpgsqlCommand("""
                UPDATE fhir_search SET last_returned = now()
                WHERE uuid = (SELECT uuid FROM fhir_search WHERE cache_key = $1 AND created > now() - $2 AND last_returned > now() - $3
                              ORDER BY created DESC LIMIT 1)
                RETURNING uuid, kind, res_type, res_id, query, snapshot, total
                """, connection);
            reuse.Parameters.Add(new() { Value = cacheKey });
            reuse.Parameters.Add(new() { Value = window });
            reuse.Parameters.Add(new() { Value = retain });
            await using var reader = await reuse.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct)) return ReadSearch(reader);
        }
        var snapshot = await CurrentSequenceAsync(connection, ct);
        var total = await count(connection, snapshot);
        var search = new StoredSearch(Guid.NewGuid().ToString(), kind, type, id, query, snapshot, total);
        await using (var expire = new NpgsqlCommand("""
            WITH gone AS (DELETE FROM fhir_search WHERE last_returned < now() - $1 RETURNING uuid)
            DELETE FROM fhir_search_cursor c USING gone WHERE c.uuid = gone.uuid
            """, connection))
        {
            expire.Parameters.Add(new() { Value = retain });
            await expire.ExecuteNonQueryAsync(ct);
        }
        await using var insert = new NpgsqlCommand("""
            INSERT INTO fhir_search (uuid, kind, res_type, res_id, query, cache_key, snapshot, total, created, last_returned)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), now())
            """, connection);
        insert.Parameters.Add(new() { Value = search.Uuid });
        insert.Parameters.Add(new() { Value = kind });
        insert.Parameters.Add(new() { Value = (object?)type ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new() { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new() { Value = query });
        insert.Parameters.Add(new() { Value = cacheKey });
        insert.Parameters.Add(new() { Value = snapshot });
        insert.Parameters.Add(new() { Value = total });
        await insert.ExecuteNonQueryAsync(ct);
        return search;
    }

    /// <summary>A stored search, if it exists and has been read within <paramref name="retain"/>; marks it read.</summary>
    public async Task<StoredSearch?> FindSearchAsync(string uuid, TimeSpan retain, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE fhir_search SET last_returned = now() WHERE uuid = $1 AND last_returned > now() - $2
            RETURNING uuid, kind, res_type, res_id, query, snapshot, total
            """);
        command.Parameters.Add(new() { Value = uuid });
        command.Parameters.Add(new() { Value = retain });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadSearch(reader) : null;
    }

    private static StoredSearch ReadSearch(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetString(4), reader.GetInt64(5), reader.GetInt32(6));

    public Task<int> CountSearchAsync(NpgsqlConnection connection, SearchRequest request, long snapshot, CancellationToken ct)
    {
        var query = new SearchSql(request, snapshot);
        return CountAsync(connection, $"SELECT count(*) FROM fhir_resource r WHERE {query.Where}", query.CreateParameters(), ct);
    }

    private static async Task<int> CountAsync(NpgsqlConnection connection, string sql, NpgsqlParameter[] parameters, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        return (int)(long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// One page of a stored search: the matches of its snapshot at [offset, offset+count), each as it is now (a
    /// match deleted since is left out, as HAPI loads pages by resource id).
    /// </summary>
    public async Task<SearchPage> ReadSearchPageAsync(StoredSearch search, SearchRequest request, int offset, int count, CancellationToken ct)
    {
        using var activity = Activity.StartActivity("fhir search page");
        activity?.SetTag("fhir.resource_type", request.ResourceType);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var matches = new List<StoredResource>();
        var hasMore = false;
        if (count > 0 && offset < search.Total)
        {
            var query = new SearchSql(request, search.Snapshot);
            var (keyTs, keyId, direction) = request.Order switch
            {
                SearchOrder.LastUpdated => ("r.last_updated", "r.seq", "ASC"),
                SearchOrder.LastUpdatedDescending => ("r.last_updated", "r.seq", "DESC"),
                _ => (null, "r.pid", "ASC"),
            };
            var cursor = offset == 0 ? null : await ReadCursorAsync(connection, search.Uuid, offset, ct);
            var keyset = cursor is null ? "" : keyTs is null
                ? $" AND {keyId} > @after_key"
                : $" AND ({keyTs}, {keyId}) {(direction == "ASC" ? ">" : "<")} (@after_ts, @after_key)";
            var order = keyTs is null ? $"{keyId} {direction}" : $"{keyTs} {direction}, {keyId} {direction}";
            var sql = $"""
                WITH s AS (
                    SELECT r.res_type, r.res_id, r.last_updated AS key_ts, {keyId} AS key_id FROM fhir_resource r
                    WHERE {query.Where}{keyset} ORDER BY {order} LIMIT @page_limit{(cursor is null && offset > 0 ? " OFFSET @page_offset" : "")})
                SELECT s.key_ts, s.key_id, {ResourceColumns} FROM s
                LEFT JOIN fhir_resource r ON r.res_type = s.res_type AND r.res_id = s.res_id AND r.superseded_seq IS NULL
                ORDER BY {(keyTs is null ? "s.key_id" : $"s.key_ts {direction}, s.key_id")} {direction}
                """;
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddRange(query.CreateParameters());
            if (cursor is { } c)
            {
                command.Parameters.AddWithValue("after_key", c.Key);
                if (keyTs is not null) command.Parameters.AddWithValue("after_ts", c.Ts!.Value);
            }
            command.Parameters.AddWithValue("page_limit", count + 1);
            if (cursor is null && offset > 0) command.Parameters.AddWithValue("page_offset", offset);
            var rows = 0;
            (DateTimeOffset Ts, long Key)? last = null;
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    if (++rows > count)
                    {
                        hasMore = true;
                        break;
                    }
                    last = (reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt64(1));
                    if (reader.IsDBNull(2)) continue;
                    var resource = new StoredResource(reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5),
                        reader.GetFieldValue<DateTimeOffset>(6), reader.GetBoolean(7), reader.IsDBNull(8) ? null : reader.GetString(8));
                    if (!resource.Deleted) matches.Add(resource);
                }
            }
            if (hasMore && last is { } l)
            {
                await SaveCursorAsync(connection, search.Uuid, offset + count, keyTs is null ? null : l.Ts, l.Key, ct);
            }
        }
        var included = await ReadIncludedAsync(connection, request, matches, ct);
        return new SearchPage(matches, included, search.Total, hasMore);
    }

    private static async Task<(DateTimeOffset? Ts, long Key)?> ReadCursorAsync(NpgsqlConnection connection, string uuid, int offset, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT after_ts, after_key FROM fhir_search_cursor WHERE uuid = $1 AND page_offset = $2", connection);
        command.Parameters.Add(new() { Value = uuid });
        command.Parameters.Add(new() { Value = offset });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return (reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt64(1));
    }

    private static async Task SaveCursorAsync(NpgsqlConnection connection, string uuid, int offset, DateTimeOffset? ts, long key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO fhir_search_cursor (uuid, page_offset, after_ts, after_key) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
            """, connection);
        command.Parameters.Add(new() { Value = uuid });
        command.Parameters.Add(new() { Value = offset });
        command.Parameters.Add(new() { Value = (object?)ts ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = key });
        await command.ExecuteNonQueryAsync(ct);
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

    private static (string Where, Action<NpgsqlCommand> Bind) HistoryFilter(StoredSearch search, DateTimeOffset? since)
    {
        var where = "r.seq <= @snapshot"
                    + (search.ResourceType is null ? "" : " AND r.res_type = @type")
                    + (search.ResourceId is null ? "" : " AND r.res_id = @id")
                    + (since is null ? "" : " AND r.last_updated >= @since");
        return (where, command =>
        {
            command.Parameters.AddWithValue("snapshot", search.Snapshot);
            if (search.ResourceType is not null) command.Parameters.AddWithValue("type", search.ResourceType);
            if (search.ResourceId is not null) command.Parameters.AddWithValue("id", search.ResourceId);
            if (since is { } s) command.Parameters.AddWithValue("since", s);
        });
    }

    public async Task<int> CountHistoryAsync(NpgsqlConnection connection, string? type, string? id, DateTimeOffset? since, long snapshot, CancellationToken ct)
    {
        var (where, bind) = HistoryFilter(new StoredSearch("", "history", type, id, "", snapshot, 0), since);
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM fhir_resource r WHERE {where}", connection);
        bind(command);
        return (int)(long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Versions newest first, as HAPI lists history; a page is an offset into the stored history snapshot.</summary>
    public async Task<SearchPage> ReadHistoryPageAsync(StoredSearch search, DateTimeOffset? since, int offset, int count, CancellationToken ct)
    {
        using var activity = Activity.StartActivity("fhir history");
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var (where, bind) = HistoryFilter(search, since);
        var cursor = offset == 0 ? null : await ReadCursorAsync(connection, search.Uuid, offset, ct);
        var matches = new List<StoredResource>();
        await using (var command = new NpgsqlCommand(
            $"SELECT {ResourceColumns} FROM fhir_resource r WHERE {where}"
            + (cursor is null ? "" : " AND (r.last_updated, r.seq) < (@after_ts, @after_key)")
            + " ORDER BY r.last_updated DESC, r.seq DESC LIMIT @page_limit"
            + (cursor is null && offset > 0 ? " OFFSET @page_offset" : ""), connection))
        {
            bind(command);
            if (cursor is { } c)
            {
                command.Parameters.AddWithValue("after_ts", c.Ts!.Value);
                command.Parameters.AddWithValue("after_key", c.Key);
            }
            command.Parameters.AddWithValue("page_limit", count + 1);
            if (cursor is null && offset > 0) command.Parameters.AddWithValue("page_offset", offset);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) matches.Add(ReadResource(reader));
        }
        var hasMore = matches.Count > count;
        if (hasMore)
        {
            matches.RemoveAt(matches.Count - 1);
            var last = matches[^1];
            await SaveCursorAsync(connection, search.Uuid, offset + count, last.LastUpdated, last.Seq, ct);
        }
        return new SearchPage(matches, [], search.Total, hasMore);
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

    public async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken ct) => await dataSource.OpenConnectionAsync(ct);

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
            if (filter.Definition.Type == SearchParamKind.String)
            {
                var anyOf = filter.AnyOf.Select(v => filter.Modifier switch
                {
                    "exact" => $"s.exact = {Add(v.Value)}",
                    "contains" => $"s.normalized LIKE {Add("%" + EscapeLike(SearchIndexer.Normalize(v.Value)) + "%")}",
                    _ => $"s.normalized LIKE {Add(EscapeLike(SearchIndexer.Normalize(v.Value)) + "%")}",
                });
                conditions.Add($"r.res_id IN (SELECT s.res_id FROM fhir_string s WHERE s.res_type = {type} AND s.param = {param} AND ({string.Join(" OR ", anyOf)}))");
                continue;
            }
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

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

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
