namespace OneClickSuite.AppHost.Tests;

/// <summary>
/// How azd reads a string of the manifest (Azure/azure-dev cli/azd/pkg/apphost/eval.go): every <c>{…}</c> is an
/// expression that ends at the first <c>}</c>; one with a dot must start with a resource of the manifest; <c>{{</c> and
/// <c>}}</c> are escapes; an unclosed <c>{</c> or a lone <c>}</c> is an error. A second pass then reads the generated
/// YAML as a Go template, so an escaped brace that survives breaks the deploy as well: no escapes either.
/// </summary>
public static class AzdExpressions
{
    /// <summary>Why azd would refuse <paramref name="value"/>, or null when it evaluates.</summary>
    public static string? Problem(string value, ISet<string> resources)
    {
        for (var i = 0; i < value.Length; i++)
        {
            switch (value[i])
            {
                case '{':
                    if (i + 1 < value.Length && value[i + 1] == '{') return $"an escaped brace at {i}";
                    var end = value.IndexOf('}', i);
                    if (end < 0) return $"an unclosed brace at {i}";
                    var expression = value[(i + 1)..end];
                    if (expression.Contains('{')) return $"a brace inside an expression at {i}";
                    if (!expression.Contains('.')) return $"'{{{expression}}}' is not an expression";
                    if (!resources.Contains(expression[..expression.IndexOf('.')])) return $"'{{{expression}}}' names no resource";
                    i = end;
                    break;
                case '}':
                    return $"a lone closing brace at {i}";
            }
        }
        return null;
    }
}
