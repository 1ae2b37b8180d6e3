using Aspire.Hosting.Publishing;

namespace OneClickSuite.AppHost;

public static class ParameterExtensions
{
    /// <summary>A generated secret: kept in user secrets in run mode, a required parameter of the manifest.</summary>
    public static IResourceBuilder<ParameterResource> AddSecret(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);

    /// <summary>
    /// A setting with a default that configuration (<c>Parameters:name</c>, a prompt in <c>azd up</c>) overrides.
    /// Aspire's <c>AddParameter(name, value, publishValueAsDefault)</c> would always yield the fixed value.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddSetting(this IDistributedApplicationBuilder builder, string name, string defaultValue) =>
        builder.AddParameter(name, new FixedDefault(defaultValue));

    /// <summary>The value a parameter has unless configuration says otherwise, written to the manifest as its default.</summary>
    private sealed class FixedDefault(string value) : ParameterDefault
    {
        public override string GetDefaultValue() => value;

        public override void WriteToManifest(ManifestPublishingContext context) => context.Writer.WriteString("value", value);
    }
}
