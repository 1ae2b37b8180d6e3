namespace OneClickSuite.Clients.Odk;

/// <summary>The Central session token, shared by every <see cref="OdkClient"/> of the process (tokens live 24 h).</summary>
public sealed class OdkSession : SessionToken;
