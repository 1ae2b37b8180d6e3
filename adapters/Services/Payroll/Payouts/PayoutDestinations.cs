using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRuns;

namespace OneClickSuite.Payroll.Payouts;

/// <summary>
/// Where each worker is paid. By default into the savings account enrolment opened for them at the programme's bank
/// (Fineract); a clerk may ask for a mobile wallet instead (the worker's phone from iHRIS, or a number they give), or
/// an account at another provider through Payment Hub EE,
/// and a second person approves or rejects the change: a quiet change of payee is the commonest payroll fraud. Each
/// change is kept with who asked, who decided, when and why. An approved change applies to runs drafted after it and
/// to retries of failed lines; a run already drafted pays where its approver saw it would.
/// Before a wallet is accepted its provider is asked whose it is, and the name is kept with the change: the checker
/// sees it, and every run's checks compare it with the worker's name.
/// </summary>
public sealed class PayoutDestinations(NpgsqlDataSource db, IWalletDirectory wallets, TimeProvider clock, ILogger<PayoutDestinations> logger)
{
    public async Task<PayoutChangeView> RequestChangeAsync(string workerId, PayoutChangeRequest request, Actor actor, CancellationToken ct)
    {
        PayRunSql.Require(actor, Actor.MakerRole);
        RequireDemoScope(actor, workerId);
        var rail = request.Rail?.Trim();
        if (rail is not (PayoutRails.Fineract or PayoutRails.MobileMoney or PayoutRails.PaymentHub))
            throw PayrollRefusal.Invalid($"worker {workerId}: rail \"{request.Rail}\" is not a payout rail (fineract, mobile-money or payment-hub)");

        await using var connection = await db.OpenConnectionAsync(ct);
        var (name, phone) = await WorkerAsync(connection, workerId, ct) ?? throw PayrollRefusal.NotFound($"worker {workerId}");
        string? msisdn = null, holder = null, mode = null, payeeKey = null, payee = null;
        if (rail == PayoutRails.PaymentHub)
        {
            mode = request.PaymentMode?.Trim().ToUpperInvariant();
            payeeKey = HubPaymentModes.PayeeKeyOf(mode)
                       ?? throw PayrollRefusal.Invalid($"worker {workerId}: paymentMode: \"{request.PaymentMode}\" is not one the suite sends through Payment Hub (GSMA or CLOSEDLOOP)");
            payee = (string.IsNullOrWhiteSpace(request.Payee) ? (mode == HubPaymentModes.Gsma ? phone : null) : request.Payee.Trim());
            if (mode == HubPaymentModes.Gsma && Msisdn.Problem(payee) is { } wallet)
                throw PayrollRefusal.Invalid($"worker {workerId}: payee: {wallet}");
            if (mode == HubPaymentModes.ClosedLoop && (string.IsNullOrEmpty(payee) || !payee.All(char.IsAsciiDigit) || payee.Length > 34))
                throw PayrollRefusal.Invalid($"worker {workerId}: payee: \"{payee}\" is not an account number (digits only)");
        }
        if (rail == PayoutRails.MobileMoney)
        {
            // The worker's phone as iHRIS has it, unless the clerk gives another number.
            msisdn = string.IsNullOrWhiteSpace(request.Msisdn) ? phone : request.Msisdn.Trim();
            if (Msisdn.Problem(msisdn) is { } problem)
                throw PayrollRefusal.Invalid($"worker {workerId}: msisdn: {problem}" + (request.Msisdn is null && phone is null ? " (iHRIS has no phone for this worker)" : ""));
            holder = await HolderAsync(workerId, msisdn!, ct);
        }

        var id = Guid.CreateVersion7();
        await using (var insert = connection.Sql(null, """
            INSERT INTO payroll.payout_destinations (id, worker_id, rail, msisdn, holder_name, status, requested_by, requested_at, reason,
                payment_mode, payee_key, payee_value)
            VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10, $11)
            ON CONFLICT (worker_id) WHERE status = 'pending' DO NOTHING
            """, id, workerId, rail, msisdn, holder, actor.User, clock.GetUtcNow(), string.IsNullOrWhiteSpace(request.Reason) ? null : request.Reason.Trim(),
            mode, payeeKey, payee))
        {
            if (await insert.ExecuteNonQueryAsync(ct) == 0)
                throw PayrollRefusal.Conflict($"worker {workerId}: a change of payout destination is already waiting for approval");
        }
        logger.LogInformation("Payout destination of {Worker} to {Rail} asked for by {User}", workerId, rail, actor.User);
        return (await ChangesAsync(connection, "d.id = $1", id, ct)).Single();
    }

