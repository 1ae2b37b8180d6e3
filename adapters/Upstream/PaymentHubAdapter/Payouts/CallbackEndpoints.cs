namespace OneClickSuite.PaymentHubAdapter.Payouts;

/// <summary>
/// Payment Hub's progress callbacks (<c>POST {X-CallbackURL}</c> with <c>{clientCorrelationId, batchId, message}</c>,
/// ph-ee-bulk-processor <c>SendCallbackRoute</c>; any 2xx ends its retries). Each batch's callback URL carries a random
/// token only Payment Hub was given; a callback with another token is refused (401), one for no batch we know is 404.
/// An accepted callback only makes the adapter ask Payment Hub about the batch now: its body is never read, so a
/// repeated, late or forged callback changes nothing.
/// </summary>
public static class CallbackEndpoints
{
    public static void MapHubCallbacks(this WebApplication app) =>
        app.MapPost("/callbacks/batches/{key:guid}/{token}", AcceptAsync)
            .WithTags("Payment Hub callbacks")
            .WithSummary("A Payment Hub progress callback about a batch: the adapter asks Payment Hub about it now");

    public static async Task<IResult> AcceptAsync(Guid key, string token, BatchDispatcher dispatcher, CancellationToken ct) =>
        await dispatcher.PokeAsync(key, token, ct) switch
        {
            true => Results.Ok(),
            false => Results.Problem(statusCode: 401, title: "this callback does not carry the batch's token"),
            null => Results.Problem(statusCode: 404, title: $"no batch {key}"),
        };
}
