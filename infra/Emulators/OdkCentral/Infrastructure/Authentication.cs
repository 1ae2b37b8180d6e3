using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace OneClickSuite.Emulators.OdkCentral.Infrastructure;

/// <summary>Who is calling: a web user (always an administrator here) or an app user ("field_key").</summary>
public sealed record Caller(int ActorId, string Type, string DisplayName, int? ProjectId, string? SessionToken)
{
    public bool IsUser => Type == "user";
}

public static class CallerExtensions
{
    private const string CallerItem = "odk.caller";
    private const string KeyTokenItem = "odk.key";

    public static Caller? Caller(this HttpContext context) => context.Items[CallerItem] as Caller;

    public static void SetCaller(this HttpContext context, Caller caller) => context.Items[CallerItem] = caller;

    /// <summary>The token of a /v1/key/{token}/… request, which OpenRosa links must repeat.</summary>
    public static string? KeyToken(this HttpContext context) => context.Items[KeyTokenItem] as string;

    public static void SetKeyToken(this HttpContext context, string token) => context.Items[KeyTokenItem] = token;

    /// <summary>Everything outside data collection needs a web user; the emulator has no finer roles.</summary>
    public static Caller RequireUser(this HttpContext context) =>
        context.Caller() is { } caller ? (caller.IsUser ? caller : throw Problems.InsufficientRights()) : throw Problems.AuthenticationFailed();

    public static Caller RequireAnyCaller(this HttpContext context) =>
        context.Caller() ?? throw Problems.AuthenticationFailed();
}

/// <summary>
/// Reads the credentials of a request (central-backend lib/http/preprocessors.js authHandler): a /v1/key/{token}/
/// path first, then a Bearer token, then Basic auth (over HTTPS or behind X-Forwarded-Proto: https only). The
/// verdict is only recorded here: Central checks it inside each endpoint, after the route matched, so an unknown
/// route stays 404.1 whatever the credentials (see <see cref="OdkEndpointGate"/>).
/// </summary>
public sealed class OdkAuthenticationMiddleware(RequestDelegate next)
{
    private const string FailureItem = "odk.auth.failure";

    public static OdkProblem? Failure(HttpContext context) => context.Items[FailureItem] as OdkProblem;

    public async Task InvokeAsync(HttpContext context, NpgsqlDataSource db)
    {
        var path = context.Request.Path.Value ?? "";
        if (path.StartsWith("/v1/key/", StringComparison.Ordinal))
        {
            var rest = path["/v1/key/".Length..];
            var slash = rest.IndexOf('/');
            var token = Uri.UnescapeDataString(slash < 0 ? rest : rest[..slash]);
            context.Request.Path = "/v1" + (slash < 0 ? "" : rest[slash..]);
            context.SetKeyToken(token);
            // A malformed key is 401.2; a well-formed one that is not a live app user's is 403.1 (Central avoids
            // 401 here so that clients do not prompt for a password).
            if (!Tokens.IsWellFormed(token)) context.Items[FailureItem] = Problems.AuthenticationFailed();
            else if (await FindSessionAsync(db, token, context.RequestAborted) is { IsUser: false } appUser) context.SetCaller(appUser);
            else context.Items[FailureItem] = Problems.InsufficientRights();
        }
        else if (context.Request.Path.StartsWithSegments("/v1"))
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            if (authorization.StartsWith("Bearer ", StringComparison.Ordinal))
            {
                var token = authorization["Bearer ".Length..];
                if (await FindSessionAsync(db, token, context.RequestAborted) is { } caller) context.SetCaller(caller);
                else context.Items[FailureItem] = Problems.AuthenticationFailed();
            }
            else if (authorization.StartsWith("Basic ", StringComparison.Ordinal))
            {
                if (!IsHttps(context.Request)) context.Items[FailureItem] = Problems.HttpsOnly();
                else if (await CheckBasicAsync(db, authorization["Basic ".Length..].Trim(), context.RequestAborted) is { } caller) context.SetCaller(caller);
                else context.Items[FailureItem] = Problems.AuthenticationFailed();
            }
            else if (authorization.Length > 0)
            {
                context.Items[FailureItem] = Problems.AuthenticationFailed();
            }
        }

