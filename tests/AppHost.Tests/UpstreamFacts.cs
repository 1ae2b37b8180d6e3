using System.Text.RegularExpressions;
using OneClickSuite.Testing;

namespace OneClickSuite.AppHost.Tests;

/// <summary>Reads the variables each upstream requires from ../shared/upstreams.md, so the tests follow its facts.</summary>
public static partial class UpstreamFacts
{
    public static string? UpstreamsMarkdown
    {
        get
        {
            var contracts = Repository.SharedContracts;
            var path = contracts is null ? null : Path.Combine(contracts, "..", "upstreams.md");
            return path is not null && File.Exists(path) ? File.ReadAllText(path) : null;
        }
    }

    /// <summary>The names in the Fineract "Environment" block; "/ _PORT" is shorthand for the previous name's prefix.</summary>
    public static IReadOnlyList<string> FineractVariables(string markdown)
    {
        var section = markdown[markdown.IndexOf("**Environment**", StringComparison.Ordinal)..];
        var start = section.IndexOf("```", StringComparison.Ordinal) + 3;
        var block = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
        var names = new List<string>();
        foreach (var line in block.Split('\n'))
        {
            var code = line.Split('#')[0];
            string? previous = null;
            foreach (Match match in Token().Matches(code))
            {
                var token = match.Value;
                var name = token.StartsWith('_') && previous is not null ? previous[..previous.LastIndexOf('_')] + token : token;
                if (name.StartsWith("FINERACT_") || name.StartsWith("JAVA_")) names.Add(name);
                previous = name;
            }
        }
        return names.Distinct().ToList();
    }

    /// <summary>The variables start-odk.sh needs ("so set all of: ..."); "EMAIL_FROM/HOST" is shorthand for EMAIL_HOST.</summary>
    public static IReadOnlyList<string> OdkServiceVariables(string markdown)
    {
        var start = markdown.IndexOf("so set all of:", StringComparison.Ordinal);
        var end = markdown.IndexOf("(since 2026.1", start, StringComparison.Ordinal);
        var names = new List<string>();
        foreach (Match code in Backticked().Matches(markdown[start..end]))
        {
            foreach (var group in code.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = group.Split('/');
                var prefix = parts[0].Contains('_') ? parts[0][..(parts[0].IndexOf('_') + 1)] : "";
                names.Add(parts[0]);
                names.AddRange(parts.Skip(1).Select(p => prefix + p));
            }
        }
        return names.Distinct().ToList();
    }

    [GeneratedRegex(@"_?[A-Z][A-Z0-9_]*[A-Z0-9]")]
    private static partial Regex Token();

    [GeneratedRegex("`([A-Z0-9_/ ]+)`")]
    private static partial Regex Backticked();
}
