using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace OneClickSuite.Emulators.Fineract;

/// <summary>
/// <c>GET /savingsaccounts/{savingsId}/transactions/search</c>: SavingsAccountTransactionsApiResource.searchTransactions,
/// TransactionSearchRequest and SavingsAccountTransactionsSearchServiceImpl.searchTransactions, with Jersey's conversion
/// of the query parameters and Spring Data's PageRequest, Sort and PageImpl in between.
/// </summary>
/// <remarks>
/// The answer is a Spring Data <c>Page</c> written by Gson field by field: <c>{"total", "content", "pageable"}</c>,
/// not Fineract's own <c>{"totalFilteredRecords", "pageItems"}</c>. <c>offset</c> is a page number
/// (<c>PageRequest.of(offset, limit)</c>): the rows skipped are <c>offset × limit</c>.
/// </remarks>
public static class SavingsSearch
{
    public const int DefaultPageSize = 50; // SearchUtil.DEFAULT_PAGE_SIZE
    private const string DefaultDateFormat = "yyyy-MM-dd"; // DateUtils.DEFAULT_DATE_FORMAT

    /// <summary>SavingsAccountTransactionType: id and entry type (C credit, D debit, null neither).</summary>
    private static readonly (int Id, char? Entry)[] TransactionTypes =
    [
        (1, 'C'), (2, 'D'), (3, 'C'), (4, 'D'), (5, 'D'), (6, null), (7, 'D'), (8, 'C'), (10, null), (12, null), (13, null),
        (14, null), (15, null), (16, null), (17, 'D'), (18, 'D'), (19, 'D'), (20, 'D'), (21, 'C'),
    ];

