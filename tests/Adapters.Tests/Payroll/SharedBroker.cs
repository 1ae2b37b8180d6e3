namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// Tests that host services on the test process's one RabbitMQ: each service's queues are named after the service,
/// not the test, so two such tests at once would take each other's messages. They run one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedBroker
{
    public const string Name = "shared-broker";
}
