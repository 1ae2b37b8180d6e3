using Polly;

namespace OneClickSuite.Clients;

/// <summary>Sends a request and turns "no response at all" into one exception type per upstream system.</summary>
internal static class HttpFailures
{
    public static async Task<HttpResponseMessage> SendAsync(
        HttpClient http,
        HttpRequestMessage request,
        Func<string, Exception, Exception> noResponse,
        CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested &&
                                   ex is HttpRequestException or TaskCanceledException or TimeoutException
                                       or ExecutionRejectedException)
        {
            throw noResponse($"{request.Method} {request.RequestUri} got no response: {ex.Message}", ex);
        }
    }
}
