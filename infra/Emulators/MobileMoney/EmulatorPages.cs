using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OneClickSuite.Emulators.MobileMoney;

/// <summary>
/// The emulator's own page (outside the API's base path): wallets with balances, batches with their progress,
/// recent requests with what their callbacks got, and both fault switches. Newest first, bounded.
/// </summary>
public static class EmulatorPages
{
    private const int Newest = 50;
    private const string Title = "Mobile money emulator";

    public static void MapEmulatorPages(this WebApplication app)
    {
        app.MapGet("/", OverviewAsync);
    }

    private static async Task<IResult> OverviewAsync(HttpContext context, NpgsqlDataSource db, ProviderFaults faults,
        IOptions<ProviderOptions> options, CancellationToken ct)
    {
        var standsFor = "The OneClickSuite sandbox's emulator of a mobile network operator's GSMA Mobile Money API v1.2 "
            + $"(bulk disbursements): its API answers at {options.Value.BasePath}, "
            + (options.Value.RequiresApproval ? "batches wait for approval (maker–checker)." : "batches are posted once parsed (one-shot).");
        await using var connection = await db.OpenConnectionAsync(ct);
        long wallets, batches, requests;
        await using (var counts = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM mm_wallet), (SELECT count(*) FROM mm_batch), (SELECT count(*) FROM mm_request)", connection))
        await using (var reader = await counts.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (wallets, batches, requests) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        var body = new StringBuilder();
        body.Append(ProviderFaultPanel(faults.Current));

        var walletRows = await Wallets.ListAsync(connection, Newest, ct);
        body.Append(Html.Heading("Wallets", "wallets", wallets, walletRows.Count));
        body.Append(Html.Table(["Account id", "MSISDN", "Name", "Balance", "Status", "Updated"],
            walletRows.Select(w => new Row($"wallet-{w.AccountId}",
                Html.Code(w.AccountId), Html.Text(w.Msisdn), Html.Text(w.Name), Html.Text(Wallets.Balance(w.Balance, w.Currency)),
                Html.Text(w.Status), Html.Date(w.UpdatedAt))
            { Attributes = [("data-account", w.AccountId)] }), "wallet-table"));

        body.Append(Html.Heading("Batches", "batches", batches, Math.Min((int)batches, Newest)));
        var batchRows = new List<Row>();
        await using (var command = new NpgsqlCommand($"""
            SELECT batch_id, status, title, record_count, parsing_success_count, completed_count, rejection_count, processing_flag,
                   creation_date, approval_date, completion_date
            FROM mm_batch ORDER BY id DESC LIMIT {Newest}
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var records = reader.GetInt32(3);
                var done = reader.GetInt32(5) + reader.GetInt32(6);
                batchRows.Add(new Row($"batch-{reader.GetString(0)}",
                    Html.Code(reader.GetString(0)), Html.Text(reader.GetString(1) + (reader.GetBoolean(7) ? " (processing)" : "")),
                    Html.Text(reader.IsDBNull(2) ? "" : reader.GetString(2)), Html.Text(records.ToString("#,0", CultureInfo.InvariantCulture)),
                    Html.Text(reader.GetInt32(4).ToString("#,0", CultureInfo.InvariantCulture)),
                    Html.Text(reader.GetInt32(5).ToString("#,0", CultureInfo.InvariantCulture)),
                    Html.Text(reader.GetInt32(6).ToString("#,0", CultureInfo.InvariantCulture)),
                    Html.Text(records == 0 ? "" : (100.0 * done / records).ToString("0", CultureInfo.InvariantCulture) + "%"),
                    Html.Date(reader.GetFieldValue<DateTimeOffset>(8)),
                    reader.IsDBNull(9) ? "" : Html.Date(reader.GetFieldValue<DateTimeOffset>(9)),
                    reader.IsDBNull(10) ? "" : Html.Date(reader.GetFieldValue<DateTimeOffset>(10)))
                { Attributes = [("data-status", reader.GetString(1))] });
            }
        }
        body.Append(Html.Table(["Batch id", "Status", "Title", "Records", "Parsed", "Completed", "Rejected", "Settled", "Created", "Approved", "Completed at"],
            batchRows, "batch-table"));

        body.Append(Html.Heading("Requests", "requests", requests, Math.Min((int)requests, Newest)));
        var requestRows = new List<Row>();
        await using (var command = new NpgsqlCommand($"""
            SELECT server_correlation_id, client_correlation_id, kind, status, notification_method, object_reference, callback_status, created_at
            FROM mm_request ORDER BY created_at DESC LIMIT {Newest}
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                requestRows.Add(new Row(null,
                    Html.Code(reader.GetGuid(0)), reader.IsDBNull(1) ? "" : Html.Code(reader.GetGuid(1)), Html.Text(reader.GetString(2)),
                    Html.Text(reader.GetString(3)), Html.Text(reader.GetString(4)), reader.IsDBNull(5) ? "" : Html.Code(reader.GetString(5)),
                    Html.Text(reader.IsDBNull(6) ? "" : reader.GetString(6)), Html.Date(reader.GetFieldValue<DateTimeOffset>(7))));
            }
        }
        body.Append(Html.Table(["Server correlation id", "X-CorrelationID", "Request", "Status", "Notification", "Object", "Callback answered", "Received"],
            requestRows, "request-table"));
        return EmulatorPage.Render(context, EmulatedSystem.MobileMoney, Title, standsFor, body.ToString());
    }

    private static string ProviderFaultPanel(ProviderFaultSettings current)
    {
        var html = new StringBuilder("<section class=\"faults\" id=\"provider-faults\"><strong>Callbacks and postings:</strong> ");
        html.Append(current.IsOff
            ? "<span class=\"state off\" data-testid=\"provider-fault-state\">off</span>"
            : $"<span class=\"state on\" data-testid=\"provider-fault-state\">{Html.Text(Describe(current))}</span>");
        html.Append("<br>");
        foreach (var (name, label, _) in ProviderFaults.Choices)
        {
            html.Append("<form method=\"post\" action=\"").Append(ProviderFaults.FormPath).Append("\">")
                .Append("<input type=\"hidden\" name=\"choice\" value=\"").Append(Html.Text(name)).Append("\">")
                .Append("<button type=\"submit\" data-testid=\"provider-fault-").Append(Html.Text(name)).Append("\">")
                .Append(Html.Text(label)).Append("</button></form>");
        }
        return html.Append("</section>").ToString();
    }

    public static string Describe(ProviderFaultSettings s)
    {
        static string Percent(double rate) => (rate * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
        var parts = new List<string>();
        if (s.LostCallbackRate > 0) parts.Add($"{Percent(s.LostCallbackRate)} of callbacks lost");
        if (s.DuplicateCallbackRate > 0) parts.Add($"{Percent(s.DuplicateCallbackRate)} of callbacks sent twice");
        if (s.CallbackDelayMs > 0) parts.Add($"callbacks {(s.CallbackDelayMs / 1000.0).ToString("0.#", CultureInfo.InvariantCulture)} s late");
        if (s.RejectionRate > 0) parts.Add($"{Percent(s.RejectionRate)} of transactions rejected");
        return string.Join(", ", parts);
    }
}
