using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace OneClickSuite.Portal.Security;

public sealed record PortalUser(string Name, string Role, Guid Stamp);

/// <summary>How a sign-in ended: the user, or why not.</summary>
public sealed record SignInResult(PortalUser? User, bool Locked);

/// <summary>
/// The portal's users, from configuration <c>Portal:Users:&lt;name&gt;:Password</c> and <c>:Role</c>. At start each
/// password is hashed (PBKDF2, SHA-256, random salt, <see cref="Iterations"/> rounds) into <c>portal.users</c>; only
/// the hash is kept. A hash made with fewer rounds (an older release's) is made again at today's cost when its user
/// next signs in, or at start when the configured password still matches it.
/// </summary>
public sealed class PortalUsers(NpgsqlDataSource db, TimeProvider clock, ILogger<PortalUsers> logger)
{
    /// <summary>PBKDF2-HMAC-SHA256 rounds for new hashes: OWASP's Password Storage Cheat Sheet figure for this algorithm.</summary>
    public const int Iterations = 600_000;

    /// <summary>The longest user name: a longer one is refused at start and at sign-in.</summary>
    public const int MaxNameLength = 64;

    /// <summary>Wrong passwords in a row after which a name is locked.</summary>
    public const int MaxFailedAttempts = 20;

    /// <summary>How long a name stays locked.</summary>
    public static readonly TimeSpan LockDuration = TimeSpan.FromMinutes(15);
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
            if (user.Name.Length > MaxNameLength)
                throw new InvalidOperationException($"Portal:Users:{user.Name}: a user name has at most {MaxNameLength} characters");
            // Unchanged password and role: nothing to write, and the user's cookies stay good.
            var stored = await connection.QuerySingleOrDefaultAsync<StoredUser>(
                "SELECT name, role, salt, hash, iterations, stamp, failed_attempts, locked_until FROM portal.users WHERE name = @name",
                new { name = user.Name }, transaction);
            if (stored is not null && stored.Role == user.Role
                && CryptographicOperations.FixedTimeEquals(Hash(user.Password!, stored.Salt, stored.Iterations), stored.Hash))
            {
                // The same password at an older cost: hashed again, and the user's cookies stay good.
                if (stored.Iterations < Iterations) await RehashAsync(connection, transaction, user.Name, user.Password!, ct);
                continue;
            }
            var salt = RandomNumberGenerator.GetBytes(SaltBytes);
            var hash = Hash(user.Password!, salt, Iterations);
            await connection.ExecuteAsync("""
                INSERT INTO portal.users (name, role, salt, hash, iterations) VALUES (@name, @role, @salt, @hash, @iterations)
                ON CONFLICT (name) DO UPDATE SET role = excluded.role, salt = excluded.salt, hash = excluded.hash,
                    iterations = excluded.iterations, stamp = gen_random_uuid(), failed_attempts = 0, locked_until = NULL, updated_at = now()
                """, new { name = user.Name, role = user.Role, salt, hash, iterations = Iterations }, transaction);
        }
        await connection.ExecuteAsync("DELETE FROM portal.users WHERE NOT (name = ANY(@names))",
            new { names = users.Select(u => u.Name).ToArray() }, transaction);
        await transaction.CommitAsync(ct);
        logger.LogInformation("Portal users: {Users}", string.Join(", ", users.Select(u => $"{u.Name} ({u.Role})")));
        if (users.Count == 0) logger.LogWarning("No portal user is configured (Portal:Users): nobody can sign in");
    }

    /// <summary>
    /// The user when the password matches; otherwise no user (unknown name or wrong password alike). After
    /// <see cref="MaxFailedAttempts"/> wrong passwords in a row the name is locked for <see cref="LockDuration"/>: even
    /// the right password is refused meanwhile.
    /// </summary>
    public async Task<SignInResult> VerifyAsync(string name, string password, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<StoredUser>(new CommandDefinition(
            "SELECT name, role, salt, hash, iterations, stamp, failed_attempts, locked_until FROM portal.users WHERE name = @name",
            new { name }, cancellationToken: ct));
        if (row is not { } user)
        {
            // Same work for an unknown name, so timing does not tell which names exist.
            Hash(password, new byte[SaltBytes], Iterations);
            return new SignInResult(null, false);
        }
        var matches = CryptographicOperations.FixedTimeEquals(Hash(password, user.Salt, user.Iterations), user.Hash);
        var now = clock.GetUtcNow();
        if (user.LockedUntil is { } until && until > now.UtcDateTime) return new SignInResult(null, true);
        if (matches)
        {
            if (user.FailedAttempts > 0 || user.LockedUntil is not null)
                await connection.ExecuteAsync("UPDATE portal.users SET failed_attempts = 0, locked_until = NULL WHERE name = @name", new { name });
            if (user.Iterations < Iterations) await RehashAsync(connection, null, user.Name, password, ct);
            return new SignInResult(new PortalUser(user.Name, user.Role, user.Stamp), false);
        }
        var locked = await connection.ExecuteScalarAsync<bool>("""
            UPDATE portal.users
            SET failed_attempts = CASE WHEN failed_attempts + 1 >= @max THEN 0 ELSE failed_attempts + 1 END,
                locked_until = CASE WHEN failed_attempts + 1 >= @max THEN @until ELSE NULL END
            WHERE name = @name
            RETURNING locked_until IS NOT NULL
            """, new { name, max = MaxFailedAttempts, until = now + LockDuration });
        if (locked) logger.LogWarning("Portal user {Name} locked for {Minutes} min after {Max} wrong passwords", name, LockDuration.TotalMinutes, MaxFailedAttempts);
        return new SignInResult(null, locked);
    }

    /// <summary>Whether a signed-in person's cookie still stands for a configured user with the same password and role.</summary>
    public async Task<bool> IsCurrentAsync(string name, Guid stamp, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM portal.users WHERE name = @name AND stamp = @stamp)", new { name, stamp }, cancellationToken: ct));
    }

    /// <summary>
    /// Stores a new salt and hash at <see cref="Iterations"/> for a password just verified against an older, cheaper
    /// hash. The stamp stays: it is the same password, so the user's sessions go on.
    /// </summary>
    private async Task RehashAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, string password, CancellationToken ct)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Hash(password, salt, Iterations);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE portal.users SET salt = @salt, hash = @hash, iterations = @iterations, updated_at = now() WHERE name = @name AND iterations < @iterations",
            new { name, salt, hash, iterations = Iterations }, transaction, cancellationToken: ct));
        logger.LogInformation("Portal user {Name}: password hash renewed at {Iterations} PBKDF2 rounds", name, Iterations);
    }

    private static byte[] Hash(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashBytes);

    /// <summary>A row of portal.users; <c>timestamptz</c> reads as a UTC <see cref="DateTime"/>.</summary>
    private sealed record StoredUser(string Name, string Role, byte[] Salt, byte[] Hash, int Iterations, Guid Stamp, int FailedAttempts,
        DateTime? LockedUntil);
}
