using System.Net.Sockets;
using JasperFx.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OneClickSuite.Clients;
using OneClickSuite.Contracts;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Wolverine;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Model;
using Wolverine.ErrorHandling;
using Wolverine.Postgresql;
using Wolverine.RabbitMQ;
using Wolverine.RabbitMQ.Internal;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace OneClickSuite.Messaging;

public static class SuiteMessaging
{
    public const string DatabaseConnectionName = "suite-db";
    public const string BrokerConnectionName = "rabbitmq";

    /// <summary>
    /// Wolverine over RabbitMQ (<c>ConnectionStrings:rabbitmq</c>) with its message store in PostgreSQL
    /// (<c>ConnectionStrings:suite-db</c>, schema named after the service): durable outbox on every sender, durable
    /// inbox on every listener, retries with backoff for transient upstream failures, then the dead-letter table.
    /// Also registers <see cref="SuiteDatabase"/> and <see cref="TransactionalOutbox"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IHostApplicationBuilder AddSuiteMessaging(
        this IHostApplicationBuilder builder, string serviceName, Action<SuiteMessagingOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        // `codegen write` builds the host without starting it, so nothing connects: it needs no server and no settings.
        var generating = GeneratedHandlers.Generating;
        var database = builder.Configuration.GetConnectionString(DatabaseConnectionName)
            ?? (generating ? "Host=localhost" : throw new InvalidOperationException($"ConnectionStrings:{DatabaseConnectionName} is not set."));
        var broker = builder.Configuration.GetConnectionString(BrokerConnectionName)
            ?? (generating ? "amqp://localhost/" : throw new InvalidOperationException($"ConnectionStrings:{BrokerConnectionName} is not set."));
        var schema = SchemaName(serviceName);
        // Handlers live in the calling service's assembly; the entry assembly may be a test host.
        var handlers = Assembly.GetCallingAssembly();

        var dataSource = new NpgsqlDataSourceBuilder(database).Build();
        builder.Services.AddSingleton(new SuiteDatabase(dataSource, schema));
        builder.Services.AddSingleton<TransactionalOutbox>();

        builder.Services.AddWolverine(ExtensionDiscovery.ManualOnly, options =>
        {
            options.ServiceName = serviceName;
            options.ApplicationAssembly = handlers;
            // Handler adapters are generated ahead of time (`codegen write`, see GeneratedHandlers) and compiled into
            // the service, so no compiler is loaded at run time; a missing type fails the start (HandlerWarmUp).
            options.CodeGeneration.TypeLoadMode = TypeLoadMode.Static;
            options.CodeGeneration.GeneratedCodeOutputPath = GeneratedHandlers.OutputPath(builder.Configuration, handlers);
            // Typed HttpClients (the upstream clients) are built by a factory, so handlers get them from the container.
            options.ServiceLocationPolicy = ServiceLocationPolicy.AlwaysAllowed;

            options.PersistMessagesWithPostgresql(dataSource, schema);
            // No service asks another for a reply over the broker, so no per-process response queue is declared:
            // each service's broker user may only touch the queues of the events it publishes and subscribes to.
            var rabbit = options.UseRabbitMq(new Uri(broker)).AutoProvision().DisableSystemRequestReplyQueueDeclaration();
            // Failed messages go to Wolverine's dead-letter table (kept with their exception, replayable), not to a
            // RabbitMQ dead-letter queue that nobody can query.
            rabbit.CustomizeDeadLetterQueueing(new DeadLetterQueue("wolverine-dead-letter-queue", DeadLetterQueueMode.WolverineStorage));

            options.Policies.UseDurableOutboxOnAllSendingEndpoints();
            options.Policies.UseDurableInboxOnAllListeners();
            options.Policies.UseDurableLocalQueues();

            // A transient failure (an upstream system down, slow or refusing for a while) is waited out, however
            // long it lasts: the message stays durable and is retried at most every minute. Only permanent failures
            // are dead-lettered, so a payment never needs a person to notice an outage and replay it.
            options.Policies.OnException(IsTransient)
                .RetryWithCooldown(100.Milliseconds(), 500.Milliseconds(), 1.Seconds())
                .Then.ScheduleRetryIndefinitely(2.Seconds(), 5.Seconds(), 10.Seconds(), 30.Seconds(), 60.Seconds());
            options.Policies.OnAnyException().MoveToErrorQueue();

            configure?.Invoke(new SuiteMessagingOptions(serviceName, options, rabbit));
        });

        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource("Wolverine"))
            .WithMetrics(metrics => metrics.AddMeter("Wolverine"));
        builder.Services.AddHealthChecks().AddCheck<DeadLetterHealthCheck>("dead-letters");
        builder.Services.AddHostedService<HandlerWarmUp>();
        return builder;
    }

    /// <summary>Worth retrying: the upstream system may answer next time (5xx, timeout, lost connection, 408/429).</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        UpstreamException upstream => upstream.IsTransient,
        HttpRequestException or TimeoutException or SocketException => true,
        NpgsqlException npgsql => npgsql.IsTransient,
        _ => false,
    };

    /// <summary>"fineract-adapter" → "fineract_adapter": one PostgreSQL schema per service.</summary>
    public static string SchemaName(string serviceName) =>
        new(serviceName.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
}

