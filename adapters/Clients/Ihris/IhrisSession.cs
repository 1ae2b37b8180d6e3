namespace OneClickSuite.Clients.Ihris;

/// <summary>The iHRIS API token (a JWT from <c>POST /auth/token</c>), shared by every <see cref="IhrisClient"/>.</summary>
public sealed class IhrisSession : SessionToken;
