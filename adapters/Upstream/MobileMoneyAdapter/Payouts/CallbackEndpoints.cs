namespace OneClickSuite.MobileMoneyAdapter.Payouts;

/// <summary>
/// The provider's callbacks (<c>PUT {X-Callback-URL}</c>, GSMA Mobile Money API v1.2: answered 204 when accepted).
/// Each batch's callback URL carries a random token only the provider was given; a callback with another token is
/// refused (401), one for no batch we know is 404. An accepted callback only makes the adapter ask the provider about
/// the batch now: its body is never believed, so a repeated, late or forged callback changes nothing.
/// </summary>
public static class CallbackEndpoints
{
    public static void MapProviderCallbacks(this WebApplication app) =>
        app.MapPut("/callbacks/batches/{key:guid}/{token}", AcceptAsync)
            .WithTags("Provider callbacks")
            .WithSummary("A GSMA callback about a batch: the adapter asks the provider about it now");

    public static async Task<IResult> AcceptAsync(Guid key, string token, BatchDispatcher dispatcher, CancellationToken ct) =>
        await dispatcher.PokeAsync(key, token, ct) switch
        {
            true => Results.NoContent(),
            false => Results.Problem(statusCode: 401, title: "this callback does not carry the batch's token"),
            null => Results.Problem(statusCode: 404, title: $"no batch {key}"),
        };
}