/// <summary>What a service may add to the shared setup: what it publishes and what it listens to.</summary>
public sealed class SuiteMessagingOptions(string serviceName, WolverineOptions wolverine, RabbitMqTransportExpression rabbit)
{
    public string ServiceName { get; } = serviceName;

    /// <summary>The full Wolverine options, for anything the helpers below do not cover.</summary>
    public WolverineOptions Wolverine { get; } = wolverine;

    public RabbitMqTransportExpression RabbitMq { get; } = rabbit;

    /// <summary>Publishes <typeparamref name="T"/> to the fanout exchange <paramref name="exchange"/>.</summary>
    public SuiteMessagingOptions Publish<T>(string exchange)
    {
        if (Subscriptions.PublisherOf(exchange) != ServiceName)
        {
            throw new InvalidOperationException(
                $"{ServiceName} publishes to \"{exchange}\" but Contracts' Subscriptions names {Subscriptions.PublisherOf(exchange) ?? "no publisher"}: " +
                "the broker would refuse it.");
        }
        RabbitMq.DeclareExchange(exchange, e =>
        {
            e.ExchangeType = ExchangeType.Fanout;
            // Every subscriber's durable queue, so that what is published before a subscriber first starts waits for it.
            foreach (var subscriber in Subscriptions.Of(exchange))
            {
                var queue = Subscriptions.QueueOf(subscriber, exchange);
                e.BindQueue(queue, $"{queue}-binding");
            }
        });
        Wolverine.PublishMessage<T>().ToRabbitExchange(exchange);
        return this;
    }

    /// <summary>
    /// Listens to the fanout exchange <paramref name="exchange"/> through this service's own durable queue
    /// "{service}.{exchange}", so every subscribing service gets every message and replicas share the work.
    /// </summary>
    public SuiteMessagingOptions Subscribe(string exchange, int parallelism = 4)
    {
        if (!Subscriptions.Of(exchange).Contains(ServiceName))
        {
            throw new InvalidOperationException(
                $"{ServiceName} subscribes to \"{exchange}\" but is not listed in Contracts' Subscriptions, so publishers would not keep its messages.");
        }
        var queue = Subscriptions.QueueOf(ServiceName, exchange);
        RabbitMq.DeclareExchange(exchange, e =>
        {
            e.ExchangeType = ExchangeType.Fanout;
            e.BindQueue(queue, $"{queue}-binding");
        });
        Wolverine.ListenToRabbitQueue(queue).MaximumParallelMessages(parallelism);
        return this;
    }
}
