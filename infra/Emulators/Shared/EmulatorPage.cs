using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OneClickSuite.Emulators;

/// <summary>
/// HTML fragments for the emulators' own pages (their root page and <c>/_emulator/...</c> views). Every value that
/// comes from data goes through <see cref="Text"/>, which HTML-encodes it; only the fragments built here are raw.
/// </summary>
public static class Html
{
    public static string Text(object? value) => WebUtility.HtmlEncode(value switch
    {
        null => "",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    });

    public static string Link(string? href, object? text, string? testId = null) => href is null
        ? Text(text)
        : $"<a href=\"{Text(href)}\"{TestId(testId)}>{Text(text)}</a>";

    public static string Code(object? value) => $"<code>{Text(value)}</code>";

    public static string Muted(object? value) => $"<span class=\"muted\">{Text(value)}</span>";

    public static string Amount(decimal? value) => value is null ? "" : Text(value.Value.ToString("#,0.00", CultureInfo.InvariantCulture));

    public static string Date(DateTimeOffset? value) => value is null ? "" : Text(value.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture));

    public static string Date(DateOnly? value) => value is null ? "" : Text(value.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    public static string TestId(string? testId) => testId is null ? "" : $" data-testid=\"{Text(testId)}\"";

    /// <summary>A table whose cells are HTML fragments (built with the helpers above); an empty table says so.</summary>
    public static string Table(IReadOnlyList<string> headers, IEnumerable<Row> rows, string? testId = null)
    {
        var html = new StringBuilder($"<table{TestId(testId)}><thead><tr>");
        foreach (var header in headers) html.Append("<th>").Append(Text(header)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        var any = false;
        foreach (var row in rows)
        {
            any = true;
            html.Append("<tr");
            if (row.Id is not null) html.Append(" id=\"").Append(Text(row.Id)).Append('"');
            if (row.Attributes is not null)
            {
                foreach (var (name, value) in row.Attributes) html.Append(' ').Append(name).Append("=\"").Append(Text(value)).Append('"');
            }
            html.Append('>');
            foreach (var cell in row.Cells) html.Append("<td>").Append(cell).Append("</td>");
            html.Append("</tr>");
        }
        if (!any) html.Append("<tr><td colspan=\"").Append(headers.Count).Append("\" class=\"muted\">none yet</td></tr>");
        return html.Append("</tbody></table>").ToString();
    }

    /// <summary>"Newest 50 of 50,000" above a bounded table.</summary>
    public static string Heading(string title, string id, long? total = null, int? shown = null)
    {
        var count = total is null ? "" : shown is not null && total > shown
            ? $" <span class=\"count\">newest {shown.Value.ToString("#,0", CultureInfo.InvariantCulture)} of {total.Value.ToString("#,0", CultureInfo.InvariantCulture)}</span>"
            : $" <span class=\"count\" data-testid=\"{Text(id)}-total\">{total.Value.ToString("#,0", CultureInfo.InvariantCulture)}</span>";
        return $"<h2 id=\"{Text(id)}\">{Text(title)}{count}</h2>";
    }
}

/// <summary>One table row: its cells as HTML fragments, an optional element id (for links from the other emulators).</summary>
public sealed record Row(string? Id, IReadOnlyList<string> Cells, IReadOnlyList<(string Name, string Value)>? Attributes = null)
{
    public Row(string? id, params string[] cells) : this(id, (IReadOnlyList<string>)cells) { }
}

/// <summary>The emulated systems, as the pages name and link them.</summary>
public enum EmulatedSystem { Ihris, Odk, Fineract, MobileMoney, PaymentHub }

/// <summary>
/// Where the other emulators are (configuration <c>Emulator:Links:Ihris</c>, <c>Emulator:Links:Odk</c>,
/// <c>Emulator:Links:Fineract</c>, <c>Emulator:Links:MobileMoney</c>, <c>Emulator:Links:PaymentHub</c>, each the
/// emulator's root URL); an unset one is simply not linked.
/// </summary>
public sealed class EmulatorLinks(IConfiguration configuration)
{
    public const string Section = "Emulator:Links";

    public string? Root(EmulatedSystem system) =>
        configuration[$"{Section}:{system}"] is { Length: > 0 } url ? url.TrimEnd('/') : null;

    /// <summary>The worker's page on another emulator (every emulator serves <c>/_emulator/workers/{id}</c>).</summary>
    public string? Worker(EmulatedSystem system, string? workerId) =>
        workerId is { Length: > 0 } && Root(system) is { } root ? root + EmulatorPage.WorkerPath(workerId) : null;

    public static string Name(EmulatedSystem system) => system switch
    {
        EmulatedSystem.Ihris => "iHRIS",
        EmulatedSystem.Odk => "ODK Central",
        EmulatedSystem.MobileMoney => "Mobile money",
        EmulatedSystem.PaymentHub => "Payment Hub EE",
        _ => "Fineract",
    };
}

/// <summary>The page layout every emulator shares: title, what it stands in for, links to the others, the fault switch.</summary>
public static class EmulatorPage
{
    public const string FaultFormPath = "/_emulator/faults/form";
    public const string WorkersPath = "/_emulator/workers";

    public static string WorkerPath(string workerId) => $"{WorkersPath}/{Uri.EscapeDataString(workerId)}";

    private const string Style = """
        body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
        header{background:#24364f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
        header p{margin:4px 0 0;color:#d6deea;max-width:70em}header a{color:#fff}
        nav{padding:8px 24px;background:#e8ecf2;font-size:14px}nav a,nav strong{margin-right:18px}
        main{padding:8px 24px 32px;max-width:1400px}h2{font-size:17px;margin:22px 0 6px}
        .count{font-weight:normal;color:#5b6472;font-size:14px;margin-left:6px}.muted{color:#6b7380}
        table{border-collapse:collapse;background:#fff;width:100%;font-size:13.5px}
        th,td{border:1px solid #d9dee6;padding:4px 7px;text-align:left;vertical-align:top}th{background:#eef1f5}
        tr:target{background:#fff6cc}code{font-size:12.5px}
        .faults{background:#fff;border:1px solid #d9dee6;padding:10px 14px;margin-top:14px}
        .faults form{display:inline}.faults button{margin:4px 6px 0 0;padding:4px 10px;cursor:pointer}
        .state{font-weight:600}.on{color:#a61b1b}.off{color:#1f7a3a}
        """;

    /// <summary>
    /// A whole page: <paramref name="standsFor"/> says (as plain text) which upstream system and version this emulator
    /// stands in for; <paramref name="body"/> is HTML built with <see cref="Html"/>.
    /// </summary>
    public static IResult Render(HttpContext context, EmulatedSystem system, string title, string standsFor, string body)
    {
        var links = context.RequestServices.GetRequiredService<EmulatorLinks>();
        var faults = context.RequestServices.GetRequiredService<FaultSwitch>().Current;
        var returnTo = context.Request.Path.Value is { Length: > 0 } path ? path : "/";
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(Html.Text(title)).Append("</title><style>").Append(Style).Append("</style></head><body>")
            .Append("<header><h1>").Append(Html.Text(title)).Append("</h1><p data-testid=\"stands-for\">").Append(Html.Text(standsFor))
            .Append(" This page is the emulator's own, not the upstream system's.</p></header><nav>");
        foreach (var other in Enum.GetValues<EmulatedSystem>())
        {
            var name = EmulatorLinks.Name(other) + " emulator";
            if (other == system) html.Append("<a href=\"/\"><strong>").Append(Html.Text(name)).Append("</strong></a>");
            else if (links.Root(other) is { } root) html.Append(Html.Link(root + "/", name, $"link-{other.ToString().ToLowerInvariant()}"));
        }
        html.Append("</nav><main>").Append(FaultPanel(faults, returnTo)).Append(body).Append("</main></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }

    /// <summary>The fault switch's state and one button per choice (plain forms posting to <see cref="FaultFormPath"/>).</summary>
    public static string FaultPanel(FaultSettings current, string returnTo)
    {
        var html = new StringBuilder("<section class=\"faults\" id=\"faults\"><strong>Fault switch:</strong> ");
        html.Append(current.FailureRate > 0
            ? $"<span class=\"state on\" data-testid=\"fault-state\">{Html.Text(Describe(current))}</span>"
            : "<span class=\"state off\" data-testid=\"fault-state\">off</span>");
        html.Append(" <span class=\"muted\">(applies to the upstream API only, never to this page)</span><br>");
        foreach (var choice in FaultChoices.All)
        {
            html.Append("<form method=\"post\" action=\"").Append(FaultFormPath).Append("\">")
                .Append("<input type=\"hidden\" name=\"choice\" value=\"").Append(Html.Text(choice.Name)).Append("\">")
                .Append("<input type=\"hidden\" name=\"return\" value=\"").Append(Html.Text(returnTo)).Append("\">")
                .Append("<button type=\"submit\" data-testid=\"fault-").Append(Html.Text(choice.Name)).Append("\" title=\"")
                .Append(Html.Text(choice.Description)).Append("\">").Append(Html.Text(choice.Label)).Append("</button></form>");
        }
        return html.Append("</section>").ToString();
    }

    /// <summary>"error, 20% of API calls" (what the panel shows).</summary>
    public static string Describe(FaultSettings settings)
    {
        var text = $"{settings.Mode}, {(settings.FailureRate * 100).ToString("0.#", CultureInfo.InvariantCulture)}% of API calls";
        return settings.DelayMs is int delay && settings.Mode is FaultModes.Slow or FaultModes.Timeout
            ? $"{text}, {(delay / 1000.0).ToString("0.#", CultureInfo.InvariantCulture)} s"
            : text;
    }

    /// <summary>What the pages need: where the other emulators are.</summary>
    public static IHostApplicationBuilder AddEmulatorPages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EmulatorLinks>();
        return builder;
    }

    /// <summary>
    /// <c>POST /_emulator/faults/form</c>: the page's buttons. Sets the same switch as the JSON admin endpoint, then
    /// sends the browser back (303 See Other) to the page it came from. A post from another origin is refused.
    /// </summary>
    internal static void MapFaultForm(WebApplication app, FaultSwitch faultSwitch, ILogger logger)
    {
        app.MapPost(FaultFormPath, async (HttpContext context) =>
        {
            var origin = context.Request.Headers.Origin.ToString();
            if (origin.Length > 0 && origin != "null"
                && !(Uri.TryCreate(origin, UriKind.Absolute, out var from) && from.Authority == context.Request.Host.Value))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }
            if (!context.Request.HasFormContentType) return Results.BadRequest("a form is expected");
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var choice = FaultChoices.All.FirstOrDefault(c => c.Name == form["choice"].ToString());
            if (choice is null) return Results.BadRequest($"choice must be one of {string.Join(", ", FaultChoices.All.Select(c => c.Name))}");
            faultSwitch.Set(choice.Settings);
            logger.LogWarning("Faults set from the page: {Choice}", choice.Name);
            var returnTo = form["return"].ToString();
            // Only a path on this emulator: never an open redirect.
            if (!returnTo.StartsWith('/') || returnTo.StartsWith("//", StringComparison.Ordinal) || returnTo.Contains('\\')) returnTo = "/";
            // 303: the browser follows with a GET of the page.
            context.Response.Headers.Location = returnTo + "#faults";
            return Results.StatusCode(StatusCodes.Status303SeeOther);
        });
    }
}

/// <summary>The fault choices: the page's buttons and the sandbox dashboard's commands (AppHost/Sandbox/Emulators.cs).</summary>
public sealed record FaultChoice(string Name, string Label, string Description, FaultSettings Settings);

public static class FaultChoices
{
    public static readonly IReadOnlyList<FaultChoice> All =
    [
        new("error", "Fail 20% of calls", "20% of API calls answer 503 without doing anything",
            new FaultSettings { FailureRate = 0.2, Mode = FaultModes.Error }),
        new("lost-response", "Lose 20% of responses", "20% of API calls do their work, then answer 502",
            new FaultSettings { FailureRate = 0.2, Mode = FaultModes.LostResponse }),
        new("timeout", "Time out 10% of calls", "10% of API calls hang for 30 s, then answer 504 without doing anything",
            new FaultSettings { FailureRate = 0.1, Mode = FaultModes.Timeout, DelayMs = 30_000 }),
        new("slow", "Slow down every call", "every API call waits 1.5 s before it is served",
            new FaultSettings { FailureRate = 1.0, Mode = FaultModes.Slow, DelayMs = 1_500 }),
        new("off", "Off", "The emulator behaves again", FaultSettings.Off),
    ];
}
