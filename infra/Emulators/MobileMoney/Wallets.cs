using System.Globalization;
using System.Text.Json.Serialization;
using Npgsql;

namespace OneClickSuite.Emulators.MobileMoney;

/// <summary>
/// The sandbox's wallets: opened and listed through <c>/_emulator/wallets</c> (not part of the GSMA API: a real
/// provider opens wallets through its own KYC channels), and the disbursement account seeded from configuration.
/// </summary>
public static class Wallets
{
    public const string AdminPath = "/_emulator/wallets";

    public sealed record WalletRequest(
        [property: JsonPropertyName("msisdn")] string? Msisdn,
        [property: JsonPropertyName("accountId")] string? AccountId,
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("firstName")] string? FirstName,
        [property: JsonPropertyName("lastName")] string? LastName,
        [property: JsonPropertyName("currency")] string? Currency,
        [property: JsonPropertyName("balance")] decimal? Balance,
        [property: JsonPropertyName("status")] string? Status);

    public sealed record WalletView(
        [property: JsonPropertyName("accountId")] string AccountId,
        [property: JsonPropertyName("msisdn")] string? Msisdn,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("firstName")] string? FirstName,
        [property: JsonPropertyName("lastName")] string? LastName,
        [property: JsonPropertyName("currency")] string Currency,
        [property: JsonPropertyName("balance")] decimal Balance,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("updatedAt")] DateTimeOffset UpdatedAt);

    public static void Map(WebApplication app)
    {
        var admin = app.MapGroup(AdminPath);
        admin.MapPut("", async (WalletRequest request, NpgsqlDataSource db, CancellationToken ct) =>
        {
            var problem = Problem(request);
            if (problem is not null) return Results.BadRequest(new { error = problem });
            await using var connection = await db.OpenConnectionAsync(ct);
            return Results.Ok(await UpsertAsync(connection, request, ct));
        });
        admin.MapGet("", async (NpgsqlDataSource db, int? limit, CancellationToken ct) =>
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return Results.Ok(await ListAsync(connection, Math.Clamp(limit ?? 10_000, 1, 100_000), ct));
        });
        admin.MapGet("/{accountId}", async (string accountId, NpgsqlDataSource db, CancellationToken ct) =>
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            var wallet = (await ListAsync(connection, 1, ct, accountId)).SingleOrDefault();
            return wallet is null ? Results.NotFound() : Results.Ok(wallet);
        });
    }

    private static string? Problem(WalletRequest request)
    {
        if (request.Msisdn is null && request.AccountId is null) return "msisdn or accountId is required";
        if (request.Msisdn is not null && !Gsma.IsMsisdn(request.Msisdn)) return "msisdn must be E.164 with its leading + (e.g. +254700000001)";
        if (request.AccountId is { Length: 0 or > 256 }) return "accountId must be 1 to 256 characters";
        if (request.Currency is not null && !Currencies.All.Contains(request.Currency)) return "currency must be an ISO 4217 code";
        if (request.Balance is < 0) return "balance cannot be negative";
        if (request.Status is not (null or "active" or "closed")) return "status must be active or closed";
        if (request.Name is { Length: > 256 }) return "name is longer than 256 characters";
        return null;
    }

    /// <summary>
    /// Opens the wallet (name and currency required then) or updates the fields given. A wallet is found by its
    /// account id, else its msisdn; its account id defaults to the msisdn's digits.
    /// </summary>
    public static async Task<WalletView> UpsertAsync(NpgsqlConnection connection, WalletRequest request, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        long id;
        await using (var command = new NpgsqlCommand("""
            INSERT INTO mm_wallet (account_id, msisdn, name, first_name, last_name, currency, balance, status)
            VALUES ($1, $2, COALESCE($3, $1), $4, $5, COALESCE($6, 'KES'), COALESCE($7, 0), COALESCE($8, 'active'))
            ON CONFLICT (account_id) DO UPDATE SET
                msisdn = COALESCE($2, mm_wallet.msisdn), name = COALESCE($3, mm_wallet.name),
                first_name = COALESCE($4, mm_wallet.first_name), last_name = COALESCE($5, mm_wallet.last_name),
                currency = COALESCE($6, mm_wallet.currency), balance = COALESCE($7, mm_wallet.balance),
                status = COALESCE($8, mm_wallet.status), updated_at = now()
            RETURNING id
            """, connection, transaction))
        {
            var accountId = request.AccountId ?? await ExistingAccountIdAsync(connection, transaction, request.Msisdn!, ct) ?? request.Msisdn!.TrimStart('+');
            command.Parameters.Add(new NpgsqlParameter { Value = accountId });
            foreach (var value in new object?[] { request.Msisdn, request.Name, request.FirstName, request.LastName, request.Currency })
                command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.Balance ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Numeric });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.Status ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            id = (long)(await command.ExecuteScalarAsync(ct))!;
        }
        foreach (var sql in new[]
        {
            "DELETE FROM mm_wallet_identifier WHERE wallet_id = $1",
            """
            INSERT INTO mm_wallet_identifier (key, value, wallet_id)
            SELECT k, v, $1 FROM mm_wallet, LATERAL (VALUES ('accountid', account_id), ('walletid', account_id), ('msisdn', msisdn)) x(k, v)
            WHERE id = $1 AND v IS NOT NULL
            """,
        })
        {
            await using var identifiers = new NpgsqlCommand(sql, connection, transaction);
            identifiers.Parameters.Add(new NpgsqlParameter { Value = id });
            await identifiers.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return (await ListAsync(connection, 1, ct, id: id)).Single();
    }

    private static async Task<string?> ExistingAccountIdAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string msisdn, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT account_id FROM mm_wallet WHERE msisdn = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = msisdn });
        return await command.ExecuteScalarAsync(ct) as string;
    }

    public static async Task<List<WalletView>> ListAsync(NpgsqlConnection connection, int limit, CancellationToken ct, string? accountId = null, long? id = null)
    {
        var where = accountId is not null ? "WHERE account_id = $2" : id is not null ? "WHERE id = $2" : "";
        await using var command = new NpgsqlCommand($"""
            SELECT account_id, msisdn, name, first_name, last_name, currency, balance, status, updated_at
            FROM mm_wallet {where} ORDER BY id DESC LIMIT $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        if (accountId is not null) command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        if (id is not null) command.Parameters.Add(new NpgsqlParameter { Value = id.Value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var wallets = new List<WalletView>();
        while (await reader.ReadAsync(ct))
        {
            wallets.Add(new WalletView(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5),
                reader.GetDecimal(6), reader.GetString(7), reader.GetFieldValue<DateTimeOffset>(8)));
        }
        return wallets;
    }

    /// <summary>Opens the disbursement account on first start with its opening balance; a restart keeps its balance.</summary>
    public static async Task SeedDisbursementAccountAsync(NpgsqlDataSource db, DisbursementAccountOptions account, CancellationToken ct)
    {
        if (account.AccountId is not { Length: > 0 } && account.Msisdn is not { Length: > 0 }) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        var accountId = account.AccountId is { Length: > 0 } a ? a : account.Msisdn!.TrimStart('+');
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM mm_wallet WHERE account_id = $1", connection))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = accountId });
            if (await exists.ExecuteScalarAsync(ct) is not null) return;
        }
        await UpsertAsync(connection, new WalletRequest(account.Msisdn is { Length: > 0 } m ? m : null, accountId, account.Name, null, null,
            account.Currency, account.OpeningBalance, "active"), ct);
    }

    public static string Balance(decimal value, string currency) =>
        Gsma.FormatAmount(value, currency) + " " + currency.ToString(CultureInfo.InvariantCulture);
}
