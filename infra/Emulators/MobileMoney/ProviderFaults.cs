using System.Text.Json.Serialization;

namespace OneClickSuite.Emulators.MobileMoney;

/// <summary>
/// Mobile-money misbehaviour beside the standard fault switch (which acts on API calls): callbacks lost, delivered
/// twice or late, and a share of transactions the provider rejects when it posts a batch ("partial rejections").
/// </summary>
public sealed record ProviderFaultSettings
{
    /// <summary>Share of callbacks never sent, 0 to 1.</summary>
    [JsonPropertyName("lostCallbackRate")] public double LostCallbackRate { get; init; }

    /// <summary>Share of callbacks sent twice, 0 to 1.</summary>
    [JsonPropertyName("duplicateCallbackRate")] public double DuplicateCallbackRate { get; init; }

    /// <summary>How long the provider waits before it sends a callback.</summary>
    [JsonPropertyName("callbackDelayMs")] public int CallbackDelayMs { get; init; }

    /// <summary>Share of otherwise payable transactions rejected at posting (reason "genericError: …"), 0 to 1.</summary>
    [JsonPropertyName("rejectionRate")] public double RejectionRate { get; init; }

    public static readonly ProviderFaultSettings Off = new();

    public bool IsOff => LostCallbackRate == 0 && DuplicateCallbackRate == 0 && CallbackDelayMs == 0 && RejectionRate == 0;

    public string? Validate()
    {
        static bool Rate(double r) => r is >= 0 and <= 1 && !double.IsNaN(r);
        if (!Rate(LostCallbackRate)) return "lostCallbackRate must be between 0 and 1";
        if (!Rate(DuplicateCallbackRate)) return "duplicateCallbackRate must be between 0 and 1";
        if (!Rate(RejectionRate)) return "rejectionRate must be between 0 and 1";
        if (CallbackDelayMs is < 0 or > 600_000) return "callbackDelayMs must be between 0 and 600000";
        return null;
    }
}

public sealed class ProviderFaults
{
    public const string AdminPath = "/_emulator/callback-faults";
    public const string FormPath = "/_emulator/callback-faults/form";
    public const string ConfigurationSection = "Emulator:ProviderFaults";

    private ProviderFaultSettings _settings = ProviderFaultSettings.Off;
    public ProviderFaultSettings Current => Volatile.Read(ref _settings);
    public void Set(ProviderFaultSettings settings) => Volatile.Write(ref _settings, settings);

    public static bool Strikes(double rate) => rate > 0 && Random.Shared.NextDouble() < rate;

    /// <summary>The page's buttons.</summary>
    public static readonly IReadOnlyList<(string Name, string Label, ProviderFaultSettings Settings)> Choices =
    [
        ("lose-callbacks", "Lose 20% of callbacks", new ProviderFaultSettings { LostCallbackRate = 0.2 }),
        ("duplicate-callbacks", "Send 20% of callbacks twice", new ProviderFaultSettings { DuplicateCallbackRate = 0.2 }),
        ("late-callbacks", "Delay callbacks 5 s", new ProviderFaultSettings { CallbackDelayMs = 5_000 }),
        ("reject-transactions", "Reject 10% of transactions", new ProviderFaultSettings { RejectionRate = 0.1 }),
        ("off", "Off", ProviderFaultSettings.Off),
    ];

    public static void Map(WebApplication app)
    {
        var faults = app.Services.GetRequiredService<ProviderFaults>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OneClickSuite.Emulators.MobileMoney.Faults");
        var admin = app.MapGroup(AdminPath);
        admin.MapGet("", () => Results.Ok(faults.Current));
        admin.MapPut("", (ProviderFaultSettings settings) =>
        {
            var error = settings.Validate();
            if (error is not null) return Results.BadRequest(new { error });
            faults.Set(settings);
            logger.LogWarning("Provider faults set: {Settings}", settings);
            return Results.Ok(settings);
        });
        admin.MapDelete("", () =>
        {
            faults.Set(ProviderFaultSettings.Off);
            return Results.Ok(ProviderFaultSettings.Off);
        });
        app.MapPost(FormPath, async (HttpContext context) =>
        {
            var origin = context.Request.Headers.Origin.ToString();
            if (origin.Length > 0 && origin != "null"
                && !(Uri.TryCreate(origin, UriKind.Absolute, out var from) && from.Authority == context.Request.Host.Value))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }
            if (!context.Request.HasFormContentType) return Results.BadRequest("a form is expected");
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var choice = Choices.FirstOrDefault(c => c.Name == form["choice"].ToString());
            if (choice.Name is null) return Results.BadRequest($"choice must be one of {string.Join(", ", Choices.Select(c => c.Name))}");
            faults.Set(choice.Settings);
            context.Response.Headers.Location = "/#provider-faults";
            return Results.StatusCode(StatusCodes.Status303SeeOther);
        });
    }
}
