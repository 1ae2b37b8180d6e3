using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using OneClickSuite.Emulators.OdkCentral.Forms;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;

namespace OneClickSuite.Emulators.OdkCentral.Data;

public sealed record FormRow(int Id, int ProjectId, string XmlFormId, string State, int? CurrentDefId, int? DraftDefId,
    DateTime CreatedAt, DateTime? UpdatedAt);

public sealed record FormDefRow(int Id, string Xml, string? Name, string Version, string Hash, string Sha, string Sha256,
    string? DraftToken, List<FormField> Fields, DateTime? PublishedAt);

public sealed record DatasetRow(int Id, int ProjectId, string Name, bool ApprovalRequired, bool OwnerOnly, DateTime CreatedAt);

/// <summary>Look-ups most endpoints start with; a missing row is ODK's 404.1.</summary>
public static class Catalog
{
    public static async Task EnsureProjectAsync(NpgsqlDataSource db, int projectId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT 1 FROM odk.projects WHERE id = @id AND deleted_at IS NULL");
        command.Parameters.AddWithValue("id", projectId);
        if (await command.ExecuteScalarAsync(ct) is null) throw Problems.NotFound();
    }

    public static async Task<FormRow> GetFormAsync(NpgsqlDataSource db, int projectId, string xmlFormId, CancellationToken ct) =>
        await FindFormAsync(db, projectId, xmlFormId, ct) ?? throw Problems.NotFound();

    public static async Task<FormRow?> FindFormAsync(NpgsqlDataSource db, int projectId, string xmlFormId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT id, project_id, xml_form_id, state, current_def_id, draft_def_id, created_at, updated_at
            FROM odk.forms WHERE project_id = @project AND xml_form_id = @form AND deleted_at IS NULL
            """);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("form", xmlFormId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return ReadForm(reader);
    }

    public static FormRow ReadForm(NpgsqlDataReader reader, int offset = 0) => new(
        reader.GetInt32(offset), reader.GetInt32(offset + 1), reader.GetString(offset + 2), reader.GetString(offset + 3),
        reader.IsDBNull(offset + 4) ? null : reader.GetInt32(offset + 4),
        reader.IsDBNull(offset + 5) ? null : reader.GetInt32(offset + 5),
        reader.GetDateTime(offset + 6), reader.IsDBNull(offset + 7) ? null : reader.GetDateTime(offset + 7));

    public static async Task<FormDefRow> GetDefAsync(NpgsqlDataSource db, int defId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT id, xml, name, version, hash, sha, sha256, draft_token, fields::text, published_at
            FROM odk.form_defs WHERE id = @id
            """);
        command.Parameters.AddWithValue("id", defId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) throw Problems.NotFound();
        return new FormDefRow(reader.GetInt32(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetString(7),
            JsonSerializer.Deserialize<List<FormField>>(reader.GetString(8)) ?? [],
            reader.IsDBNull(9) ? null : reader.GetDateTime(9));
    }

    public static async Task<DatasetRow> GetDatasetAsync(NpgsqlDataSource db, int projectId, string name, CancellationToken ct) =>
        await FindDatasetAsync(db, projectId, name, ct) ?? throw Problems.NotFound();

    public static async Task<DatasetRow?> FindDatasetAsync(NpgsqlDataSource db, int projectId, string name, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT id, project_id, name, approval_required, owner_only, created_at
            FROM odk.datasets WHERE project_id = @project AND name = @name
            """);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new DatasetRow(reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2), reader.GetBoolean(3),
            reader.GetBoolean(4), reader.GetDateTime(5));
    }

    public static async Task<List<string>> GetPropertyNamesAsync(NpgsqlDataSource db, int datasetId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT name FROM odk.ds_properties WHERE dataset_id = @id ORDER BY published_at, id");
        command.Parameters.AddWithValue("id", datasetId);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>A form as Central answers it (lib/model/frames/form.js readable fields, in that order).</summary>
    public static JsonObject FormJson(FormRow form, FormDefRow def) => new()
    {
        ["projectId"] = form.ProjectId,
        ["xmlFormId"] = form.XmlFormId,
        ["state"] = form.State,
        ["enketoId"] = null,
        ["enketoOnceId"] = null,
        ["createdAt"] = Http.Timestamp(form.CreatedAt),
        ["updatedAt"] = Http.Timestamp(form.UpdatedAt),
        ["webformsEnabled"] = false,
        ["keyId"] = null,
        ["version"] = def.Version,
        ["hash"] = def.Hash,
        ["sha"] = def.Sha,
        ["sha256"] = def.Sha256,
        ["draftToken"] = def.DraftToken,
        ["publishedAt"] = Http.Timestamp(def.PublishedAt),
        ["name"] = def.Name,
    };

    /// <summary>PostgreSQL's own account of a violated unique key, reported the way Central does.</summary>
    public static OdkProblem UniquenessFrom(PostgresException ex, string[] fields, string[] values) =>
        Problems.UniquenessViolation(fields, values, ex.TableName);
}
