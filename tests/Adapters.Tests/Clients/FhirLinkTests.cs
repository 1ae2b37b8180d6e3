using OneClickSuite.Clients.Ihris;
using Xunit;

namespace OneClickSuite.Clients.Tests;

public class FhirLinkTests
{
    [Theory]
    // HAPI writes paging links with the address it was reached at: only what follows our base's path is kept.
    [InlineData("http://fhir:8080/fhir?_getpages=abc&_getpagesoffset=20&_count=20", "/fhir", "?_getpages=abc&_getpagesoffset=20&_count=20")]
    [InlineData("http://10.0.0.7:8080/fhir/PractitionerRole?_count=200", "/fhir/", "PractitionerRole?_count=200")]
    [InlineData("https://gateway.example.org/hapi/fhir?_getpages=x", "/hapi/fhir/", "?_getpages=x")]
    [InlineData("Practitioner?page=2", "/fhir/", "Practitioner?page=2")]
    public void Next_links_are_followed_below_our_own_base(string link, string basePath, string expected) =>
        Assert.Equal(expected, FhirLinks.BelowBase(link, basePath));

    [Theory]
    // A page or a transaction addresses the base itself: no slash is added before the query.
    [InlineData("http://fhir:8080/fhir/", "?_getpages=abc", "http://fhir:8080/fhir?_getpages=abc")]
    [InlineData("http://fhir:8080/fhir/", "", "http://fhir:8080/fhir")]
    [InlineData("http://fhir:8080/fhir/", "Practitioner/p1", "http://fhir:8080/fhir/Practitioner/p1")]
    public void Paths_below_the_base_resolve_as_hapi_routes_them(string fhirBase, string below, string expected) =>
        Assert.Equal(expected, FhirLinks.Resolve(new Uri(fhirBase), below).ToString());
}
