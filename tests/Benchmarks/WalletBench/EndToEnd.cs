using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using OneClickSuite.Contracts;
using RabbitMQ.Client;

namespace OneClickSuite.Benchmarks.Wallets;

/// <summary>
/// M wallet payment requests published over RabbitMQ to the exchange Payroll publishes them to, as Wolverine envelopes
/// (headers <c>message-type</c> and <c>content-type</c>, the envelope id as the message id), into the running adapter;
/// timed until every one is recorded (the intake, one handler call per message) and until every outcome is in RabbitMQ.
/// </summary>
public static class EndToEnd
{
    public sealed record Result(double PublishSeconds, double IntakeSeconds, double Seconds, List<string> Breakdown, List<string> Problems);

    public const string RequestQueue = "mobile-money-adapter.wallet-payment-requests";

    public static readonly Guid RunId = Guid.Parse("00000000-0000-0000-0000-00000000e2e0");

    public static async Task<Result> RunAsync(AdapterRun adapter, int m, int walletOffset, CancellationToken ct)
    {
        var setup = adapter.Settings;
        var breakdown = new List<string>();
        var problems = new List<string>();
        var payRun = RunId;
        var now = DateTimeOffset.UtcNow;
        var messages = Enumerable.Range(walletOffset + 1, m).Select(i => new WalletPaymentRequestedV1(Guid.CreateVersion7(), payRun, Guid.CreateVersion7(),
            $"w{i}", $"EMP-{i}", $"Worker {i}", Raw.Amount(i), "USD", new DateOnly(2026, 10, 1), new DateOnly(2026, 10, 28), Raw.Msisdn(i), now)).ToList();
        var bodies = messages.Select(message => JsonSerializer.SerializeToUtf8Bytes(message)).ToList();
        var messageType = typeof(WalletPaymentRequestedV1).FullName!;

        await using var suite = new NpgsqlConnection(setup.SuiteDb);
        await suite.OpenAsync(ct);
        var outcomesBefore = adapter.Tally.Outcomes;
        var factory = new ConnectionFactory { Uri = setup.Rabbit.AmqpUri };
        await using var broker = await factory.CreateConnectionAsync(ct);
        await using var channel = await broker.CreateChannelAsync(new CreateChannelOptions(true, true, null, 512), ct);

        var watch = Stopwatch.StartNew();
        // Published with confirms, 512 in flight: what Payroll's outbox does when it flushes a pay run's requests.
        for (var at = 0; at < bodies.Count; at += 512)
        {
            var inFlight = new List<Task>();
            for (var i = at; i < Math.Min(bodies.Count, at + 512); i++)
            {
                var properties = new BasicProperties
                {
                    MessageId = Guid.CreateVersion7().ToString(), ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent,
                    Type = messageType,
                    Headers = new Dictionary<string, object?> { ["message-type"] = messageType, ["content-type"] = "application/json" },
                };
                inFlight.Add(channel.BasicPublishAsync(PaymentExchanges.WalletRequests, "", true, properties, bodies[i], ct).AsTask());
            }
            await Task.WhenAll(inFlight);
        }
        var published = watch.Elapsed.TotalSeconds;

        double intake;
        while (true)
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {AdapterRun.Schema}.payouts WHERE run_id = $1", suite)
                { Parameters = { new() { Value = payRun } } };
            if ((long)(await count.ExecuteScalarAsync(ct))! >= m)
            {
                intake = watch.Elapsed.TotalSeconds;
                break;
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(published + 120))
            {
                await using var queued = await broker.CreateChannelAsync(cancellationToken: ct);
                var waiting = (await queued.QueueDeclarePassiveAsync(RequestQueue, ct)).MessageCount;
                var dead = new List<(long, string)> { (-1, "dead letters unreadable") };
                try
                {
                    dead = await AdapterRun.ListAsync(suite, $"SELECT count(*), min(exception_message) FROM {AdapterRun.Schema}.wolverine_dead_letters",
                        r => (r.GetInt64(0), r.IsDBNull(1) ? "" : r.GetString(1)), ct);
                }
                catch (PostgresException)
                {
                }
                problems.Add($"not every request was recorded within 2 minutes of publishing: {waiting} still in {RequestQueue}, " +
                             $"{dead[0].Item1} dead letters ({dead[0].Item2})");
                intake = watch.Elapsed.TotalSeconds;
                break;
            }
            await Task.Delay(100, ct);
        }

        while (adapter.Tally.Outcomes - outcomesBefore < m)
        {
            if (problems.Count > 0 || watch.Elapsed > TimeSpan.FromMinutes(15))
            {
                problems.Add($"{adapter.Tally.Outcomes - outcomesBefore} of {m} outcomes in RabbitMQ after 15 minutes");
                break;
            }
            await Task.Delay(100, ct);
        }
        var seconds = watch.Elapsed.TotalSeconds;

        var batches = await AdapterRun.ListAsync(suite, $"""
            SELECT b.payouts, b.state FROM {AdapterRun.Schema}.batches b
            WHERE EXISTS (SELECT 1 FROM {AdapterRun.Schema}.payouts p WHERE p.batch_key = b.batch_key AND p.run_id = $1) ORDER BY b.created_at
            """, r => (Payouts: r.GetInt32(0), State: r.GetString(1)), ct, payRun);
        breakdown.Add($"{batches.Count} batches of {string.Join(", ", batches.Select(b => $"{b.Payouts:N0} ({b.State})"))}");
        var statuses = await AdapterRun.ListAsync(suite, $"SELECT status, count(*) FROM {AdapterRun.Schema}.payouts WHERE run_id = $1 GROUP BY status",
            r => (r.GetString(0), r.GetInt64(1)), ct, payRun);
        if (statuses.Count != 1 || statuses[0] != (OneClickSuite.MobileMoneyAdapter.Payouts.PayoutStatus.Completed, m))
            problems.Add("payouts by status: " + string.Join(", ", statuses.Select(s => $"{s.Item1} {s.Item2}")));
        await using var books = new NpgsqlConnection(setup.ProviderDb);
        await books.OpenAsync(ct);
        var references = messages.Select(x => PaymentReference.For(x.PaymentId)).ToArray();
        var completed = await AdapterRun.ListAsync(books, """
            SELECT count(*), count(DISTINCT requesting_reference) FROM mm_batch_txn WHERE status = 'completed' AND requesting_reference = ANY($1)
            """, r => (r.GetInt64(0), r.GetInt64(1)), ct, (object)references);
        if (completed[0] != (m, m)) problems.Add($"provider completions for these requests: {completed[0].Item1} ({completed[0].Item2} distinct), expected {m}");
        return new Result(published, intake, seconds, breakdown, problems);
    }
}
