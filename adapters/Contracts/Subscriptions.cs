namespace OneClickSuite.Contracts;

/// <summary>
/// Which service listens to which exchange, each through its own durable queue "{service}.{exchange}". A publisher
/// declares every subscriber's queue and binding too: a fanout exchange drops what no queue is bound to, so without
/// this the events published before a subscriber first started (the demo workforce, on a fresh install) were lost
/// to it.
/// </summary>
public static class Subscriptions
{
    private static readonly Dictionary<string, string[]> Subscribers = new()
    {
        [RosterExchanges.Roster] = ["fineract-adapter", "odk-adapter", "payroll"],
        [RosterExchanges.Accounts] = ["payroll"],
        [ActivityExchanges.Activity] = ["payroll"],
        [PaymentExchanges.Requests] = ["fineract-adapter"],
        [PaymentExchanges.Outcomes] = ["payroll"],
        [PayrollExchanges.Workers] = ["fineract-adapter"],
        [PayrollExchanges.Statements] = ["odk-adapter"],
        [PayrollExchanges.Queries] = ["payroll"],
    };

    /// <summary>The services subscribed to <paramref name="exchange"/>.</summary>
    public static IReadOnlyList<string> Of(string exchange) => Subscribers.GetValueOrDefault(exchange) ?? [];

    public static string QueueOf(string service, string exchange) => $"{service}.{exchange}";
}
