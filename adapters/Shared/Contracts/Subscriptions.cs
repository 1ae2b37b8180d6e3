namespace OneClickSuite.Contracts;

/// <summary>
/// Which service listens to which exchange, each through its own durable queue "{service}.{exchange}". A publisher
/// declares every subscriber's queue and binding too: a fanout exchange drops what no queue is bound to, so without
/// this the events published before a subscriber first started (the demo workforce, on a fresh install) were lost
/// to it.
/// </summary>
public static class Subscriptions
{
    /// <summary>The one service that publishes to each exchange (the broker lets no other write to it).</summary>
    private static readonly Dictionary<string, string> Publishers = new()
    {
        [RosterExchanges.Roster] = "ihris-adapter",
        [RosterExchanges.Accounts] = "fineract-adapter",
        [ActivityExchanges.Activity] = "odk-adapter",
        [PaymentExchanges.Requests] = "payroll",
        [PaymentExchanges.Outcomes] = "fineract-adapter",
        [PaymentExchanges.WalletRequests] = "payroll",
        [PaymentExchanges.WalletOutcomes] = "mobile-money-adapter",
        [PaymentExchanges.HubRequests] = "payroll",
        [PaymentExchanges.HubOutcomes] = "payment-hub-adapter",
        [PayrollExchanges.Workers] = "payroll",
        [PayrollExchanges.Statements] = "payroll",
        [PayrollExchanges.Queries] = "odk-adapter",
    };

    private static readonly Dictionary<string, string[]> Subscribers = new()
    {
        [RosterExchanges.Roster] = ["fineract-adapter", "odk-adapter", "payroll"],
        [RosterExchanges.Accounts] = ["payroll"],
        [ActivityExchanges.Activity] = ["payroll"],
        [PaymentExchanges.Requests] = ["fineract-adapter"],
        [PaymentExchanges.Outcomes] = ["payroll"],
        [PaymentExchanges.WalletRequests] = ["mobile-money-adapter"],
        [PaymentExchanges.WalletOutcomes] = ["payroll"],
        [PaymentExchanges.HubRequests] = ["payment-hub-adapter"],
        [PaymentExchanges.HubOutcomes] = ["payroll"],
        [PayrollExchanges.Workers] = ["fineract-adapter"],
        [PayrollExchanges.Statements] = ["odk-adapter"],
        [PayrollExchanges.Queries] = ["payroll"],
    };

    /// <summary>The services subscribed to <paramref name="exchange"/>.</summary>
    public static IReadOnlyList<string> Of(string exchange) => Subscribers.GetValueOrDefault(exchange) ?? [];

    public static string QueueOf(string service, string exchange) => $"{service}.{exchange}";

    /// <summary>The service allowed to publish to <paramref name="exchange"/>.</summary>
    public static string? PublisherOf(string exchange) => Publishers.GetValueOrDefault(exchange);

    /// <summary>Every service on the broker.</summary>
    public static IEnumerable<string> Services =>
        Publishers.Values.Concat(Subscribers.Values.SelectMany(s => s)).Distinct().Order(StringComparer.Ordinal);

    /// <summary>
    /// A service's RabbitMQ permissions (regular expressions over names, as RabbitMQ's set_permissions takes them),
    /// following from this table: it may declare and write to the exchanges it publishes and the queues of their
    /// subscribers (a publisher keeps its subscribers' messages); declare, bind and read its own queues; read the
    /// exchanges it binds from. So no service can publish to another's exchange, nor read another's queue.
    /// </summary>
    public static BrokerPermissions PermissionsOf(string service)
    {
        var published = Publishers.Where(p => p.Value == service).Select(p => p.Key).ToList();
        var subscribed = Subscribers.Where(s => s.Value.Contains(service)).Select(s => s.Key).ToList();
        var ownQueues = subscribed.Select(e => QueueOf(service, e)).ToList();
        var subscriberQueues = published.SelectMany(e => Of(e).Select(s => QueueOf(s, e))).ToList();
        // Wolverine declares its dead-letter queue on every broker connection, though dead letters go to PostgreSQL here.
        string[] wolverine = ["wolverine-dead-letter-queue"];
        return new BrokerPermissions(
            Configure: Pattern([.. published, .. subscribed, .. ownQueues, .. subscriberQueues, .. wolverine]),
            Write: Pattern([.. published, .. ownQueues, .. subscriberQueues, .. wolverine]),
            Read: Pattern([.. published, .. subscribed, .. ownQueues, .. wolverine]));
    }

    private static string Pattern(IEnumerable<string> names) =>
        "^(" + string.Join("|", names.Distinct().Order(StringComparer.Ordinal).Select(System.Text.RegularExpressions.Regex.Escape)) + ")$";
}

/// <summary>RabbitMQ permissions on the virtual host: what a user may declare, write to and read from.</summary>
public sealed record BrokerPermissions(string Configure, string Write, string Read);
