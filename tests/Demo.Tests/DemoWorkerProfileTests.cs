using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Snapshot;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;
using OneClickSuite.Emulators.Ihris.Tests;
using OneClickSuite.Testing;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Demo.Tests;

/// <summary>The demo registers its worker with resources that conform to the iHRIS profiles, as real iHRIS expects.</summary>
public sealed class DemoWorkerProfileTests
{
    [Fact]
    public async Task Registration_resources_conform_to_the_ihris_profiles()
    {
        var validator = await ValidatorAsync();
        var today = new DateOnly(2026, 11, 28);
        var worker = DemoWorker.New(today);
        var bundle = worker.RegistrationBundle("demo-facility-1");

        var failures = new List<string>();
        foreach (var resource in bundle.Entry.Select(e => e.Resource!))
        {
            var profile = resource.Meta!.Profile.Single();
            var outcome = validator.Validate(resource, profile);
            failures.AddRange(outcome.Issue
                .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
                // ihris-age-18 sits on Practitioner.birthDate but names "birthDate", so it is empty for every instance (see the emulator's profile tests).
                .Where(i => i.Details?.Text?.Contains("ihris-age-18", StringComparison.Ordinal) != true)
                .Select(i => $"{resource.TypeName}/{resource.Id} against {profile}: {i.Details?.Text} at {string.Join(",", i.Expression)}"));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        var practitioner = bundle.Entry.Select(e => e.Resource).OfType<Practitioner>().Single();
        var role = bundle.Entry.Select(e => e.Resource).OfType<PractitionerRole>().Single();
        Assert.Matches("^demo-chw-[0-9a-f]{8}$", worker.Id);
        Assert.Equal(worker.EmployeeNumber, practitioner.Identifier.Single(i => i.System == DemoWorker.EmployeeNumberSystem).Value);
        Assert.True(DateOnly.Parse(practitioner.BirthDate!, System.Globalization.CultureInfo.InvariantCulture) < today.AddYears(-18));
        Assert.Equal("2026-11-01", role.Period!.Start);
        Assert.Equal(DemoWorker.CommunityHealthWorkerJobCode, role.Code.Single().Coding.Single().Code);
        Assert.Equal($"Practitioner/{worker.Id}", role.Practitioner!.Reference);
        Assert.Equal("Location/demo-facility-1", role.Location.Single().Reference);
        Assert.All(bundle.Entry, e => Assert.Equal(Bundle.HTTPVerb.PUT, e.Request!.Method));

        // Every run registers somebody new.
        Assert.NotEqual(worker.Id, DemoWorker.New(today).Id);
    }

    private static async Task<Validator> ValidatorAsync()
    {
        var folder = Repository.SharedContracts is { } contracts ? Path.Combine(contracts, "ihris", "profiles") : null;
        if (folder is null || !Directory.Exists(folder))
        {
            Assert.Skip("../shared/contracts/ihris/profiles is absent: the iHRIS profiles are needed to validate.");
        }
        var profiles = new DirectorySource(folder, new DirectorySourceSettings { IncludeSubDirectories = false });
        var core = ZipSource.CreateValidationSource();
        var ownership = IhrisTerminology.FacilityOwnershipExtension();
        await new SnapshotGenerator(core).UpdateAsync(ownership);
        var resolver = new CachedResolver(new MultiResolver(profiles, new InMemoryResourceResolver([ownership, .. IhrisTerminology.Resources(folder)]), core));
        return new Validator(resolver, new LocalTerminologyService(resolver), null, new ValidationSettings());
    }
}
