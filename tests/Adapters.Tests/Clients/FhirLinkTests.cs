using OneClickSuite.Clients.Ihris;
using Xunit;

namespace OneClickSuite.Clients.Tests;

public class FhirLinkTests
{
    [Theory]
    // HAPI's paging link on its own address: only what follows /fhir is kept.
    [InlineData("http://fhir:8080/fhir?_getpages=abc&_getpagesoffset=20&_count=20", "?_getpages=abc&_getpagesoffset=20&_count=20")]
    [InlineData("http://localhost:3000/fhir/PractitionerRole?_count=200&_page_token=x", "PractitionerRole?_count=200&_page_token=x")]
    [InlineData("https://public.example.org/hapi/fhir/Practitioner/_history?_since=2026-01-01", "Practitioner/_history?_since=2026-01-01")]
    [InlineData("Practitioner?page=2", "Practitioner?page=2")]
    public void Next_links_are_rebased_onto_our_fhir_endpoint(string link, string expected)
    {
        Assert.Equal(expected, FhirLinks.ToRelative(link));
    }
}