    /// <summary>
    /// Columns of m_savings_account_transaction that a sort may name, as SQL over the emulator's table. Upstream accepts
    /// every column of the table; the emulator knows these only.
    /// </summary>
    private static readonly Dictionary<string, string> SortColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["id"] = "t.id",
        ["savings_account_id"] = "t.savings_account_id",
        ["transaction_type_enum"] = "t.transaction_type_enum",
        ["transaction_date"] = "t.transaction_date",
        ["amount"] = "t.amount",
        ["running_balance_derived"] = "t.running_balance_derived",
        ["is_reversed"] = "t.is_reversed",
        ["submitted_on_date"] = "t.submitted_on_date",
        ["created_on_utc"] = "t.created_date",
    };

    public static IEnumerable<Route> Routes() =>
    [
        new("GET", "savingsaccounts/{id}/transactions/search", SearchAsync),
    ];

    private sealed record Order(string Property, string Direction);

    private static async Task<string> SearchAsync(CommandContext ctx)
    {
        var path = "/fineract-provider/api/v1/" + ctx.Request.Path.Trim('/');
        var savingsId = ctx.Id();

        // Jersey converts every parameter before the method runs; one it cannot convert is a 404 (QueryParamException).
        var fromDate = ctx.Query("fromDate");
        var toDate = ctx.Query("toDate");
        var fromSubmittedDate = ctx.Query("fromSubmittedDate");
        var toSubmittedDate = ctx.Query("toSubmittedDate");
        var fromAmount = BigDecimalParameter(ctx.Query("fromAmount"), path);
        var toAmount = BigDecimalParameter(ctx.Query("toAmount"), path);
        var types = ctx.Query("types");
        var credit = BooleanParameter(ctx.Query("credit"));
        var debit = BooleanParameter(ctx.Query("debit"));
        var offset = IntegerParameter(ctx.Query("offset"), path);
        var limit = IntegerParameter(ctx.Query("limit"), path);
        var orderBy = ctx.Query("orderBy");
        var sortOrder = DirectionParameter(ctx.Query("sortOrder"), path);
        var localeText = ctx.Query("locale");
        var dateFormat = ctx.Query("dateFormat");

        // searchTransactions: the locale first, then TransactionSearchRequest's dates, types and pageable in that order.
        var locale = localeText is null ? null : Locales.FromString(localeText);
        var from = ParseDate(fromDate, dateFormat, locale, path);
        var to = ParseDate(toDate, dateFormat, locale, path);
        var fromSubmitted = ParseDate(fromSubmittedDate, dateFormat, locale, path);
        var toSubmitted = ParseDate(toSubmittedDate, dateFormat, locale, path);
        var typeIds = types is null ? null : Locales.JavaSplit(types, ',');
        var pageNumber = offset ?? 0;
        var pageSize = limit ?? DefaultPageSize;
        List<Order>? requested = null;
        if (!string.IsNullOrEmpty(orderBy))
        {
            // PageRequest.of(offset, limit, direction, properties) -> Sort.by: direction must not be null, there must be
            // a property, and each must have text; then the page checks. Each failure is an IllegalArgumentException
            // no mapper handles: Spring Boot's 500.
            var properties = Locales.JavaSplit(orderBy, ',');
            if (sortOrder is null || properties.Length == 0 || properties.Any(string.IsNullOrWhiteSpace))
                throw FineractException.SpringError(500, path);
            requested = properties.Select(p => new Order(p, sortOrder)).ToList();
        }
        if (pageNumber < 0 || pageSize < 1) throw FineractException.SpringError(500, path);

        // The service: a requested sort is checked against the table's columns (400), else the default applies.
        List<Order> pageableSort;
        List<Order> sqlSort;
        if (requested is not null)
        {
            pageableSort = requested;
            sqlSort = requested.Select(o => o with { Property = SortColumn(o.Property) }).ToList();
        }
        else
        {
            pageableSort = [new("transaction_date", "DESC"), new("created_on_utc", "DESC"), new("id", "DESC")];
            sqlSort = pageableSort;
        }

        var where = new List<string> { "t.savings_account_id = $1" };
        var parameters = new List<object?> { savingsId };
        string Parameter(object value)
        {
            parameters.Add(value);
            return "$" + parameters.Count;
        }
        void Range(string column, object? low, object? high)
        {
            if (low is not null)
                where.Add(high is null ? $"{column} >= {Parameter(low)}" : $"{column} BETWEEN {Parameter(low)} AND {Parameter(high)}");
            else if (high is not null)
                where.Add($"{column} <= {Parameter(high)}");
        }
        Range("t.transaction_date", from, to);
        Range("t.submitted_on_date", fromSubmitted, toSubmitted);
        Range("t.amount", fromAmount, toAmount);

        var allowed = AllowedTypes(credit, debit, typeIds);
        if (allowed is { Length: 0 }) return Page([], 0, pageNumber, pageSize, pageableSort);
        if (allowed is not null) where.Add($"t.transaction_type_enum = ANY({Parameter(allowed)})");

        var condition = " WHERE " + string.Join(" AND ", where);
        long count;
        await using (var counting = ctx.Sql("SELECT count(*) FROM m_savings_account_transaction t" + condition, [.. parameters]))
        {
            count = (long)(await counting.ExecuteScalarAsync())!;
        }
        if (count == 0) return Page([], 0, pageNumber, pageSize, pageableSort);

        // (int) pageable.getOffset(): a row offset past int's range wraps, and PostgreSQL refuses a negative OFFSET.
        var rowOffset = unchecked((int)((long)pageNumber * pageSize));
        if (rowOffset < 0) throw FineractException.SpringError(500, path);
        var order = string.Join(", ", sqlSort.Select(o => $"{SortColumns[o.Property]} {o.Direction}"));
        var items = new JsonArray();
        await using (var select = ctx.Sql(Savings.TransactionSelect + condition + $" ORDER BY {order} LIMIT {pageSize} OFFSET {rowOffset}",
                         [.. parameters]))
        await using (var reader = await select.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) items.Add(Savings.TransactionJson(reader));
        }
        return Page(items, count, pageNumber, pageSize, pageableSort);
    }

    /// <summary>
    /// PageableExecutionUtils.getPage and the PageImpl constructor decide the total; Gson then writes PageImpl's
    /// field, Chunk's two, and inside the PageRequest its sort before AbstractPageRequest's page number and size.
    /// </summary>
    private static string Page(JsonArray items, long count, int pageNumber, int pageSize, List<Order> sort)
    {
        var offset = (long)pageNumber * pageSize;
        long total;
        if (offset == 0)
            total = pageSize > items.Count ? items.Count : count;
        else if (items.Count != 0 && pageSize > items.Count)
            total = offset + items.Count;
        else
            total = count;
        if (items.Count != 0 && offset + pageSize > total) total = offset + items.Count;

        var orders = new JsonArray();
        foreach (var o in sort)
        {
            orders.Add(new JsonObject
            {
                ["direction"] = o.Direction, ["property"] = o.Property, ["ignoreCase"] = false, ["nullHandling"] = "NATIVE",
            });
        }
        return Json.Serialize(new JsonObject
        {
            ["total"] = total,
            ["content"] = items,
            ["pageable"] = new JsonObject
            {
                ["sort"] = new JsonObject { ["orders"] = orders },
                ["pageNumber"] = pageNumber,
                ["pageSize"] = pageSize,
            },
        });
    }

    /// <summary>
    /// The service's addTransactionTypesFilter: credit and debit select types by entry type (both true: either;
    /// otherwise both must hold), <c>types</c> narrows by id as text; null when nothing filters, empty when nothing can match.
    /// </summary>
    private static int[]? AllowedTypes(bool? credit, bool? debit, string[]? typeIds)
    {
        if (credit is null && debit is null && typeIds is null) return null;
        Func<char?, bool> isCredit = e => e == 'C', isDebit = e => e == 'D';
        return TransactionTypes.Where(t =>
        {
            bool? byCredit = credit is null ? null : credit.Value == isCredit(t.Entry);
            bool? byDebit = debit is null ? null : debit.Value == isDebit(t.Entry);
            var byEntry = (byCredit, byDebit) switch
            {
                (null, null) => true,
                ({ } c, null) => c,
                (null, { } d) => d,
                ({ } c, { } d) => credit == true && debit == true ? c || d : c && d,
            };
            return byEntry && (typeIds is null || typeIds.Contains(t.Id.ToString(CultureInfo.InvariantCulture)));
        }).Select(t => t.Id).ToArray();
    }

    /// <summary>
    /// SearchUtil.validateToJdbcColumn: the name as given, with spaces as underscores, or from camel case to snake
    /// case, compared without case; otherwise 400 <c>error.msg.invalid.column</c> with the name as the value.
    /// </summary>
    private static string SortColumn(string property)
    {
        foreach (var candidate in new[] { property, property.Replace(' ', '_'), CamelToSnake(property.Replace(" ", "")) })
        {
            if (SortColumns.ContainsKey(candidate)) return candidate.ToLowerInvariant();
        }
        throw FineractException.Validation(new ParameterError("error.msg.invalid.column", "Column not exist in database", "column", [],
            property));
    }

    private static string CamelToSnake(string text) =>
        Regex.Replace(Regex.Replace(text, "([A-Z]+)([A-Z][a-z])", "$1_$2"), "([a-z])([A-Z])", "$1_$2").ToLowerInvariant();

    // ---- Jersey's conversions of the query parameters (ParamConverters: valueOf, fromString, String constructor) ----

    /// <summary><c>Integer.valueOf</c>: an empty value is absent, anything else unparsable is a 404.</summary>
    private static int? IntegerParameter(string? value, string path)
    {
        if (value is null || value.Length == 0) return null;
        if (Regex.IsMatch(value, "^[+-]?[0-9]+$") && int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            return n;
        throw FineractException.SpringError(404, path);
    }

    /// <summary><c>new BigDecimal(String)</c>: digits with an optional sign, point and exponent, nothing else.</summary>
    private static decimal? BigDecimalParameter(string? value, string path)
    {
        if (value is null || value.Length == 0) return null;
        if (Regex.IsMatch(value, @"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
            && decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var d))
            return d;
        throw FineractException.SpringError(404, path);
    }

    /// <summary><c>Boolean.valueOf</c> never fails: "true" in any case is true, any other value false.</summary>
    private static bool? BooleanParameter(string? value) =>
        value is null ? null : string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>Sort.Direction.fromString</c>: asc or desc in any case; empty is absent; anything else a 404.</summary>
    private static string? DirectionParameter(string? value, string path)
    {
        if (value is null || value.Length == 0) return null;
        var upper = value.ToUpperInvariant();
        return upper is "ASC" or "DESC" ? upper : throw FineractException.SpringError(404, path);
    }

    /// <summary>
    /// DateUtils.parseLocalDate: <c>DateTimeFormatter.ofPattern(dateFormat ?? "yyyy-MM-dd", locale)</c>, case-sensitive,
    /// not lenient, SMART resolution. Unparsable text is 400 <c>validation.msg.invalid.date.pattern</c>; a pattern
    /// DateTimeFormatter refuses is an unmapped IllegalArgumentException (500).
    /// </summary>
    private static DateOnly? ParseDate(string? text, string? dateFormat, CultureInfo? locale, string path)
    {
        if (text is null) return null;
        var result = JavaDates.Parse(text, dateFormat ?? DefaultDateFormat, locale ?? CultureInfo.GetCultureInfo("en"), out var date);
        return result switch
        {
            JavaDates.Result.Parsed => date,
            JavaDates.Result.BadPattern => throw FineractException.SpringError(500, path),
            _ => throw FineractException.Validation(new ParameterError("validation.msg.invalid.date.pattern",
                $"The parameter date ({text}) format is invalid", "date", [text])),
        };
    }
}

