using OneClickSuite.Emulators.Ihris.Hosting;

namespace OneClickSuite.Emulators.Ihris.Fhir;

public static class FhirErrorHandling
{
    /// <summary>On the HAPI surface, refused requests become HAPI's OperationOutcome answers; bad input never a 500.</summary>
    public static IApplicationBuilder UseFhirErrors(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!Surfaces.IsHapi(context))
        {
            await next(context);
            return;
        }
        try
        {
            await next(context);
        }
        catch (FhirException ex) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await OperationOutcomeJson.WriteAsync(context.Response, ex.StatusCode, ex.Diagnostics);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await OperationOutcomeJson.WriteAsync(context.Response, ex.StatusCode, [ex.Message]);
        }
    });
}
