using System.Text;
using Npgsql;

namespace OneClickSuite.Emulators.Fineract;

/// <summary>
/// The emulator's own pages (not Fineract's: Fineract serves nothing outside /fineract-provider): what the tenant
/// holds now, newest first and bounded, and the fault switch.
/// </summary>
public static class EmulatorPages
{
    private const int Newest = 50;
    private const string Title = "Fineract emulator";
    private const string StandsFor = "The OneClickSuite sandbox's emulator of Apache Fineract 1.x (Mifos X core banking; "
        + "the suite's full mode runs openmf/fineract:1.14.0): its API answers at /fineract-provider/api/v1, tenant \"default\".";

    public static void MapEmulatorPages(this WebApplication app)
    {
        // Other methods keep the 404 Fineract answers outside its context path.
        app.Map("/", (HttpContext context, NpgsqlDataSource db, EmulatorLinks links, CancellationToken ct) =>
            HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
                ? OverviewAsync(context, db, links, ct)
                : Task.FromResult(Results.NotFound()));
        app.MapGet(EmulatorPage.WorkersPath + "/{workerId}", WorkerAsync);
    }

    private static async Task<IResult> OverviewAsync(HttpContext context, NpgsqlDataSource db, EmulatorLinks links, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        long clients, accounts, transactions;
        await using (var counts = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM m_client), (SELECT count(*) FROM m_savings_account),
                   (SELECT count(*) FROM m_savings_account_transaction)
            """, connection))
        await using (var reader = await counts.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (clients, accounts, transactions) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        var clientRows = await ClientsAsync(connection, "ORDER BY c.id DESC LIMIT $1", Newest, ct);
        var accountRows = await AccountsAsync(connection, "ORDER BY a.id DESC LIMIT $1", Newest, ct);
        var transactionRows = await TransactionsAsync(connection, "ORDER BY t.id DESC LIMIT $1", Newest, ct);

        var body = new StringBuilder();
        body.Append(Html.Heading("Clients", "clients", clients, clientRows.Count)).Append(ClientTable(clientRows, links));
        body.Append(Html.Heading("Savings accounts", "accounts", accounts, accountRows.Count)).Append(AccountTable(accountRows));
        body.Append(Html.Heading("Recent transactions", "transactions", transactions, transactionRows.Count)).Append(TransactionTable(transactionRows));
        return EmulatorPage.Render(context, EmulatedSystem.Fineract, Title, StandsFor, body.ToString());
    }

    /// <summary>One worker: the client whose externalId is the worker's id (as the Fineract adapter enrols them).</summary>
    private static async Task<IResult> WorkerAsync(HttpContext context, string workerId, NpgsqlDataSource db, EmulatorLinks links, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var client = (await ClientsAsync(connection, "WHERE c.external_id = $1", workerId, ct)).SingleOrDefault();
        var body = new StringBuilder();
        body.Append(Html.Heading($"Worker {workerId}", "worker"));
        body.Append("<p>").Append(Html.Link(links.Worker(EmulatedSystem.Ihris, workerId), "in the iHRIS emulator", "worker-ihris"))
            .Append(" · ").Append(Html.Link(links.Worker(EmulatedSystem.Odk, workerId), "in the ODK Central emulator", "worker-odk")).Append("</p>");
        if (client is null)
        {
            body.Append("<p data-testid=\"not-found\">No client has external id ").Append(Html.Code(workerId)).Append(".</p>");
        }
        else
        {
            body.Append(Html.Heading("Client", "clients")).Append(ClientTable([client], links));
            var accounts = await AccountsAsync(connection, "WHERE a.client_id = $1 ORDER BY a.id", client.Id, ct);
            body.Append(Html.Heading("Savings accounts", "accounts")).Append(AccountTable(accounts));
            var transactions = await TransactionsAsync(connection,
                $"WHERE a.client_id = $1 ORDER BY t.id DESC LIMIT {Newest}", client.Id, ct);
            body.Append(Html.Heading("Recent transactions", "transactions")).Append(TransactionTable(transactions));
        }
        return EmulatorPage.Render(context, EmulatedSystem.Fineract, Title, StandsFor, body.ToString());
    }

    private sealed record ClientRow(long Id, string? ExternalId, string Name, int Status, DateOnly? Activated, string? Mobile, string Accounts);

    private static async Task<List<ClientRow>> ClientsAsync(NpgsqlConnection connection, string where, object parameter, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT c.id, c.external_id, c.display_name, c.status_enum, c.activation_date, c.mobile_no,
                   (SELECT string_agg('#' || a.id || ' ' || a.currency_code || ' ' || to_char(a.account_balance_derived, 'FM999,999,999,990.00'), ', ' ORDER BY a.id)
                    FROM m_savings_account a WHERE a.client_id = c.id)
            FROM m_client c {where}
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<ClientRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new ClientRow(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateOnly>(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? "" : reader.GetString(6)));
        }
        return rows;
    }

    private static string ClientTable(IEnumerable<ClientRow> rows, EmulatorLinks links) => Html.Table(
        ["Client", "External id (worker)", "Name", "Status", "Activated", "Mobile", "Savings accounts (balance)", "Elsewhere"],
        rows.Select(c => new Row($"client-{c.Id}",
            Html.Text(c.Id),
            c.ExternalId is null ? "" : Html.Link(EmulatorPage.WorkerPath(c.ExternalId), c.ExternalId),
            Html.Text(c.Name),
            Html.Text(Clients.Status(c.Status)["value"]?.GetValue<string>()),
            Html.Date(c.Activated),
            Html.Text(c.Mobile),
            Html.Text(c.Accounts),
            c.ExternalId is null ? "" : string.Join(" · ", new[]
            {
                Html.Link(links.Worker(EmulatedSystem.Ihris, c.ExternalId), "iHRIS"),
                Html.Link(links.Worker(EmulatedSystem.Odk, c.ExternalId), "ODK"),
            }.Where(l => l.StartsWith("<a", StringComparison.Ordinal))))
        {
            Attributes = c.ExternalId is null ? null : [("data-worker", c.ExternalId)],
        }), "client-table");

    private sealed record AccountRow(long Id, long ClientId, string ClientName, string? ExternalId, string Product, int Status,
        string Currency, decimal Balance, decimal Deposits, decimal Withdrawals, DateOnly? LastTransaction);

    private static async Task<List<AccountRow>> AccountsAsync(NpgsqlConnection connection, string tail, object parameter, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT a.id, a.client_id, c.display_name, c.external_id, p.name, a.status_enum, a.currency_code,
                   a.account_balance_derived, a.total_deposits_derived, a.total_withdrawals_derived, a.last_transaction_date
            FROM m_savings_account a JOIN m_client c ON c.id = a.client_id JOIN m_savings_product p ON p.id = a.product_id
            {tail}
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<AccountRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new AccountRow(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4), reader.GetInt32(5), reader.GetString(6), reader.GetDecimal(7), reader.GetDecimal(8), reader.GetDecimal(9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateOnly>(10)));
        }
        return rows;
    }

    private static string AccountTable(IEnumerable<AccountRow> rows) => Html.Table(
        ["Account", "Client", "Product", "Status", "Currency", "Balance", "Deposits", "Withdrawals", "Last transaction"],
        rows.Select(a => new Row($"account-{a.Id}",
            Html.Text(a.Id),
            a.ExternalId is null ? Html.Text($"#{a.ClientId} {a.ClientName}") : Html.Link(EmulatorPage.WorkerPath(a.ExternalId), $"#{a.ClientId} {a.ClientName}"),
            Html.Text(a.Product),
            Html.Text(Enums.SavingsStatus(a.Status)["value"]?.GetValue<string>()),
            Html.Text(a.Currency),
            $"<span data-testid=\"balance\">{Html.Amount(a.Balance)}</span>",
            Html.Amount(a.Deposits),
            Html.Amount(a.Withdrawals),
            Html.Date(a.LastTransaction))
        {
            Attributes = a.ExternalId is null ? null : [("data-worker", a.ExternalId)],
        }), "account-table");

    private sealed record TransactionRow(long Id, long AccountId, string ClientName, string? ExternalId, int Type, DateOnly Date,
        decimal Amount, decimal RunningBalance, string Currency, string? Receipt, string? Note, bool Reversed);

    private static async Task<List<TransactionRow>> TransactionsAsync(NpgsqlConnection connection, string tail, object parameter, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT t.id, t.savings_account_id, c.display_name, c.external_id, t.transaction_type_enum, t.transaction_date,
                   t.amount, t.running_balance_derived, a.currency_code, t.receipt_number, t.note, t.is_reversed
            FROM m_savings_account_transaction t
            JOIN m_savings_account a ON a.id = t.savings_account_id JOIN m_client c ON c.id = a.client_id
            {tail}
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<TransactionRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new TransactionRow(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt32(4), reader.GetFieldValue<DateOnly>(5), reader.GetDecimal(6), reader.GetDecimal(7), reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetBoolean(11)));
        }
        return rows;
    }

    private static string TransactionTable(IEnumerable<TransactionRow> rows) => Html.Table(
        ["Transaction", "Date", "Account", "Client", "Type", "Amount", "Balance after", "Receipt", "Note"],
        rows.Select(t => new Row($"transaction-{t.Id}",
            Html.Text(t.Id),
            Html.Date(t.Date),
            Html.Text($"#{t.AccountId}"),
            t.ExternalId is null ? Html.Text(t.ClientName) : Html.Link(EmulatorPage.WorkerPath(t.ExternalId), t.ClientName),
            Html.Text(Enums.TransactionType(t.Type)["value"]?.GetValue<string>() + (t.Reversed ? " (reversed)" : "")),
            $"{Html.Text(t.Currency)} <span data-testid=\"transaction-amount\">{Html.Amount(t.Amount)}</span>",
            Html.Amount(t.RunningBalance),
            Html.Text(t.Receipt),
            Html.Text(t.Note))), "transaction-table");
}
