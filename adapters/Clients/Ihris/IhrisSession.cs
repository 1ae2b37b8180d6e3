namespace OneClickSuite.Clients.Ihris;

/// <summary>The iHRIS API token (a JWT from <c>POST /auth/token</c>), shared by every <see cref="IhrisClient"/>.</summary>
public sealed class IhrisSession
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;

    internal string? Token => Volatile.Read(ref _token);

    internal async Task<string> RenewAsync(string? staleToken, Func<Task<string>> login)
    {
        await _gate.WaitAsync();
        try
        {
            if (_token is not null && _token != staleToken)
            {
                return _token;
            }
            var token = await login();
            Volatile.Write(ref _token, token);
            return token;
        }
        finally
        {
            _gate.Release();
        }
    }
}
