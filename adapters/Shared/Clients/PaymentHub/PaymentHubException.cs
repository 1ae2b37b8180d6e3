namespace OneClickSuite.Clients.PaymentHub;

/// <summary>
/// A failed call to Payment Hub EE: the HTTP status and the body it answered (PH-EE's error bodies differ per
/// service and path; <see cref="Body"/> keeps them as sent).
/// </summary>
public sealed class PaymentHubException : UpstreamException
{
    public PaymentHubException(string message, int? statusCode, string? body = null, Exception? innerException = null)
        : base(message, statusCode, innerException)
    {
        Body = body;
    }

    public string? Body { get; }

    /// <summary>
    /// The bulk processor maps every unhandled exception, a missing required header included, to 500
    /// (<c>GlobalExceptionMapper.handleException</c>): a 500 carrying its <c>responseCode</c> body is not transient.
    /// </summary>
    public override bool IsTransient =>
        base.IsTransient && !(StatusCode == 500 && Body is not null && Body.Contains("\"responseCode\"", StringComparison.Ordinal));
}
