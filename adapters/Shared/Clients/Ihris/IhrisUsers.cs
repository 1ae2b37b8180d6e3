using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;

namespace OneClickSuite.Clients.Ihris;

/// <summary>
/// iHRIS's users are Person resources in its FHIR store; a password is extension <c>ihris-password</c> with
/// sub-extensions <c>password</c> and <c>salt</c> (ihris-backend modules/user.js hashPassword / checkPassword:
/// pbkdf2-sha512, 1000 iterations, 64 bytes, hex; the salt is a 32-character hex string used as its UTF-8 bytes).
/// A new iHRIS container loads its default users again (defaultSetup.js loadFSHFiles while app:installed is "false",
/// which lives in the container's own config file): Person/ihris-user-admin and Person/ihris-user-demo, both with
/// the published password "ihris" (ihris-backend-site/ig/input/fsh/IhrisUser.fsh).
/// </summary>
public static class IhrisUsers
{
    public const string AdministratorId = "ihris-user-admin";
    public const string DemoUserId = "ihris-user-demo";
    public const string PublishedDefaultPassword = "ihris";
    public const string PasswordExtension = "http://ihris.org/fhir/StructureDefinition/ihris-password";

    public static string Hash(string password, string salt) =>
        Convert.ToHexString(Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(salt),
            1000, HashAlgorithmName.SHA512, 64)).ToLowerInvariant();

    /// <summary>Whether <paramref name="password"/> signs in as this user, as iHRIS's checkPassword decides.</summary>
    public static bool HasPassword(Person person, string password)
    {
        var extension = person.GetExtension(PasswordExtension);
        var hash = (extension?.GetExtensionValue<FhirString>("password"))?.Value;
        var salt = (extension?.GetExtensionValue<FhirString>("salt"))?.Value;
        return hash is not null && salt is not null
               && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(password, salt)), Encoding.ASCII.GetBytes(hash));
    }

    /// <summary>Stores <paramref name="password"/> with a fresh salt, as iHRIS's own password change does.</summary>
    public static void SetPassword(Person person, string password)
    {
        var salt = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        person.RemoveExtension(PasswordExtension);
        var extension = new Extension { Url = PasswordExtension };
        extension.Extension.Add(new Extension("password", new FhirString(Hash(password, salt))));
        extension.Extension.Add(new Extension("salt", new FhirString(salt)));
        person.Extension.Add(extension);
    }

    /// <summary>The email a user signs in with (iHRIS looks users up by <c>telecom=email|…</c>).</summary>
    public static string? Email(Person person) =>
        person.Telecom.FirstOrDefault(t => t.System == ContactPoint.ContactPointSystem.Email)?.Value;

    public static void SetEmail(Person person, string email)
    {
        person.Telecom.RemoveAll(t => t.System == ContactPoint.ContactPointSystem.Email);
        person.Telecom.Add(new ContactPoint { System = ContactPoint.ContactPointSystem.Email, Value = email });
    }
}
