using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging.Abstractions;
using OneClickSuite.Contracts;
using OneClickSuite.IhrisAdapter.Roster;
using Xunit;

namespace OneClickSuite.Roster.Tests;

/// <summary>
/// The iHRIS adapter carries what iHRIS wrote, exactly, and decides nothing about pay: the salary strings as typed,
/// iHRIS's frequency codes as spelled upstream (CodeSystem ihris-frequency-codesystem: daily, weekly, monthly,
/// quaterly, biannually, annualy), every role with its dates, and a role's Money with its own currency. Whether a role
/// is current is judged on the ministry's date.
/// </summary>
public sealed class WorkerRecordTests
{
    private const string Ihris = "http://ihris.org/fhir";
    private static readonly DateTimeOffset Now = new(2026, 9, 20, 22, 30, 0, TimeSpan.Zero); // 21 September in Kampala

    private static WorkerRecordBuilder Builder(string zone = "UTC") =>
        new(new JobCatalog(NullLogger<JobCatalog>.Instance), MinistryCalendar.FromId(zone));

    private static PractitionerRole Role(string id, string start, string? end, Money? salary = null)
    {
        var role = new PractitionerRole
        {
            Id = id, Active = true, Period = new Period { Start = start, End = end },
            Practitioner = new ResourceReference("Practitioner/p1"),
            Code = [new CodeableConcept($"{Ihris}/CodeSystem/ihris-job", "2230-1B", "Nurse")],
            Location = [new ResourceReference("Location/f1")],
        };
        if (salary is not null) role.Extension.Add(new Extension($"{Ihris}/StructureDefinition/ihris-practitionerrole-salary", salary));
        return role;
    }

    private static Basic Salary(string id, string bsalary, string frequency, string start, string? end = null, string? allowance = null, string? benefits = null,
        bool olderForm = false)
    {
        var salary = new Extension { Url = $"{Ihris}/StructureDefinition/ihris-salary" };
        salary.Extension.Add(new Extension("bsalary", new FhirString(bsalary)));
        if (allowance is not null) salary.Extension.Add(new Extension("allowance", new FhirString(allowance)));
        if (benefits is not null) salary.Extension.Add(new Extension("benefits", new FhirString(benefits)));
        salary.Extension.Add(new Extension("frequency", new Coding($"{Ihris}/CodeSystem/ihris-frequency-codesystem", frequency)));
        if (olderForm)
        {
            salary.Extension.Add(new Extension("startDate", new Date(start)));
            if (end is not null) salary.Extension.Add(new Extension("endDate", new Date(end)));
        }
        else
        {
            salary.Extension.Add(new Extension("period", new Period { Start = start, End = end }));
        }
        salary.Extension.Add(new Extension("current", new FhirBoolean(true)));
        return new Basic
        {
            Id = id,
            Extension = [new Extension($"{Ihris}/StructureDefinition/ihris-practitioner-reference", new ResourceReference("Practitioner/p1")), salary],
        };
    }

    private static WorkerSource Source(IReadOnlyList<PractitionerRole> roles, IReadOnlyList<Basic> salaries) => new("p1",
        new Practitioner
        {
            Id = "p1", Active = true, BirthDate = "1988-03-14",
            Name = [new HumanName { Family = "Nakato", Given = ["Sarah"] }],
            Identifier = [new Identifier("urn:oneclicksuite:employee-number", "EMP-1")],
        },
        roles,
        new Dictionary<string, Location> { ["f1"] = new() { Id = "f1", Name = "Kawempe", Meta = new Meta { Profile = [$"{Ihris}/StructureDefinition/ihris-facility"] } } },
        salaries);

    [Theory]
    [InlineData("1500,50", "daily")]
    [InlineData("1,500.50", "weekly")]
    [InlineData("1 500", "monthly")]
    [InlineData("fifteen hundred", "quaterly")]
    [InlineData("-850", "biannually")]
    [InlineData("850.00", "annualy")]
    public void Salary_texts_and_frequency_codes_travel_exactly_as_iHRIS_wrote_them(string text, string frequency)
    {
        var (worker, problem) = Builder().Build(Source([Role("r1", "2020-01-01", null)],
            [Salary("s1", text, frequency, "2020-01-01", allowance: "100,00", benefits: "in kind")]), Now);
        Assert.Null(problem);
        var salary = Assert.Single(worker!.Salaries);
        Assert.Equal(new SalaryRecord("Basic/s1", text, "100,00", "in kind", frequency, $"{Ihris}/CodeSystem/ihris-frequency-codesystem",
            "2020-01-01", null, true), salary);
        Assert.Equal("1988-03-14", worker.BirthDate);
    }

    [Fact]
    public void Every_role_travels_with_its_dates_and_its_own_salary_in_its_own_currency()
    {
        var (worker, _) = Builder().Build(Source(
            [Role("r1", "2019-01-01", "2026-09-14"), Role("r2", "2026-09-15", null, new Money { Value = 120000m, Currency = Money.Currencies.KES })],
            [Salary("old", "850.00", "monthly", "2019-01-01", "2026-09-14", olderForm: true)]), Now);
        Assert.Equal(["PractitionerRole/r1", "PractitionerRole/r2"], worker!.Roles.Select(r => r.Reference));
        Assert.Equal(("2019-01-01", "2026-09-14"), (worker.Roles[0].Start, worker.Roles[0].End));
        Assert.Equal((120000m, "KES"), (worker.Roles[1].SalaryAmount, worker.Roles[1].SalaryCurrency));
        // Older core-IG data: startDate/endDate instead of period.
        Assert.Equal(("2019-01-01", "2026-09-14"), (worker.Salaries[0].Start, worker.Salaries[0].End));
    }

    [Fact]
    public void A_role_ending_today_in_the_ministrys_zone_is_still_current()
    {
        // It is 22:30 UTC on the 20th: in UTC the role ending on the 20th has ended; in Kampala it is the 21st too.
        var source = Source([Role("r1", "2019-01-01", "2026-09-20")], []);
        Assert.True(Builder().Build(source, Now.AddHours(-1)).Snapshot!.Active);   // 21:30 UTC: still the 20th in UTC
        Assert.False(Builder("Africa/Kampala").Build(source, Now.AddHours(-1)).Snapshot!.Active); // already the 21st in Kampala
        var endsOn21 = Source([Role("r1", "2019-01-01", "2026-09-21")], []);
        Assert.True(Builder("Africa/Kampala").Build(endsOn21, Now).Snapshot!.Active);
        Assert.Equal(new DateOnly(2026, 9, 21), Builder("Africa/Kampala").Build(endsOn21, Now).Snapshot!.EmployedUntil);
    }
}
