using System.Globalization;
using System.Text;
using Npgsql;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;

namespace OneClickSuite.Emulators.OdkCentral.OData;

public enum ColumnType { Timestamp, Text, Integer, Uuid }

/// <summary>A filterable OData name and the SQL column behind it.</summary>
public sealed record ODataColumn(string Sql, ColumnType Type);

/// <summary>
/// The subset of OData $filter Central supports (central-backend lib/data/odata-filter.js): comparisons
/// eq ne gt ge lt le, and/or/not, parentheses, null, the date-part functions (now() parses but fails as upstream's
/// does). Only the mapped
/// system fields may be referenced; anything else is 501.5 at its position.
/// </summary>
public static class ODataFilter
{
    private static readonly string[] DateParts = ["year", "month", "day", "hour", "minute", "second"];

    public static string ToSql(string? expression, IReadOnlyDictionary<string, ODataColumn> columns, List<NpgsqlParameter> parameters)
    {
        if (string.IsNullOrWhiteSpace(expression)) return "true";
        var tree = new Parser(expression).ParseAll();
        return new Translator(columns, parameters).Boolean(tree);
    }

    /// <summary>True when the expression itself mentions deletedAt, so deleted rows are not hidden by default.</summary>
    public static bool MentionsDeletedAt(string? expression) =>
        expression is not null && expression.Contains("__system/deletedAt", StringComparison.Ordinal);

    public static string OrderBy(string expression, IReadOnlyDictionary<string, ODataColumn> columns, string stableColumn)
    {
        var clauses = new List<string>();
        string? initialOrder = null;
        foreach (var part in expression.Split(','))
        {
            var words = part.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var name = words.Length > 0 ? words[0] : "";
            if (!columns.TryGetValue(name, out var column)) throw Problems.UnsupportedODataField(null, name);
            var direction = words.Length > 1 ? words[1] : null;
            if (direction is not null && !direction.Equals("asc", StringComparison.OrdinalIgnoreCase) && !direction.Equals("desc", StringComparison.OrdinalIgnoreCase))
                throw Problems.UnsupportedODataField(null, direction);
            var order = direction?.Equals("desc", StringComparison.OrdinalIgnoreCase) == true ? "DESC NULLS LAST" : "ASC NULLS FIRST";
            initialOrder ??= order;
            clauses.Add($"{column.Sql} {order}");
        }

        clauses.Add($"{stableColumn} {initialOrder}");
        return "ORDER BY " + string.Join(", ", clauses);
    }

    private abstract record Node(int Position, string Raw);
    private sealed record FieldNode(int Position, string Raw) : Node(Position, Raw);
    private sealed record LiteralNode(int Position, string Raw, string Value, bool IsNull, bool IsBoolean) : Node(Position, Raw);
    private sealed record MethodNode(int Position, string Raw, string Method, List<Node> Arguments) : Node(Position, Raw);
    private sealed record BinaryNode(int Position, string Raw, string Operator, Node Left, Node Right) : Node(Position, Raw);
    private sealed record NotNode(int Position, string Raw, Node Operand) : Node(Position, Raw);

    private sealed record Token(string Kind, string Text, int Position);

    private sealed class Parser
    {
        private static readonly HashSet<string> Comparisons = ["eq", "ne", "gt", "ge", "lt", "le"];
        private readonly string _text;
        private readonly List<Token> _tokens;
        private int _index;

        public Parser(string text)
        {
            _text = text;
            _tokens = Tokenize(text);
        }

        public Node ParseAll()
        {
            var node = Or();
            if (_index < _tokens.Count) throw Fail($"unexpected '{_tokens[_index].Text}' at {_tokens[_index].Position}");
            return node;
        }

        private Token? Peek => _index < _tokens.Count ? _tokens[_index] : null;

        private bool IsWord(string word) => Peek is { Kind: "word" } t && t.Text == word;

        private Node Or()
        {
            var left = And();
            while (IsWord("or"))
            {
                _index++;
                var right = And();
                left = new BinaryNode(left.Position, Slice(left, right), "or", left, right);
            }
            return left;
        }

        private Node And()
        {
            var left = Not();
            while (IsWord("and"))
            {
                _index++;
                var right = Not();
                left = new BinaryNode(left.Position, Slice(left, right), "and", left, right);
            }
            return left;
        }

