using System.Globalization;
using System.Text;
using Npgsql;

namespace OneClickSuite.Emulators.MobileMoney;

/// <summary>
/// Sends a request's outcome to its X-Callback-URL as a PUT (disbursements OpenAPI, callbacks of batchtransactionsPOST,
/// batchtransactionsBatchIdPATCH and transactionstypetransactionTypePUT), with the client's X-CorrelationID
/// (get-started.md, "Client Correlation ID") and X-Date. One attempt: the specification defines no retries. What the
/// client answered is kept on the request (mm_request.callback_status) for the page and the tests.
/// </summary>
public sealed class Callbacks(NpgsqlDataSource db, ProviderFaults faults, ILogger<Callbacks> logger) : IDisposable
{
    // Not the resilience pipeline of the typed clients: a callback is one attempt.
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Fire and forget; the delay and loss faults apply here.</summary>
    public void Send(Guid serverCorrelationId, Guid? clientCorrelationId, string url, string body) =>
        _ = Task.Run(() => DeliverAsync(serverCorrelationId, clientCorrelationId, url, body));

    private async Task DeliverAsync(Guid serverCorrelationId, Guid? clientCorrelationId, string url, string body)
    {
        var settings = faults.Current;
        try
        {
            if (settings.CallbackDelayMs > 0) await Task.Delay(settings.CallbackDelayMs);
            if (ProviderFaults.Strikes(settings.LostCallbackRate))
            {
                logger.LogInformation("Callback for {Request} lost on purpose", serverCorrelationId);
                await RecordAsync(serverCorrelationId, "lost (emulated fault)");
                return;
            }
            var times = ProviderFaults.Strikes(settings.DuplicateCallbackRate) ? 2 : 1;
            var outcome = new List<string>();
            for (var i = 0; i < times; i++) outcome.Add(await PutAsync(clientCorrelationId, url, body));
            await RecordAsync(serverCorrelationId, string.Join(", ", outcome));
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or ObjectDisposedException)
        {
            logger.LogWarning(ex, "Callback bookkeeping for {Request} failed", serverCorrelationId);
        }
    }

    private async Task<string> PutAsync(Guid? clientCorrelationId, string url, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("X-Date", DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture));
        if (clientCorrelationId is { } id) request.Headers.TryAddWithoutValidation("X-CorrelationID", id.ToString());
        try
        {
            using var response = await _http.SendAsync(request);
            return ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("Callback PUT {Url} failed: {Message}", url, ex.Message);
            return "no answer";
        }
    }

    private async Task RecordAsync(Guid serverCorrelationId, string status)
    {
        await using var command = db.CreateCommand("UPDATE mm_request SET callback_status = $2 WHERE server_correlation_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = serverCorrelationId });
        command.Parameters.Add(new NpgsqlParameter { Value = status });
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose() => _http.Dispose();
}
