namespace OneClickSuite.OdkAdapter.Statements;

/// <summary>Section "Statements": where workers see their pay statements and query them (created by Bootstrap).</summary>
public sealed class StatementOptions
{
    public const string SectionName = "Statements";

    /// <summary>The entity list of pay statements the query form picks from (and Collect shows).</summary>
    public string EntityList { get; set; } = "pay_statements";

    /// <summary>The form through which a worker queries a statement.</summary>
    public string QueryFormId { get; set; } = "pay_query";

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    public int PageSize { get; set; } = 250;

    /// <summary>Re-reads this much before the cursor, so a query changed in the same instant is not skipped.</summary>
    public TimeSpan CursorOverlap { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The entity list's properties, in the order Bootstrap creates them.</summary>
    public static readonly IReadOnlyList<string> Properties =
    [
        "worker_id", "employee_number", "period", "kind", "amount", "currency", "paid_on", "paid_to", "details", "query_status", "query_answer",
    ];

    public const string Ddl = """
        -- The newest version of each statement written to ODK's entity list.
        CREATE TABLE IF NOT EXISTS statement_entities (
            statement_id    uuid PRIMARY KEY,
            entity_uuid     uuid NOT NULL UNIQUE,
            written_version bigint NOT NULL,
            odk_version     integer,
            updated_at      timestamptz NOT NULL DEFAULT now());
        CREATE TABLE IF NOT EXISTS query_cursor (
            form_id   text PRIMARY KEY,
            since     timestamptz NOT NULL,
            polled_at timestamptz NOT NULL);
        -- Queries read, with the version published, so an unchanged one is not published again.
        CREATE TABLE IF NOT EXISTS query_submissions (
            instance_id text PRIMARY KEY,
            version     bigint NOT NULL,
            updated_at  timestamptz NOT NULL DEFAULT now());
        """;
}
