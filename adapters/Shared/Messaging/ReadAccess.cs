namespace OneClickSuite.Messaging;

/// <summary>
/// What a service lets the portal read of its state: views it defines in its own schema, never its tables. Each
/// service logs in as its own role and owns its schema; the portal's role may use the schema and select from these
/// views only, so a service can change its tables without breaking the portal, and the portal can see nothing else
/// (not the outbox, not the inbox, not another table).
/// </summary>
public static class ReadAccess
{
    /// <summary>The portal's database role (AppHost: one role per service, named like its schema).</summary>
    public const string PortalRole = "portal";

    /// <summary>Grants the portal's role read access to <paramref name="views"/> of <paramref name="schema"/>, where that role exists.</summary>
    public static string GrantToPortal(string schema, params string[] views) => $"""
        DO $$ BEGIN
          IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{PortalRole}') THEN
            GRANT USAGE ON SCHEMA "{schema}" TO "{PortalRole}";
            GRANT SELECT ON {string.Join(", ", views.Select(v => $"\"{schema}\".\"{v}\""))} TO "{PortalRole}";
          END IF;
        END $$;
        """;
}
