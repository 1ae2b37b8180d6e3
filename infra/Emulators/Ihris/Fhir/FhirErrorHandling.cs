namespace OneClickSuite.Emulators.Ihris.Fhir;

public static class FhirErrorHandling
{
    /// <summary>Turns refused requests into HAPI's OperationOutcome answers; bad input never becomes a 500.</summary>
    public static IApplicationBuilder UseFhirErrors(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (FhirException ex) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await OperationOutcomeJson.WriteAsync(context.Response, ex.StatusCode, ex.IssueCode, ex.Message);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await OperationOutcomeJson.WriteAsync(context.Response, ex.StatusCode, "processing", ex.Message);
        }
    });
}