        private Node Not()
        {
            if (IsWord("not"))
            {
                var start = _tokens[_index++].Position;
                var operand = Not();
                return new NotNode(start, _text[start..End(operand)], operand);
            }
            return Comparison();
        }

        private Node Comparison()
        {
            var left = Operand();
            if (Peek is { Kind: "word" } t && Comparisons.Contains(t.Text))
            {
                _index++;
                var right = Operand();
                return new BinaryNode(left.Position, Slice(left, right), t.Text, left, right);
            }
            return left;
        }

        private Node Operand()
        {
            var token = Peek ?? throw Fail("unexpected end of expression");
            _index++;
            switch (token.Kind)
            {
                case "(":
                    var inner = Or();
                    if (Peek?.Kind != ")") throw Fail($"expected ')' at {Peek?.Position ?? _text.Length}");
                    _index++;
                    return inner;
                case "string":
                    return new LiteralNode(token.Position, token.Text, token.Text[1..^1].Replace("''", "'"), false, false);
                case "value":
                    return new LiteralNode(token.Position, token.Text, token.Text, false, false);
                case "word" when token.Text == "null":
                    return new LiteralNode(token.Position, token.Text, "null", true, false);
                case "word" when token.Text is "true" or "false":
                    return new LiteralNode(token.Position, token.Text, token.Text, false, true);
                case "word" when Peek?.Kind == "(":
                    _index++;
                    var arguments = new List<Node>();
                    while (Peek?.Kind != ")")
                    {
                        arguments.Add(Or());
                        if (Peek?.Kind == ",") _index++;
                        else if (Peek?.Kind != ")") throw Fail($"expected ')' at {Peek?.Position ?? _text.Length}");
                    }
                    var close = _tokens[_index++];
                    return new MethodNode(token.Position, _text[token.Position..(close.Position + 1)], token.Text, arguments);
                case "word":
                    return new FieldNode(token.Position, token.Text);
                default:
                    throw Fail($"unexpected '{token.Text}' at {token.Position}");
            }
        }

        private int End(Node node) => node.Position + node.Raw.Length;

        private string Slice(Node left, Node right) => _text[left.Position..End(right)];

        private static OdkProblem Fail(string reason) => Problems.UnparseableODataExpression(reason);