/// <summary>
/// Enough of java.time's <c>DateTimeFormatter.ofPattern</c> to parse a date: year (y, u), month (M, L: numbers or
/// names), day of month (d) and literals, with adjacent value parsing and SMART resolution (a day past the month's
/// end becomes its last day). Other valid pattern letters are not emulated and fail to parse.
/// </summary>
internal static class JavaDates
{
    public enum Result { Parsed, Unparsable, BadPattern }

    private const string PatternLetters = "GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZp";

    private sealed record Token(char Letter, int Count, string? Literal)
    {
        public bool IsNumber => Literal is null && (Letter is 'y' or 'u' or 'd' || (Letter is 'M' or 'L' && Count <= 2));
        public int MinWidth => Letter is 'y' or 'u' && Count == 2 ? 2 : Count >= 2 ? Count : 1;
        public int MaxWidth => Letter is 'y' or 'u' ? (Count == 2 ? 2 : 19) : Count >= 2 ? Count : 19;
    }

    public static Result Parse(string text, string pattern, CultureInfo culture, out DateOnly date)
    {
        date = default;
        var tokens = Tokenize(pattern);
        if (tokens is null) return Result.BadPattern;
        if (tokens.Any(t => t.Literal is null && !(t.Letter is 'y' or 'u' or 'M' or 'L' or 'd'))) return Result.Unparsable;

        int? year = null, month = null, day = null;
        var yearOfEra = false;
        var at = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Literal is not null)
            {
                if (string.CompareOrdinal(text, at, token.Literal, 0, token.Literal.Length) != 0 || at + token.Literal.Length > text.Length)
                    return Result.Unparsable;
                at += token.Literal.Length;
                continue;
            }
            if (!token.IsNumber)
            {
                if (token.Count > 4) return Result.Unparsable; // narrow month names are not emulated
                var names = token.Count == 3 ? culture.DateTimeFormat.AbbreviatedMonthNames : culture.DateTimeFormat.MonthNames;
                var found = -1;
                for (var m = 0; m < 12; m++)
                {
                    var name = names[m];
                    if (name.Length > 0 && string.CompareOrdinal(text, at, name, 0, name.Length) == 0 && at + name.Length <= text.Length
                        && (found < 0 || name.Length > names[found].Length))
                        found = m;
                }
                if (found < 0) return Result.Unparsable;
                month = found + 1;
                at += names[found].Length;
                continue;
            }
            // Adjacent value parsing: a variable-width number leaves the following fixed-width numbers their digits.
            var digits = 0;
            while (at + digits < text.Length && char.IsAsciiDigit(text[at + digits])) digits++;
            var reserved = 0;
            for (var j = i + 1; j < tokens.Count && tokens[j].IsNumber; j++) reserved += tokens[j].MinWidth;
            var take = Math.Min(token.MaxWidth, token.MinWidth == token.MaxWidth ? token.MinWidth : digits - reserved);
            if (take < token.MinWidth || take > digits || take > 9) return Result.Unparsable;
            var value = int.Parse(text.AsSpan(at, take), CultureInfo.InvariantCulture);
            at += take;
            switch (token.Letter)
            {
                case 'y' or 'u':
                    year = token.Count == 2 ? 2000 + value : value;
                    yearOfEra = token.Letter == 'y';
                    break;
                case 'M' or 'L':
                    month = value;
                    break;
                default:
                    day = value;
                    break;
            }
        }
        if (at != text.Length || year is null || month is null || day is null) return Result.Unparsable;
        if ((yearOfEra && year < 1) || year is < 1 or > 9999 || month is < 1 or > 12 || day is < 1 or > 31) return Result.Unparsable;
        date = new DateOnly(year.Value, month.Value, Math.Min(day.Value, DateTime.DaysInMonth(year.Value, month.Value)));
        return Result.Parsed;
    }

    /// <summary>DateTimeFormatterBuilder.appendPattern's lexing; null where it throws IllegalArgumentException.</summary>
    private static List<Token>? Tokenize(string pattern)
    {
        var tokens = new List<Token>();
        for (var i = 0; i < pattern.Length;)
        {
            var c = pattern[i];
            if (char.IsAsciiLetter(c))
            {
                var run = 1;
                while (i + run < pattern.Length && pattern[i + run] == c) run++;
                if (!PatternLetters.Contains(c)) return null;
                if ((c is 'M' or 'L' && run > 5) || (c == 'd' && run > 2)) return null;
                tokens.Add(new Token(c, run, null));
                i += run;
            }
            else if (c == '\'')
            {
                var end = i + 1;
                var literal = new System.Text.StringBuilder();
                while (true)
                {
                    if (end >= pattern.Length) return null;
                    if (pattern[end] == '\'')
                    {
                        if (end + 1 < pattern.Length && pattern[end + 1] == '\'') { literal.Append('\''); end += 2; continue; }
                        break;
                    }
                    literal.Append(pattern[end++]);
                }
                tokens.Add(new Token('\'', 0, literal.Length == 0 ? "'" : literal.ToString()));
                i = end + 1;
            }
            else if (c is '{' or '}' or '#') return null;
            else if (c is '[' or ']') return [new Token('[', 1, null)];
            else
            {
                tokens.Add(new Token(c, 1, c.ToString()));
                i++;
            }
        }
        return tokens;
    }
}
