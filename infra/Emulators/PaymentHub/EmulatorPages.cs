using System.Text;
using Npgsql;

namespace OneClickSuite.Emulators.PaymentHub;

/// <summary>The emulator's own root page: batches and their progress, callbacks, the two fault switches.</summary>
internal static class EmulatorPages
{
    private const int Newest = 50;
    private const string Title = "Payment Hub EE emulator";
    private const string StandsFor = "The OneClickSuite sandbox's emulator of Mifos Payment Hub EE: the bulk processor "
        + "(POST /batchtransactions) and the operations app (/api/v1/batch...), one process.";

    public static void Map(WebApplication app)
    {
        app.MapGet("/", OverviewAsync);
        app.MapPost("/_emulator/hub-faults/form", async (HttpContext http, HubFaultSwitch hub) =>
        {
            var form = await http.Request.ReadFormAsync();
            double Rate(string name) => double.TryParse(form[name], System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;
            var settings = new HubFaultSettings { LostCallbackRate = Rate("lostCallbackRate"), ProviderErrorRate = Rate("providerErrorRate") };
            if (settings.Validate() is null) hub.Set(settings);
            return Results.Redirect("/", preserveMethod: false);
        });
    }

    private static async Task<IResult> OverviewAsync(HttpContext context, NpgsqlDataSource db, HubFaultSwitch hub, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var batches = new List<Row>();
        await using (var command = new NpgsqlCommand("""
            SELECT b.batch_id, b.tenant, b.request_id, b.started_at, b.completed_at, b.duplicates, count(t.id),
                   count(t.id) FILTER (WHERE t.status = 'COMPLETED'), count(t.id) FILTER (WHERE t.status = 'FAILED'),
                   count(t.id) FILTER (WHERE t.status = 'IN_PROGRESS'), coalesce(sum(t.amount), 0),
                   (SELECT count(*) FROM ph_callback c WHERE c.batch_id = b.batch_id),
                   (SELECT count(*) FROM ph_callback c WHERE c.batch_id = b.batch_id AND c.outcome = 'lost')
            FROM ph_batch b LEFT JOIN ph_transfer t ON t.batch_id = b.batch_id
            GROUP BY b.batch_id ORDER BY b.started_at DESC LIMIT $1
            """, connection))
        {
            command.Parameters.AddWithValue(Newest);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var total = reader.GetInt64(6);
                var done = reader.GetInt64(7) + reader.GetInt64(8);
                batches.Add(new Row(reader.GetString(0),
                    Html.Code(reader.GetString(0)), Html.Text(reader.GetString(1)), Html.Text(reader.GetString(2)),
                    Html.Date(reader.GetDateTime(3)), reader.IsDBNull(4) ? Html.Muted("running") : Html.Date(reader.GetDateTime(4)),
                    Html.Text(total), Html.Text(reader.GetInt64(7)), Html.Text(reader.GetInt64(8)), Html.Text(reader.GetInt64(9)),
                    Html.Text(total == 0 ? "100%" : $"{done * 100 / total}%"), Html.Amount(reader.GetDecimal(10)),
                    Html.Text(reader.GetInt32(5)), Html.Text($"{reader.GetInt64(11)} ({reader.GetInt64(12)} lost)")));
            }
        }
        var current = hub.Current;
        var body = new StringBuilder();
        body.Append("<section class=\"faults\" id=\"hub-faults\"><strong>Hub faults:</strong> ")
            .Append("<span data-testid=\"hub-fault-state\">").Append(Html.Text(
                $"lost callbacks {current.LostCallbackRate:P0}, provider errors {current.ProviderErrorRate:P0}")).Append("</span>")
            .Append("<form method=\"post\" action=\"/_emulator/hub-faults/form\">")
            .Append("lost callbacks <input name=\"lostCallbackRate\" size=\"4\" value=\"").Append(Html.Text(current.LostCallbackRate)).Append("\"> ")
            .Append("provider errors <input name=\"providerErrorRate\" size=\"4\" value=\"").Append(Html.Text(current.ProviderErrorRate)).Append("\"> ")
            .Append("<button type=\"submit\" data-testid=\"hub-faults-set\">Set</button></form></section>");
        body.Append(Html.Heading("Batches", "batches", batches.Count, batches.Count))
            .Append(Html.Table(["Batch", "Tenant", "X-CorrelationID", "Started", "Completed", "Transfers", "Completed", "Failed",
                "In progress", "Progress", "Amount", "Duplicates", "Callbacks"], batches, "batches"));
        return EmulatorPage.Render(context, EmulatedSystem.PaymentHub, Title, StandsFor, body.ToString());
    }
}
