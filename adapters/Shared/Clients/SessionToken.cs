namespace OneClickSuite.Clients;

/// <summary>
/// A bearer token shared by every client of one upstream system in the process. When a call finds it stale, one
/// caller signs in again and the others wait for, and reuse, the new token.
/// </summary>
public abstract class SessionToken
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;

    internal string? Token => Volatile.Read(ref _token);

    internal async Task<string> RenewAsync(string? staleToken, Func<Task<string>> login)
    {
        await _gate.WaitAsync();
        try
        {
            // Another caller may have renewed it while this one waited.
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
