using System.Text.Json.Serialization;

namespace OneClickSuite.Emulators.PaymentHub;

/// <summary>Faults of the hub's own outbound legs, beside the standard switch on its API.</summary>
public sealed record HubFaultSettings
{
    /// <summary>Share of progress callbacks never sent (0 to 1).</summary>
    [JsonPropertyName("lostCallbackRate")] public double LostCallbackRate { get; init; }

    /// <summary>Share of transactions the provider refuses (0 to 1): they end FAILED.</summary>
    [JsonPropertyName("providerErrorRate")] public double ProviderErrorRate { get; init; }

    public string? Validate() =>
        LostCallbackRate is < 0 or > 1 || double.IsNaN(LostCallbackRate) ? "lostCallbackRate must be between 0 and 1"
        : ProviderErrorRate is < 0 or > 1 || double.IsNaN(ProviderErrorRate) ? "providerErrorRate must be between 0 and 1"
        : null;
}

public sealed class HubFaultSwitch
{
    public const string AdminPath = "/_emulator/hub-faults";
    private HubFaultSettings _settings = new();
    public HubFaultSettings Current => Volatile.Read(ref _settings);
    public void Set(HubFaultSettings settings) => Volatile.Write(ref _settings, settings);
    public static bool Strikes(double rate) => rate > 0 && Random.Shared.NextDouble() < rate;

    public static void Map(WebApplication app)
    {
        var hub = app.Services.GetRequiredService<HubFaultSwitch>();
        app.MapGet(AdminPath, () => Results.Ok(hub.Current));
        app.MapPut(AdminPath, (HubFaultSettings settings) =>
        {
            if (settings.Validate() is { } error) return Results.BadRequest(new { error });
            hub.Set(settings);
            return Results.Ok(settings);
        });
        app.MapDelete(AdminPath, () =>
        {
            hub.Set(new HubFaultSettings());
            return Results.Ok(hub.Current);
        });
    }
}