    /// <summary>The checker approves: another person than the one who asked; the wallet's holder is asked again now.</summary>
    public async Task<PayoutChangeView> ApproveAsync(Guid changeId, Actor actor, string? note, CancellationToken ct)
    {
        PayRunSql.Require(actor, Actor.CheckerRole);
        await using var connection = await db.OpenConnectionAsync(ct);
        var change = (await ChangesAsync(connection, "d.id = $1", changeId, ct)).SingleOrDefault()
                     ?? throw PayrollRefusal.NotFound($"payout destination change {changeId}");
        RequireDemoScope(actor, change.WorkerId);
        RequireOtherPerson(actor, change);
        var holder = change.Msisdn is { } msisdn ? await HolderAsync(change.WorkerId, msisdn, ct) : null;
        await DecideAsync(connection, change, PayoutStatus.Approved, actor, note, holder, ct);
        logger.LogInformation("Payout destination of {Worker} changed to {Rail}, approved by {User} (asked for by {Maker})",
            change.WorkerId, change.Rail, actor.User, change.RequestedBy);
        return (await ChangesAsync(connection, "d.id = $1", changeId, ct)).Single();
    }

    public async Task<PayoutChangeView> RejectAsync(Guid changeId, Actor actor, string? note, CancellationToken ct)
    {
        PayRunSql.Require(actor, Actor.CheckerRole);
        if (string.IsNullOrWhiteSpace(note)) throw PayrollRefusal.Invalid($"payout destination change {changeId}: note: a rejection needs a reason");
        await using var connection = await db.OpenConnectionAsync(ct);
        var change = (await ChangesAsync(connection, "d.id = $1", changeId, ct)).SingleOrDefault()
                     ?? throw PayrollRefusal.NotFound($"payout destination change {changeId}");
        RequireDemoScope(actor, change.WorkerId);
        RequireOtherPerson(actor, change);
        await DecideAsync(connection, change, PayoutStatus.Rejected, actor, note, change.HolderName, ct);
        return (await ChangesAsync(connection, "d.id = $1", changeId, ct)).Single();
    }

    public async Task<PayoutDestinationView> GetAsync(string workerId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var (_, phone) = await WorkerAsync(connection, workerId, ct) ?? throw PayrollRefusal.NotFound($"worker {workerId}");
        var history = await ChangesAsync(connection, "d.worker_id = $1", workerId, ct);
        var current = history.Where(c => c.Status == PayoutStatus.Approved).MaxBy(c => c.DecidedAt);
        long? savings = null;
        await using (var account = connection.Sql(null, "SELECT savings_account_id FROM payroll.worker_accounts WHERE worker_id = $1", workerId))
        {
            savings = await account.ExecuteScalarAsync(ct) as long?;
        }
        var rail = current?.Rail ?? PayoutRails.Fineract;
        return new PayoutDestinationView(workerId, rail, Describe(rail, current?.Msisdn, savings, current?.PaymentMode, current?.PayeeValue),
            current?.Msisdn, current?.HolderName,
            current?.DecidedAt, phone, history.FirstOrDefault(c => c.Status == PayoutStatus.Pending), history);
    }

