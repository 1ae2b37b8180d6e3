using Hl7.Fhir.Model;

namespace OneClickSuite.Clients.Ihris;

/// <summary>A failed iHRIS call, with the server's OperationOutcome when it sent one.</summary>
public sealed class IhrisException : UpstreamException
{
    public IhrisException(string message, int? statusCode, OperationOutcome? outcome = null, Exception? innerException = null)
        : base(message, statusCode, innerException)
    {
        Outcome = outcome;
    }

    public OperationOutcome? Outcome { get; }
}