        await next(context);
    }

    private static bool IsHttps(HttpRequest request) =>
        request.IsHttps || string.Equals(request.Headers["X-Forwarded-Proto"].ToString(), "https", StringComparison.Ordinal);

    private static async Task<Caller?> FindSessionAsync(NpgsqlDataSource db, string token, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT a.id, a.type, a.display_name, a.project_id
            FROM odk.sessions s JOIN odk.actors a ON a.id = s.actor_id
            WHERE s.token = @token AND s.expires_at > clock_timestamp() AND a.deleted_at IS NULL
            """);
        command.Parameters.AddWithValue("token", token);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new Caller(reader.GetInt32(0), reader.GetString(1), reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetInt32(3), token);
    }

    private static async Task<Caller?> CheckBasicAsync(NpgsqlDataSource db, string encoded, CancellationToken ct)
    {
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
        catch (FormatException) { return null; }
        var colon = decoded.IndexOf(':');
        if (colon <= 0 || colon == decoded.Length - 1) return null;
        var user = await Users.FindByEmailAsync(db, decoded[..colon], ct);
        if (user is null || !PasswordHasher.Verify(decoded[(colon + 1)..], user.PasswordHash)) return null;
        return new Caller(user.ActorId, "user", user.DisplayName, null, null);
    }
}

/// <summary>
/// What Central's endpoint builder does before a matched handler runs (lib/http/endpoint.js endpointBase): the
/// endpoint kind's own checks first (OpenRosa: the X-OpenRosa-Version header, and errors in XML from then on;
/// OData: the query options it knows), then authentication (no credentials at all: 401.2), then the paging
/// options (lib/http/preprocessors.js queryOptionsHandler: offset/limit must be integers, else 400.11).
/// Only POST /v1/sessions and GET /v1/config/public are anonymous endpoints.
/// </summary>
public sealed class OdkEndpointGate(RequestDelegate next)
{
    private static readonly string[] ODataOptions =
        ["$format", "$count", "$skip", "$top", "$filter", "$wkt", "$expand", "$select", "$skiptoken", "$orderby", "$search"];

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/v1") || context.GetEndpoint() is not RouteEndpoint endpoint
            || endpoint.Metadata.GetMetadata<OdkAnonymous>() is not null)
            return next(context);

        var pattern = endpoint.RoutePattern.RawText ?? "";
        if (IsOpenRosa(pattern)) Http.BeginOpenRosa(context);
        else if (pattern.Contains(".svc", StringComparison.Ordinal)) CheckODataRequest(context, pattern.EndsWith("$metadata", StringComparison.Ordinal));

        if (OdkAuthenticationMiddleware.Failure(context) is { } failure) throw failure;
        if (context.Caller() is null) throw Problems.AuthenticationFailed();

        var query = context.Request.Query;
        foreach (var name in new[] { "offset", "limit" })
            if (query.ContainsKey(name) && !Http.TryParseIntPrefix(query[name].ToString(), out _))
                throw Problems.InvalidDataTypeOfParameter(name, "integer");
        return next(context);
    }

    private static bool IsOpenRosa(string pattern) =>
        pattern.EndsWith("/formList", StringComparison.Ordinal) || pattern.EndsWith("/manifest", StringComparison.Ordinal)
        || pattern.EndsWith("/submission", StringComparison.Ordinal) || pattern.EndsWith("/integrity", StringComparison.Ordinal);

    /// <summary>lib/http/endpoint.js odataPreprocessor.</summary>
    private static void CheckODataRequest(HttpContext context, bool xml)
    {
        if (xml) context.Items[Http.ODataXmlItem] = true;
        var query = context.Request.Query;
        var format = query["$format"].ToString();
        var accept = context.Request.Headers.Accept.ToString();
        var probe = format.Length > 0 ? format : accept;
        var isJson = Http.IsJsonType(probe);
        var isXml = Http.IsXmlType(probe);
        if ((isJson && xml) || (isXml && !xml))
            throw Problems.UnacceptableFormat(xml ? ["application/xml", "atom"] : ["application/json", "json"], probe);
        var maxVersion = context.Request.Headers["OData-MaxVersion"].ToString();
        if (maxVersion.Length > 0 && double.TryParse(maxVersion, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v < 4.0)
            throw Problems.NotFound();
        foreach (var key in query.Keys)
            if (!ODataOptions.Contains(key) && key != "st")
                throw Problems.NotImplemented(key);
        var expand = query["$expand"].ToString();
        if (expand.Length > 0 && expand != "*") throw Problems.UnsupportedODataExpand(expand);
        if (expand.Length > 0 && query["$select"].ToString().Length > 0) throw Problems.UnsupportedODataSelectExpand();
        context.Response.Headers["OData-Version"] = "4.0";
    }
}

/// <summary>Marks the endpoints Central serves without authentication (its anonymousEndpoint).</summary>
public sealed class OdkAnonymous;

/// <summary>PBKDF2-SHA256; Central uses bcrypt, but only the fact that a hash is stored matters here.</summary>
public static class PasswordHasher
{
    private const int Iterations = 60_000;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string? stored)
    {
        if (string.IsNullOrEmpty(stored)) return false;
        var parts = stored.Split('$');
        if (parts.Length != 4 || !int.TryParse(parts[1], out var iterations)) return false;
        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}

public static class Tokens
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!$";

    /// <summary>64 characters, like Central's session and draft tokens.</summary>
    public static string New() => RandomNumberGenerator.GetString(Alphabet, 64);

    /// <summary>central-backend lib/util/crypto.js isValidToken.</summary>
    public static bool IsWellFormed(string token) => token.Length == 64 && token.All(c => Alphabet.Contains(c));
}

public sealed record UserRecord(int ActorId, string Email, string DisplayName, string? PasswordHash);

public static class Users
{
    public static async Task<UserRecord?> FindByEmailAsync(NpgsqlDataSource db, string email, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT a.id, u.email, a.display_name, u.password_hash
            FROM odk.users u JOIN odk.actors a ON a.id = u.actor_id
            WHERE lower(u.email) = lower(@email) AND a.deleted_at IS NULL
            """);
        command.Parameters.AddWithValue("email", email);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new UserRecord(reader.GetInt32(0), reader.GetString(1), reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3));
    }

    /// <summary>
    /// What `odk-cmd user-create` then `user-promote` do upstream: the administrator from configuration exists,
    /// with the configured password.
    /// </summary>
    public static async Task EnsureAdministratorAsync(NpgsqlDataSource db, string email, string password, CancellationToken ct)
    {
        var hash = PasswordHasher.Hash(password);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var locking = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7265002)", connection, tx))
            await locking.ExecuteNonQueryAsync(ct);
        await using var command = new NpgsqlCommand("""
            WITH existing AS (
                UPDATE odk.users SET password_hash = @hash WHERE lower(email) = lower(@email) RETURNING actor_id
            ), new_actor AS (
                INSERT INTO odk.actors (type, display_name)
                SELECT 'user', @email WHERE NOT EXISTS (SELECT 1 FROM existing)
                RETURNING id
            )
            INSERT INTO odk.users (actor_id, email, password_hash) SELECT id, @email, @hash FROM new_actor
            """, connection, tx);
        command.Parameters.AddWithValue("email", email);
        command.Parameters.AddWithValue("hash", hash);
        await command.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
    }
}
