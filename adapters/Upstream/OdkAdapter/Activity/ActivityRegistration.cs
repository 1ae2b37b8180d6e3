using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.OdkAdapter.Activities;

public static class ActivityRegistration
{
    /// <summary>The activity poller (options section "Activity") and its quarantine list.</summary>
    public static IHostApplicationBuilder AddActivityIntake(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ActivityIntakeOptions>().Bind(builder.Configuration.GetSection(ActivityIntakeOptions.SectionName));
        builder.Services.AddSingleton<ActivityIntake>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ActivityIntake>());
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(ActivityIntake.TelemetryName))
            .WithMetrics(metrics => metrics.AddMeter(ActivityIntake.TelemetryName));
        return builder;
    }

    public static SuiteMessagingOptions AddActivityIntake(this SuiteMessagingOptions messaging) => messaging
        .Publish<ActivityCountedV1>(ActivityExchanges.Activity)
        .Publish<ActivityWithdrawnV1>(ActivityExchanges.Activity);

    /// <summary><c>POST /activity/poll</c>: the regular poll, now; answers how many submissions were read.</summary>
    public static void MapActivityPoll(this WebApplication app) =>
        app.MapPost("/activity/poll", (ActivityIntake intake, CancellationToken ct) =>
                AlreadyRunning.AnswerConflict(async () => Results.Ok(new { read = await intake.PollOnceAsync(ct, wait: false) })))
            .RequireSuitePolicy(SuiteIdentity.Operate);

    /// <summary><c>GET /activity/quarantine</c>: reports set aside, with the reason and the field.</summary>
    public static void MapActivityQuarantine(this WebApplication app) =>
        app.MapGet("/activity/quarantine", async (SuiteDatabase database, CancellationToken ct) =>
        {
            await using var connection = await database.DataSource.OpenConnectionAsync(ct);
            return Results.Ok(await Dapper.SqlMapper.QueryAsync(connection, $"""
                SELECT instance_id, reason, field, version, quarantined_at FROM "{database.Schema}".activity_quarantine ORDER BY quarantined_at DESC
                """));
        }).RequireSuitePolicy(SuiteIdentity.Read);
}
