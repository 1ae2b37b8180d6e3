using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace OneClickSuite.Portal.Security;

/// <summary>
/// The keys that protect the portal's cookies and antiforgery tokens, kept in <c>portal.data_protection_keys</c> so a
/// restart or a second replica reads the same key ring and people stay signed in. The table is created with the
/// portal's others (<see cref="Data.PortalDatabase"/>); only the portal's role can read its schema.
/// </summary>
public sealed class PostgresKeyRepository(NpgsqlDataSource db) : IXmlRepository
{
    public const string Table = "portal.data_protection_keys";

    /// <summary>The application name every replica shares, so each can read what another protected.</summary>
    public const string ApplicationName = "OneClickSuite.Portal";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = db.OpenConnection();
        using var command = new NpgsqlCommand($"SELECT xml FROM {Table} ORDER BY id", connection);
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            elements.Add(XElement.Parse(reader.GetString(0)));
        }
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = db.OpenConnection();
        // The key manager names each key after its id: a name already stored is the same key, stored once.
        using var command = new NpgsqlCommand(
            $"INSERT INTO {Table} (friendly_name, xml) VALUES (@name, @xml) ON CONFLICT (friendly_name) DO NOTHING", connection);
        command.Parameters.AddWithValue("name", friendlyName);
        command.Parameters.AddWithValue("xml", element.ToString(SaveOptions.DisableFormatting));
        command.ExecuteNonQuery();
    }
}
