using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace OneClickSuite.Portal.Security;

public sealed record PortalUser(string Name, string Role);

/// <summary>
/// The portal's users, from configuration <c>Portal:Users:&lt;name&gt;:Password</c> and <c>:Role</c>. At start each
/// password is hashed (PBKDF2, SHA-256, random salt) into <c>portal.users</c>; only the hash is kept.
/// </summary>
public sealed class PortalUsers(NpgsqlDataSource db, ILogger<PortalUsers> logger)
{
    public const int Iterations = 100_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>Writes the configured users (replacing their previous hash) and removes users no longer configured.</summary>
    public async Task SeedAsync(IConfiguration configuration, CancellationToken ct)
    {
        var users = configuration.GetSection("Portal:Users").GetChildren()
            .Select(section => (Name: section.Key, Role: section["Role"] ?? PortalRoles.Viewer, Password: section["Password"]))
            .Where(user => !string.IsNullOrEmpty(user.Password))
            .ToList();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var user in users)
        {
            if (!PortalRoles.All.Contains(user.Role))
                throw new InvalidOperationException($"Portal:Users:{user.Name}:Role must be one of {string.Join(", ", PortalRoles.All)}");
            var salt = RandomNumberGenerator.GetBytes(SaltBytes);
            var hash = Hash(user.Password!, salt, Iterations);
            await connection.ExecuteAsync("""
                INSERT INTO portal.users (name, role, salt, hash, iterations) VALUES (@name, @role, @salt, @hash, @iterations)
                ON CONFLICT (name) DO UPDATE SET role = excluded.role, salt = excluded.salt, hash = excluded.hash,
                    iterations = excluded.iterations, updated_at = now()
                """, new { name = user.Name, role = user.Role, salt, hash, iterations = Iterations }, transaction);
        }
        await connection.ExecuteAsync("DELETE FROM portal.users WHERE NOT (name = ANY(@names))",
            new { names = users.Select(u => u.Name).ToArray() }, transaction);
        await transaction.CommitAsync(ct);
        logger.LogInformation("Portal users: {Users}", string.Join(", ", users.Select(u => $"{u.Name} ({u.Role})")));
        if (users.Count == 0) logger.LogWarning("No portal user is configured (Portal:Users): nobody can sign in");
    }

    /// <summary>The user when the password matches; null otherwise (unknown name or wrong password alike).</summary>
    public async Task<PortalUser?> VerifyAsync(string name, string password, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<StoredUser>(
            new CommandDefinition("SELECT name, role, salt, hash, iterations FROM portal.users WHERE name = @name", new { name }, cancellationToken: ct));
        if (row is not { } user)
        {
            // Same work for an unknown name, so timing does not tell which names exist.
            Hash(password, new byte[SaltBytes], Iterations);
            return null;
        }
        var candidate = Hash(password, user.Salt, user.Iterations);
        return CryptographicOperations.FixedTimeEquals(candidate, user.Hash) ? new PortalUser(user.Name, user.Role) : null;
    }

    private static byte[] Hash(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashBytes);

    private sealed record StoredUser(string Name, string Role, byte[] Salt, byte[] Hash, int Iterations);
}