    public async Task<IReadOnlyList<PayoutChangeView>> ListPendingAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ChangesAsync(connection, "d.status = $1", PayoutStatus.Pending, ct);
    }

    /// <summary>How a destination reads on a statement and a page.</summary>
    public static string Describe(string rail, string? msisdn, long? savingsAccountId, string? paymentMode = null, string? payee = null) => rail switch
    {
        PayoutRails.MobileMoney => $"mobile wallet {msisdn}",
        PayoutRails.PaymentHub => paymentMode == HubPaymentModes.Gsma ? $"mobile wallet {payee} through Payment Hub" : $"account {payee} through Payment Hub",
        _ => savingsAccountId is { } id ? $"Fineract savings account #{id}" : "Fineract savings account",
    };

    private async Task<string> HolderAsync(string workerId, string msisdn, CancellationToken ct)
    {
        if (!wallets.Available)
            throw PayrollRefusal.Conflict($"worker {workerId}: no mobile money provider is connected to the suite, so no wallet can be paid");
        string? holder;
        try
        {
            holder = await wallets.HolderNameAsync(msisdn, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Asking the mobile money provider who holds {Msisdn} failed", msisdn);
            throw new PayrollRefusal(503, $"worker {workerId}: the mobile money provider did not say who holds wallet {msisdn}; try again");
        }
        return holder ?? throw PayrollRefusal.Invalid($"worker {workerId}: msisdn: the mobile money provider knows no wallet {msisdn}");
    }

    private async Task DecideAsync(NpgsqlConnection connection, PayoutChangeView change, string status, Actor actor, string? note, string? holder,
        CancellationToken ct)
    {
        await using var update = connection.Sql(null, """
            UPDATE payroll.payout_destinations SET status = $2, decided_by = $3, decided_at = $4, decision_note = $5, holder_name = $6
            WHERE id = $1 AND status = 'pending'
            """, change.Id, status, actor.User, clock.GetUtcNow(), string.IsNullOrWhiteSpace(note) ? null : note.Trim(), holder);
        if (await update.ExecuteNonQueryAsync(ct) == 0)
            throw PayrollRefusal.Conflict($"payout destination change {change.Id} was already {change.Status}");
    }

    private static void RequireOtherPerson(Actor actor, PayoutChangeView change)
    {
        if (string.Equals(actor.User, change.RequestedBy, StringComparison.OrdinalIgnoreCase))
            throw PayrollRefusal.Forbidden("maker–checker: a change of payout destination is decided by another person than the one who asked for it");
    }

    /// <summary>The demo's identities change only the demo's own workers, and no one else changes those.</summary>
    private static void RequireDemoScope(Actor actor, string workerId)
    {
        if (actor.IsDemo != workerId.StartsWith(Actor.DemoWorkerPrefix, StringComparison.Ordinal))
            throw PayrollRefusal.Forbidden("the demo changes only the demo's own workers, and nobody changes those but the demo");
    }

    private static async Task<(string Name, string? Phone)?> WorkerAsync(NpgsqlConnection connection, string workerId, CancellationToken ct)
    {
        await using var command = connection.Sql(null, "SELECT display_name, phone FROM payroll.workers WHERE worker_id = $1", workerId);
        await using var r = await command.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1)) : null;
    }

    private static async Task<List<PayoutChangeView>> ChangesAsync(NpgsqlConnection connection, string where, object key, CancellationToken ct)
    {
        var changes = new List<PayoutChangeView>();
        await using var command = connection.Sql(null, $"""
            SELECT d.id, d.worker_id, w.display_name, d.rail, d.msisdn, d.holder_name, d.status, d.requested_by, d.requested_at, d.reason,
                   d.decided_by, d.decided_at, d.decision_note, d.payment_mode, d.payee_key, d.payee_value
            FROM payroll.payout_destinations d LEFT JOIN payroll.workers w ON w.worker_id = d.worker_id
            WHERE {where} ORDER BY d.requested_at DESC LIMIT 500
            """, key);
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            string? name = r.IsDBNull(2) ? null : r.GetString(2), holder = r.IsDBNull(5) ? null : r.GetString(5);
            changes.Add(new PayoutChangeView(r.GetGuid(0), r.GetString(1), name, r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), holder,
                holder is null || name is null ? null : WalletNames.SamePerson(name, holder), r.GetString(6), r.GetString(7),
                r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10),
                r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11), r.IsDBNull(12) ? null : r.GetString(12),
                r.IsDBNull(13) ? null : r.GetString(13), r.IsDBNull(14) ? null : r.GetString(14), r.IsDBNull(15) ? null : r.GetString(15)));
        }
        return changes;
    }
}
