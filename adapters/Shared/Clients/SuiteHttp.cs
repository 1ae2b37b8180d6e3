using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using OneClickSuite.Clients.Payroll;

namespace OneClickSuite.Clients;

/// <summary>
/// A call to one of the suite's own services: who acts goes as a short-lived token signed with the suite's key
/// (<see cref="SuiteIdentity"/>), and the answer comes back as an <see cref="Outcome{T}"/>, a refusal with its problem's
/// title, or 502 when the service did not answer.
/// </summary>
public static class SuiteHttp
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static HttpRequestMessage Request(IConfiguration configuration, HttpMethod method, Uri uri, SuiteActor actor, object? body)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            SuiteIdentity.CreateToken(configuration, actor.User, actor.Roles));
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        else if (method == HttpMethod.Post) request.Content = JsonContent.Create(new { }, options: Json);
        return request;
    }

    public static async Task<Outcome<T>> SendAsync<T>(HttpClient http, IConfiguration configuration, HttpMethod method, Uri uri, SuiteActor actor,
        object? body, string service, CancellationToken ct)
    {
        using var request = Request(configuration, method, uri, actor, body);
        try
        {
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                return Outcome<T>.Refused((int)response.StatusCode,
                    ProblemTitle(text) ?? $"{(int)response.StatusCode} {response.ReasonPhrase}");
            }
            return new Outcome<T>((int)response.StatusCode, null, text.Length == 0 ? default : JsonSerializer.Deserialize<T>(text, Json));
        }
        catch (Exception ex) when (ex is HttpRequestException or Polly.ExecutionRejectedException ||
                                   ex is OperationCanceledException && !ct.IsCancellationRequested)
        {
            return Outcome<T>.Refused((int)HttpStatusCode.BadGateway, $"{service} did not answer: {ex.Message}");
        }
    }

    /// <summary>The title (or reason) of a problem+json answer; the body itself when it is not one.</summary>
    private static string? ProblemTitle(string body)
    {
        try
        {
            var node = JsonNode.Parse(body);
            var title = node?["title"]?.GetValue<string>() ?? node?["reason"]?.GetValue<string>();
            if (!string.IsNullOrWhiteSpace(title)) return title;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
        }
        return string.IsNullOrWhiteSpace(body) ? null : body;
    }
}
