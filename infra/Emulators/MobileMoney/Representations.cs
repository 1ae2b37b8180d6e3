using System.Text.Json.Nodes;
using Npgsql;

namespace OneClickSuite.Emulators.MobileMoney;

/// <summary>How the provider writes its resources (disbursements OpenAPI, components/schemas).</summary>
public static class Representations
{
    /// <summary>requestStateObject.</summary>
    public static async Task<JsonObject?> RequestStateAsync(NpgsqlConnection connection, Guid serverCorrelationId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT status, notification_method, object_reference, error::text FROM mm_request WHERE server_correlation_id = $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = serverCorrelationId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var json = new JsonObject
        {
            ["serverCorrelationId"] = serverCorrelationId.ToString(),
            ["status"] = reader.GetString(0),
            ["notificationMethod"] = reader.GetString(1),
        };
        if (!reader.IsDBNull(2)) json["objectReference"] = reader.GetString(2);
        if (!reader.IsDBNull(3)) json["error"] = JsonNode.Parse(reader.GetString(3));
        return json;
    }

    public static JsonObject PendingState(Guid serverCorrelationId, string notificationMethod) => new()
    {
        ["serverCorrelationId"] = serverCorrelationId.ToString(),
        ["status"] = "pending",
        ["notificationMethod"] = notificationMethod,
    };

    /// <summary>responseBatchTransaction; "batchdescription" as the OpenAPI spells it.</summary>
    public static async Task<JsonObject?> BatchAsync(NpgsqlConnection connection, string batchId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT batch_id, status, approval_date, completion_date, title, description, processing_flag, completed_count,
                   rejection_count, parsing_success_count, scheduled_start_date, creation_date, modification_date, request_date
            FROM mm_batch WHERE batch_id = $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = batchId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var json = new JsonObject { ["batchId"] = reader.GetString(0), ["batchStatus"] = reader.GetString(1) };
        AddDate(json, "approvalDate", reader, 2);
        AddDate(json, "completionDate", reader, 3);
        if (!reader.IsDBNull(4)) json["batchTitle"] = reader.GetString(4);
        if (!reader.IsDBNull(5)) json["batchdescription"] = reader.GetString(5);
        json["processingFlag"] = reader.GetBoolean(6);
        json["completedCount"] = reader.GetInt32(7);
        json["rejectionCount"] = reader.GetInt32(8);
        json["parsingSuccessCount"] = reader.GetInt32(9);
        AddDate(json, "scheduledStartDate", reader, 10);
        AddDate(json, "creationDate", reader, 11);
        AddDate(json, "modificationDate", reader, 12);
        AddDate(json, "requestDate", reader, 13);
        return json;
    }

    /// <summary>responseTransaction, for a single transaction or a completed batch record.</summary>
    public static async Task<JsonObject?> TransactionAsync(NpgsqlConnection connection, string reference, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT transaction_reference, type, status, amount, currency, credit_party::text, debit_party::text,
                   requesting_reference, description, creation_date, modification_date
            FROM mm_transaction WHERE transaction_reference = $1
            UNION ALL
            SELECT t.transaction_reference, t.type, 'completed', t.amount, t.currency, t.credit_party::text, t.debit_party::text,
                   t.requesting_reference, t.description, t.completion_date, t.completion_date
            FROM mm_batch_txn t WHERE t.transaction_reference = $1
            LIMIT 1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = reference });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var currency = reader.GetString(4);
        var json = new JsonObject { ["transactionReference"] = reader.GetString(0) };
        if (!reader.IsDBNull(7)) json["requestingOrganisationTransactionReference"] = reader.GetString(7);
        json["creditParty"] = JsonNode.Parse(reader.GetString(5));
        json["debitParty"] = JsonNode.Parse(reader.GetString(6));
        json["type"] = reader.GetString(1);
        json["transactionStatus"] = reader.GetString(2);
        json["amount"] = Gsma.FormatAmount(reader.GetDecimal(3), currency);
        json["currency"] = currency;
        if (!reader.IsDBNull(8)) json["descriptionText"] = reader.GetString(8);
        AddDate(json, "creationDate", reader, 9);
        AddDate(json, "modificationDate", reader, 10);
        return json;
    }

    private static void AddDate(JsonObject json, string name, NpgsqlDataReader reader, int ordinal)
    {
        if (!reader.IsDBNull(ordinal)) json[name] = Gsma.Date(reader.GetFieldValue<DateTimeOffset>(ordinal));
    }
}