        private static List<Token> Tokenize(string text)
        {
            var tokens = new List<Token>();
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (char.IsWhiteSpace(c)) { i++; continue; }
                if (c is '(' or ')' or ',') { tokens.Add(new Token(c.ToString(), c.ToString(), i)); i++; continue; }
                if (c == '\'')
                {
                    var j = i + 1;
                    while (true)
                    {
                        if (j >= text.Length) throw Fail($"unterminated string at {i}");
                        if (text[j] == '\'' && j + 1 < text.Length && text[j + 1] == '\'') { j += 2; continue; }
                        if (text[j] == '\'') break;
                        j++;
                    }
                    tokens.Add(new Token("string", text[i..(j + 1)], i));
                    i = j + 1;
                    continue;
                }
                if (char.IsDigit(c) || (c == '-' && i + 1 < text.Length && char.IsDigit(text[i + 1])))
                {
                    var j = i + 1;
                    while (j < text.Length && (char.IsLetterOrDigit(text[j]) || text[j] is '.' or ':' or '-' or '+')) j++;
                    tokens.Add(new Token("value", text[i..j], i));
                    i = j;
                    continue;
                }
                if (char.IsLetter(c) || c is '_' or '$')
                {
                    var j = i + 1;
                    while (j < text.Length && (char.IsLetterOrDigit(text[j]) || text[j] is '_' or '/' or '$' or '-' or '.')) j++;
                    tokens.Add(new Token("word", text[i..j], i));
                    i = j;
                    continue;
                }
                throw Fail($"unexpected character '{c}' at {i}");
            }
            return tokens;
        }
    }

    private sealed class Translator(IReadOnlyDictionary<string, ODataColumn> columns, List<NpgsqlParameter> parameters)
    {
        public string Boolean(Node node) => node switch
        {
            BinaryNode { Operator: "and" or "or" } b => $"({Boolean(b.Left)} {b.Operator} {Boolean(b.Right)})",
            NotNode n => $"(not {Boolean(n.Operand)})",
            BinaryNode b => Comparison(b),
            LiteralNode { IsBoolean: true } l => l.Value,
            _ => throw Problems.UnsupportedODataExpression(node.Position, TypeName(node), node.Raw),
        };

        private string Comparison(BinaryNode node)
        {
            var leftType = TypeOf(node.Left);
            var rightType = TypeOf(node.Right);
            var left = Operand(node.Left, rightType);
            var right = Operand(node.Right, leftType);
            switch (node.Operator)
            {
                case "eq":
                    return Equality(left, right);
                case "ne":
                    return $"(NOT {Equality(left, right)})";
                default:
                    var op = node.Operator switch { "gt" => ">", "ge" => ">=", "lt" => "<", _ => "<=" };
                    return $"({left ?? "NULL"} {op} {right ?? "NULL"})";
            }
        }

        private static string Equality(string? left, string? right) => (left, right) switch
        {
            (null, null) => "(TRUE)",
            (null, _) => $"({right} IS NULL)",
            (_, null) => $"({left} IS NULL)",
            _ => $"({left} IS NOT DISTINCT FROM {right})",
        };

        /// <summary>The type a literal on the other side must take; null when that side is itself a literal.</summary>
        private ColumnType? TypeOf(Node node) => node switch
        {
            FieldNode f when columns.TryGetValue(f.Raw, out var column) => column.Type,
            MethodNode => ColumnType.Integer,
            _ => null,
        };

        /// <returns>SQL for the operand, or null for the null literal.</returns>
        private string? Operand(Node node, ColumnType? context)
        {
            switch (node)
            {
                case FieldNode f:
                    return columns.TryGetValue(f.Raw, out var column) ? column.Sql : throw Problems.UnsupportedODataField(f.Position, f.Raw);
                case LiteralNode { IsNull: true }:
                    return null;
                case LiteralNode { IsBoolean: true } b:
                    return b.Value;
                case LiteralNode l:
                    return Parameter(l, context);
                case MethodNode m when m.Method == "now" && m.Arguments.Count == 0:
                    // lib/data/odata-filter.js maps now() to a SQL fragment that fails when the query runs in
                    // v2026.2 (observed: every filter using now() answers a bare 500 there).
                    throw Problems.InternalServerError();
                case MethodNode m when DateParts.Contains(m.Method) && m.Arguments.Count == 1:
                    return $"extract({m.Method} from {Operand(m.Arguments[0], ColumnType.Timestamp)})";
                case BinaryNode or NotNode:
                    return Boolean(node);
                default:
                    throw Problems.UnsupportedODataExpression(node.Position, TypeName(node), node.Raw);
            }
        }

        private string Parameter(LiteralNode literal, ColumnType? type)
        {
            object value = type switch
            {
                ColumnType.Timestamp => DateTimeOffset.TryParse(literal.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant)
                    ? instant.UtcDateTime
                    : throw Problems.InvalidDataType(literal.Value, "timestamp"),
                ColumnType.Integer => decimal.TryParse(literal.Value, NumberStyles.Number, CultureInfo.InvariantCulture, out var number)
                    ? number
                    : throw Problems.InvalidDataType(literal.Value, "integer"),
                ColumnType.Uuid => Guid.TryParse(literal.Value, out var uuid) ? uuid : throw Problems.InvalidDataType(literal.Value, "uuid"),
                _ => literal.Value,
            };
            var name = "f" + parameters.Count.ToString(CultureInfo.InvariantCulture);
            parameters.Add(new NpgsqlParameter(name, value));
            return "@" + name;
        }

        private static string TypeName(Node node) => node switch
        {
            FieldNode => "FirstMemberExpression",
            LiteralNode => "Literal",
            MethodNode => "MethodCallExpression",
            NotNode => "NotExpression",
            _ => "Expression",
        };
    }

    /// <summary>Central's $skiptoken: "01" then base64 of a small JSON object (lib/util/db.js getSkiptoken).</summary>
    public static string Skiptoken(string json) => "01" + Convert.ToBase64String(Encoding.UTF8.GetBytes(json));

    public static System.Text.Json.Nodes.JsonObject ParseSkiptoken(string token)
    {
        if (!token.StartsWith("01", StringComparison.Ordinal)) throw Problems.InvalidSkiptoken();
        try
        {
            var json = Encoding.UTF8.GetString(Convert.FromBase64String(token[2..]));
            return System.Text.Json.Nodes.JsonNode.Parse(json) as System.Text.Json.Nodes.JsonObject ?? throw Problems.InvalidSkiptoken();
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            throw Problems.InvalidSkiptoken();
        }
    }
}
