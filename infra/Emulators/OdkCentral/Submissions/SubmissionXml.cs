using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using OneClickSuite.Emulators.OdkCentral.Forms;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;

namespace OneClickSuite.Emulators.OdkCentral.Submissions;

/// <summary>The identifying parts of a submission's XML (central-backend model/frames/submission.js fromXml).</summary>
public sealed record SubmissionXml(string Xml, XElement Root, string XmlFormId, string Version, string InstanceId, string? DeprecatedId,
    string? InstanceName = null)
{
    public static SubmissionXml Parse(string xml)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(xml);
        }
        catch (XmlException)
        {
            // lib/model/frames/submission.js fromXml finds no id attribute in what is not XML.
            throw Problems.MissingParameter("form ID xml attribute");
        }

        var root = document.Root ?? throw Problems.MissingParameter("form ID xml attribute");
        var xmlFormId = root.Attribute("id")?.Value;
        if (string.IsNullOrWhiteSpace(xmlFormId)) throw Problems.MissingParameter("form ID xml attribute");
        var meta = root.Elements().FirstOrDefault(e => e.Name.LocalName == "meta");
        var instanceId = (meta?.Elements().FirstOrDefault(e => e.Name.LocalName == "instanceID")
            ?? root.Elements().FirstOrDefault(e => e.Name.LocalName == "instanceID"))?.Value.Trim();
        // fromXml: without an instanceID Central makes one up (a plain v4 uuid).
        if (string.IsNullOrEmpty(instanceId)) instanceId = Guid.NewGuid().ToString();
        var deprecatedId = meta?.Elements().FirstOrDefault(e => e.Name.LocalName == "deprecatedID")?.Value.Trim();
        var instanceName = meta?.Elements().FirstOrDefault(e => e.Name.LocalName == "instanceName")?.Value;
        return new SubmissionXml(xml, root, xmlFormId, root.Attribute("version")?.Value ?? "", instanceId,
            string.IsNullOrWhiteSpace(deprecatedId) ? null : deprecatedId, string.IsNullOrEmpty(instanceName) ? null : instanceName);
    }

    /// <summary>
    /// The form fields of the OData row, nested per group as Central does, typed by the form's binds
    /// (int and decimal become numbers, the rest strings, empty values null).
    /// </summary>
    public string ToODataFields(IReadOnlyList<FormField> fields)
    {
        var row = new JsonObject();
        AddFields(row, Root, fields, $"Submissions('{InstanceId}')");
        return row.ToJsonString();
    }

    private static void AddFields(JsonObject target, XElement parent, IReadOnlyList<FormField> fields, string navigationBase)
    {
        foreach (var field in fields)
        {
            if (field.Type == "repeat")
            {
                if (parent.Elements().Any(e => e.Name.LocalName == field.Name))
                    target[field.Name + "@odata.navigationLink"] = $"{navigationBase}/{field.Name}";
                continue;
            }

            // lib/data/odata.js submissionToOData writes every field of the form: missing ones as null, groups
            // as objects of their (possibly null) fields.
            var element = parent.Elements().FirstOrDefault(e => e.Name.LocalName == field.Name);
            if (field.Children is not null)
            {
                var group = new JsonObject();
                AddFields(group, element ?? new XElement(field.Name), field.Children, navigationBase);
                target[field.Name] = group;
                continue;
            }

            target[field.Name] = element is null ? null : Value(element.Value, field.Type);
        }
    }

    private static JsonNode? Value(string text, string type)
    {
        if (text.Length == 0) return null;
        switch (type)
        {
            case "int" when long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number):
                return number;
            case "decimal" when double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var real):
                return real;
            default:
                return text;
        }
    }
}
