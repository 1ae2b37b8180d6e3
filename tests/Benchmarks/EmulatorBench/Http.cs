using System.Text;
using System.Text.Json;

namespace OneClickSuite.Benchmarks.Emulators;

public static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Xml(string xml) => new(xml, Encoding.UTF8, "application/xml");

    /// <summary>Sends and reads the whole answer: latency ends with the last byte, as for a real client.</summary>
    public static async Task<(int Status, byte[] Body)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using (request)
        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead))
        {
            return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync());
        }
    }

    public static Task<(int Status, byte[] Body)> PostAsync(HttpClient http, string url, HttpContent content) =>
        SendAsync(http, new HttpRequestMessage(HttpMethod.Post, url) { Content = content });

    public static Task<(int Status, byte[] Body)> GetAsync(HttpClient http, string url) =>
        SendAsync(http, new HttpRequestMessage(HttpMethod.Get, url));

    /// <summary>For set-up calls: the parsed JSON answer, or an exception naming the call, status and body.</summary>
    public static JsonElement Expect(string what, (int Status, byte[] Body) answer, int status = 200)
    {
        if (answer.Status != status)
            throw new InvalidOperationException($"{what} answered {answer.Status}: {Text(answer.Body)}");
        return answer.Body.Length == 0 ? default : JsonDocument.Parse(answer.Body).RootElement.Clone();
    }

    /// <summary>An answer's body as text for an error report, shortened.</summary>
    public static string Text(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 400)).ReplaceLineEndings(" ");
        return body.Length > 400 ? text + "…" : text;
    }

    public static CallOutcome Failure((int Status, byte[] Body) answer) => CallOutcome.Failure(answer.Status, Text(answer.Body));

    /// <summary>Only the path and query of a link, so paging works whatever origin the server writes into it.</summary>
    public static string Relative(string link) =>
        Uri.TryCreate(link, UriKind.Absolute, out var uri) ? uri.PathAndQuery.TrimStart('/') : link;
}
