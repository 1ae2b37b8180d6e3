using System.Collections.Concurrent;
using System.Text;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;

namespace OneClickSuite.Emulators.Ihris.Fhir;

/// <summary>GET /fhir/metadata: what this store implements, in the shape HAPI FHIR 6.8 describes itself.</summary>
public sealed class CapabilityStatementProvider
{
    private readonly ConcurrentDictionary<string, byte[]> _byBaseUrl = new();

    public Task WriteAsync(HttpContext context)
    {
        var baseUrl = FhirResults.BaseUrl(context.Request);
        var body = _byBaseUrl.GetOrAdd(baseUrl, url => Encoding.UTF8.GetBytes(new FhirJsonSerializer().SerializeToString(Build(url))));
        context.Response.ContentType = FhirResults.FhirJson;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    private static CapabilityStatement Build(string baseUrl)
    {
        var interactions = new[]
        {
            CapabilityStatement.TypeRestfulInteraction.Read, CapabilityStatement.TypeRestfulInteraction.Vread,
            CapabilityStatement.TypeRestfulInteraction.Update, CapabilityStatement.TypeRestfulInteraction.Delete,
            CapabilityStatement.TypeRestfulInteraction.HistoryInstance, CapabilityStatement.TypeRestfulInteraction.HistoryType,
            CapabilityStatement.TypeRestfulInteraction.Create, CapabilityStatement.TypeRestfulInteraction.SearchType,
        };
        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Interaction =
            [
                new() { Code = CapabilityStatement.SystemRestfulInteraction.Transaction },
                new() { Code = CapabilityStatement.SystemRestfulInteraction.Batch },
                new() { Code = CapabilityStatement.SystemRestfulInteraction.HistorySystem },
            ],
        };
        foreach (var type in FhirResourceTypes.Supported)
        {
            var resource = new CapabilityStatement.ResourceComponent
            {
                Type = type,
                Interaction = [.. interactions.Select(i => new CapabilityStatement.ResourceInteractionComponent { Code = i })],
                Versioning = CapabilityStatement.ResourceVersionPolicy.VersionedUpdate,
                ReadHistory = true,
                UpdateCreate = true,
                ConditionalUpdate = true,
                SearchParam =
                [
                    new() { Name = "_id", Type = SearchParamType.Token },
                    new() { Name = "_lastUpdated", Type = SearchParamType.Date },
                ],
            };
            foreach (var parameter in FhirResourceTypes.ParametersOf(type))
            {
                resource.SearchParam.Add(new()
                {
                    Name = parameter.Name,
                    Type = parameter.Type == SearchParamKind.Reference ? SearchParamType.Reference : SearchParamType.Token,
                });
                if (parameter.Type == SearchParamKind.Reference) resource.SearchIncludeElement.Add(new FhirString($"{type}:{parameter.Name}"));
            }
            rest.Resource.Add(resource);
        }
        return new CapabilityStatement
        {
            Status = PublicationStatus.Active,
            Date = "2024-01-01T00:00:00+00:00",
            Publisher = "Not provided",
            Kind = CapabilityStatementKind.Instance,
            Software = new CapabilityStatement.SoftwareComponent { Name = "HAPI FHIR Server", Version = "6.8.0" },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "HAPI FHIR", Url = baseUrl },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+xml", "json"],
            Rest = [rest],
        };
    }
}
