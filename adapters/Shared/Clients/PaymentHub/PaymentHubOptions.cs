namespace OneClickSuite.Clients.PaymentHub;

/// <summary>Where Payment Hub EE's bulk processor and operations app answer, and how to talk to them.</summary>
public sealed class PaymentHubOptions
{
    public const string SectionName = "PaymentHub";

    /// <summary>The bulk processor's root (it serves <c>POST /batchtransactions</c>).</summary>
    public string BulkUrl { get; set; } = "http://paymenthub";

    /// <summary>The operations app's root (it serves <c>/api/v1/...</c>); may be the same host as <see cref="BulkUrl"/>.</summary>
    public string OperationsUrl { get; set; } = "http://paymenthub";

    /// <summary>
    /// Where the bulk processor takes the payer's batch authorization answers (upstream
    /// <c>batch-authorization.callback-url</c>); unset: <c>{BulkUrl}/authorization/callback</c>. The answer goes here,
    /// never to the <c>X-CallbackURL</c> a request names: anyone can send a request.
    /// </summary>
    public string? AuthorizationCallbackUrl { get; set; }

    /// <summary>Sent as <c>Platform-TenantId</c> to both services.</summary>
    public string Tenant { get; set; } = "gorilla";

    /// <summary>
    /// The tenant's RSA private key (Base64 PKCS#8, as PH-EE's <c>jws.tenantKeys[].privateKey</c>) for
    /// <c>X-SIGNATURE</c>; unset: no signature is sent (only right when the bulk processor runs with
    /// <c>security.jws.enable=false</c>).
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>Bearer token for the operations app when it runs with <c>rest.authorization.enabled=true</c>; unset: none sent.</summary>
    public string? OperationsToken { get; set; }

    /// <summary>Sent as <c>X-Registering-Institution-ID</c> when set.</summary>
    public string? RegisteringInstitutionId { get; set; }

    /// <summary>Sent as <c>X-Program-ID</c> when set.</summary>
    public string? ProgramId { get; set; }

    internal static Uri Root(string url) => new(url.TrimEnd('/') + "/");
}
