using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using OneClickSuite.Emulators.Ihris.Fhir;

namespace OneClickSuite.Emulators.Ihris.Backend;

/// <summary>
/// Users as iHRIS keeps them: Person resources in the FHIR store, found by email (modules/user.js lookupByEmail:
/// Person?telecom=email|X, exactly one match), with the password in the ihris-password extension.
/// </summary>
public static class IhrisUsers
{
    public const string PasswordExtension = "http://ihris.org/fhir/StructureDefinition/ihris-password";
    public const string AdminId = "ihris-user-admin";
    public const string LoggedOutId = "ihris-user-loggedout";
    public const string DemoId = "ihris-user-demo";

    // ihris-backend-site/ig/input/fsh/IhrisUser.fsh, Instance ihris-user-admin: the hash of "ihris" with this salt.
    public const string DefaultAdminHash = "0da67ef3726a1e0adfbd3c3880c00f33167daeab1f8c728e10b547d382c2b91a96402958209d6af3c947ae9ab53d879dddb79ad046454ade2b12257fe792f8fa";
    public const string DefaultAdminSalt = "239cfeb1222bfb394549125b234e668e";

    /// <summary>
    /// modules/user.js hashPassword: pbkdf2Sync(password, salt, 1000, 64, 'sha512') as hex; the salt is the 32-hex
    /// string itself, used as UTF-8 bytes.
    /// </summary>
    public static string HashPassword(string password, string salt) => Convert.ToHexStringLower(
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(salt), 1000, HashAlgorithmName.SHA512, 64));

    /// <summary>User.prototype.checkPassword: the stored hash equals the hash of the given password with the stored salt.</summary>
    public static bool CheckPassword(JsonNode person, string password)
    {
        var details = person["extension"]?.AsArray().FirstOrDefault(e => (string?)e?["url"] == PasswordExtension);
        var parts = details?["extension"]?.AsArray();
        var hash = (string?)parts?.FirstOrDefault(e => (string?)e?["url"] == "password")?["valueString"];
        var salt = (string?)parts?.FirstOrDefault(e => (string?)e?["url"] == "salt")?["valueString"];
        if (string.IsNullOrEmpty(hash) || string.IsNullOrEmpty(salt)) return false;
        return HashPassword(password, salt) == hash;
    }

    /// <summary>The role Person/ihris-user-admin refers to (Basic-ihris-role-admin, loaded before it by file order).</summary>
    public static string AdminRoleJson => """
        {"resourceType":"Basic","id":"ihris-role-admin","meta":{"profile":["http://ihris.org/fhir/StructureDefinition/ihris-role"]},
         "code":{"coding":[{"code":"role","system":"http://ihris.org/fhir/CodeSystem/ihris-resource-codesystem"}]},
         "extension":[{"url":"http://ihris.org/fhir/StructureDefinition/ihris-basic-name","valueString":"Admin"}]}
        """;

    public static string AdminJson => $$$"""
        {"resourceType":"Person","id":"{{{AdminId}}}","meta":{"profile":["http://ihris.org/fhir/StructureDefinition/bw-person-user"]},
         "extension":[{"url":"{{{PasswordExtension}}}","extension":[{"url":"password","valueString":"{{{DefaultAdminHash}}}"},{"url":"salt","valueString":"{{{DefaultAdminSalt}}}"}]},
                      {"url":"http://ihris.org/fhir/StructureDefinition/ihris-assign-role","valueReference":{"reference":"Basic/ihris-role-admin"}}],
         "name":[{"use":"official","text":"iHRIS Admin"}],"telecom":[{"system":"email","value":"admin@ihris.org"}],"active":true}
        """;

    public static string LoggedOutJson => $$$"""
        {"resourceType":"Person","id":"{{{LoggedOutId}}}","meta":{"profile":["http://ihris.org/fhir/StructureDefinition/bw-person-user"]},
         "extension":[{"url":"http://ihris.org/fhir/StructureDefinition/ihris-assign-role","valueReference":{"reference":"Basic/ihris-role-open"}}],
         "name":[{"use":"official","text":"Logged Out"}],"telecom":[{"system":"email","value":"loggedout@ihris.org"}]}
        """;

    /// <summary>IhrisUser.fsh Instance ihris-user-demo: the same published password as the administrator, role hrmanager.</summary>
    public static string DemoJson => $$$"""
        {"resourceType":"Person","id":"{{{DemoId}}}","meta":{"profile":["http://ihris.org/fhir/StructureDefinition/bw-person-user"]},
         "extension":[{"url":"{{{PasswordExtension}}}","extension":[{"url":"password","valueString":"{{{DefaultAdminHash}}}"},{"url":"salt","valueString":"{{{DefaultAdminSalt}}}"}]},
                      {"url":"http://ihris.org/fhir/StructureDefinition/ihris-assign-role","valueReference":{"reference":"Basic/ihris-role-hrmanager"}}],
         "name":[{"use":"official","text":"iHRIS Demo User"}],"telecom":[{"system":"email","value":"demo@ihris.org"}]}
        """;

    public static string HrManagerRoleJson => """
        {"resourceType":"Basic","id":"ihris-role-hrmanager","meta":{"profile":["http://ihris.org/fhir/StructureDefinition/ihris-role"]},
         "code":{"coding":[{"code":"role","system":"http://ihris.org/fhir/CodeSystem/ihris-resource-codesystem"}]},
         "extension":[{"url":"http://ihris.org/fhir/StructureDefinition/ihris-basic-name","valueString":"HR Manager"}]}
        """;

    public static string OpenRoleJson => """
        {"resourceType":"Basic","id":"ihris-role-open","meta":{"profile":["http://ihris.org/fhir/StructureDefinition/ihris-role"]},
         "code":{"coding":[{"code":"role","system":"http://ihris.org/fhir/CodeSystem/ihris-resource-codesystem"}]},
         "extension":[{"url":"http://ihris.org/fhir/StructureDefinition/ihris-basic-name","valueString":"Open Access"}]}
        """;

    /// <summary>
    /// defaultSetup.js loadFSHFiles: while app:installed is not "true" (a new container: the flag is written to the
    /// container's config/baseConfig.json only after this first start), every IG resource is PUT again, so the
    /// administrator's password is back to "ihris". Here only the users and the roles they refer to are loaded.
    /// </summary>
    public static async Task LoadDefaultsAsync(FhirStore store, CancellationToken ct)
    {
        var requestId = FhirStore.NewRequestId();
        foreach (var json in new[] { AdminRoleJson, OpenRoleJson, HrManagerRoleJson, AdminJson, LoggedOutJson, DemoJson })
        {
            var resource = FhirEndpoints.ParseResource(json);
            await store.WriteAsync([new WriteOperation { Method = WriteMethod.Update, Type = resource.TypeName, Id = resource.Id, Resource = resource }],
                requestId, ct);
        }
    }
}
