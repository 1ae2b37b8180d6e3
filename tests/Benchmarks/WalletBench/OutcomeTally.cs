using System.Text.Json;
using OneClickSuite.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OneClickSuite.Benchmarks.Wallets;

/// <summary>
/// Takes the messages off Payroll's wallet outcome queue (nobody else reads it in the benchmark) and counts the outcomes
/// they carry: a <see cref="PaymentOutcomesV1"/> counts each of its outcomes, any other message one.
/// </summary>
public sealed class OutcomeTally : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private long _outcomes;
    private long _messages;

    private OutcomeTally(IConnection connection, IChannel channel) => (_connection, _channel) = (connection, channel);

    public long Outcomes => Interlocked.Read(ref _outcomes);

    public long Messages => Interlocked.Read(ref _messages);

    public static async Task<OutcomeTally> StartAsync(Uri amqp, string queue, CancellationToken ct)
    {
        var connection = await new ConnectionFactory { Uri = amqp }.CreateConnectionAsync(ct);
        var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        var tally = new OutcomeTally(connection, channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            // Wolverine carries the message type in the AMQP "type" property.
            var type = delivery.BasicProperties.Type ?? "";
            long count = 1;
            if (type.Contains(nameof(PaymentOutcomesV1), StringComparison.Ordinal))
            {
                var many = JsonSerializer.Deserialize<PaymentOutcomesV1>(delivery.Body.Span, Json)!;
                count = many.Settled.Count + many.Failed.Count;
            }
            Interlocked.Add(ref tally._outcomes, count);
            Interlocked.Increment(ref tally._messages);
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer, ct);
        return tally;
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
