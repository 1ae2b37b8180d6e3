namespace OneClickSuite.AppHost.Tests;

/// <summary>What each mode's graph contains and how it is wired, checked without starting anything.</summary>
public class ModelTests
{
    public static TheoryData<string> Modes => ["full", "sandbox", "external"];

    private static readonly string[] Infrastructure = ["postgres", "rabbitmq", "db-setup", "bootstrap",
        "fineract-tenants", "fineract-default", "odk-db", "hapi-db", "suite-db"];

    [Fact]
    public async Task Full_mode_runs_every_upstream_system_as_a_container()
    {
        await using var model = await AppModel.CreateAsync("full");
        string[] containers = ["postgres", "rabbitmq", "fineract", "mifos", "pyxform", "service", "odk-central", "odk-central-admin",
            "mail", "fhir", "es", "ihris-redis", "ihris"];
        foreach (var name in containers) Assert.IsAssignableFrom<ContainerResource>(model.Resource(name));
        foreach (var name in Infrastructure) model.Resource(name);
    }

    [Fact]
    public async Task Sandbox_mode_runs_emulators_under_the_upstream_names_and_no_container()
    {
        await using var model = await AppModel.CreateAsync("sandbox");
        foreach (var name in new[] { "fineract", "odk-central", "ihris", "mobile-money", "payment-hub" })
            Assert.IsType<DotNetServiceProcess>(model.Resource(name));
        foreach (var name in Infrastructure) model.Resource(name);
        Assert.IsAssignableFrom<ExecutableResource>(model.Resource("postgres"));
        Assert.IsAssignableFrom<ExecutableResource>(model.Resource("rabbitmq"));
    }

    [Fact]
    public async Task Run_mode_starts_every_program_of_the_suite_from_its_build_output_not_through_dotnet_run()
    {
        await using var model = await AppModel.CreateAsync("sandbox");
        var programs = model.Resources.OfType<IDotNetService>().ToList();
        Assert.Equal(["bootstrap", "db-setup", "fineract", "fineract-adapter", "ihris", "ihris-adapter", "mobile-money", "mobile-money-adapter",
                "odk-adapter", "odk-central", "payment-hub", "payment-hub-adapter", "payroll", "portal"],
            programs.Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var program in programs)
        {
            var process = Assert.IsType<DotNetServiceProcess>(program);
            Assert.NotEqual("dotnet", process.Command);
            Assert.True(File.Exists(process.Command), $"{program.Name}: {process.Command} is not a built program");
        }
    }

    [Fact]
    public async Task External_mode_points_at_existing_systems()
    {
        await using var model = await AppModel.CreateAsync("external");
        foreach (var name in new[] { "fineract", "odk-central", "ihris", "ihris-fhir" })
            Assert.IsType<ExternalServiceResource>(model.Resource(name));
        Assert.DoesNotContain(model.Resources, r => r.Name is "mifos" or "service" or "fhir" or "mail");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Only_the_full_mode_has_containers_or_volumes(string mode)
    {
        await using var model = await AppModel.CreateAsync(mode);
        var containers = model.Resources.OfType<ContainerResource>().Select(r => r.Name).ToList();
        var mounts = model.Resources.SelectMany(r => r.Annotations.OfType<ContainerMountAnnotation>()).ToList();
        if (mode == "full")
        {
            Assert.NotEmpty(containers);
            Assert.All(mounts, m => Assert.Equal(ContainerMountType.Volume, m.Type)); // no bind mounts anywhere
        }
        else
        {
            Assert.Empty(containers);
            Assert.Empty(mounts);
        }
    }

    [Fact]
    public async Task Every_image_is_pinned()
    {
        await using var model = await AppModel.CreateAsync("full");
        foreach (var resource in model.Resources.OfType<ContainerResource>())
        {
            var image = resource.Annotations.OfType<ContainerImageAnnotation>().Single();
            Assert.False(string.IsNullOrWhiteSpace(image.Tag), $"{resource.Name}: no tag");
            Assert.NotEqual("latest", image.Tag);
            Assert.Matches(@"\d", image.Tag!); // a version or a commit, not a moving name like "alpine"
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Every_long_running_resource_proves_readiness(string mode)
    {
        await using var model = await AppModel.CreateAsync(mode);
        var longRunning = model.Resources.Where(r => r is ContainerResource or ProjectResource or ExecutableResource or ExternalServiceResource)
            .Where(r => !AppModel.IsOneShot(r));
        foreach (var resource in longRunning)
        {
            Assert.True(resource.Annotations.OfType<HealthCheckAnnotation>().Any(), $"{mode}: {resource.Name} has no health check");
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Services_wait_for_what_they_need_and_the_graph_has_no_cycle(string mode)
    {
        await using var model = await AppModel.CreateAsync(mode);
        Assert.Contains(AppModel.WaitsFor(model.Resource("db-setup")), r => r.Name == "postgres");
        var bootstrapWaits = AppModel.WaitsFor(model.Resource("bootstrap")).Select(r => r.Name).ToList();
        Assert.Contains("fineract", bootstrapWaits);
        Assert.Contains("odk-central", bootstrapWaits);
        Assert.Contains(mode == "external" ? "ihris-fhir" : "ihris", bootstrapWaits); // the suite needs iHRIS's FHIR server
        if (mode != "external")
        {
            foreach (var name in new[] { "fineract", "odk-central", "ihris" })
            {
                var upstream = model.Resource(name);
                var reachable = Reachable(upstream).Select(r => r.Name).ToList();
                Assert.Contains("db-setup", reachable);
            }
        }

        // Depth-first search for a cycle over the wait edges.
        var state = new Dictionary<IResource, int>();
        foreach (var resource in model.Resources) Visit(resource, []);

        void Visit(IResource resource, List<string> path)
        {
            if (state.GetValueOrDefault(resource) == 2) return;
            Assert.False(state.GetValueOrDefault(resource) == 1, $"{mode}: wait cycle {string.Join(" -> ", path)} -> {resource.Name}");
            state[resource] = 1;
            foreach (var next in AppModel.WaitsFor(resource)) Visit(next, [.. path, resource.Name]);
            state[resource] = 2;
        }
    }

    private static IEnumerable<IResource> Reachable(IResource start)
    {
        var seen = new HashSet<IResource>();
        var stack = new Stack<IResource>([start]);
        while (stack.Count > 0)
        {
            foreach (var next in AppModel.WaitsFor(stack.Pop()))
            {
                if (seen.Add(next)) stack.Push(next);
            }
        }
        return seen;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Secrets_are_parameters_never_literals(string mode)
    {
        await using var model = await AppModel.CreateAsync(mode);
        string[] secretWords = ["PASSWORD", "PWD", "SECRET", "KEY", "TOKEN"];
        foreach (var resource in model.Resources.OfType<IResourceWithEnvironment>())
        {
            var environment = await model.EnvironmentAsync(resource);
            foreach (var (name, value) in environment)
            {
                if (!secretWords.Any(w => name.ToUpperInvariant().Contains(w))) continue;
                // Empty settings that switch something off (SENTRY_KEY, S3 keys) carry no secret.
                if (value is string s && s.Length == 0) continue;
                if (value is ReferenceExpression { ValueProviders.Count: 0, ValueExpression.Length: 0 }) continue;
                if (name is "Bootstrap__FineractDefaultPassword" or "Fineract__SeedPassword") continue; // upstream's published default, replaced at bootstrap
                if (name is "Ihris__EnforceAdminPassword") continue; // a switch, not a secret
                if (name.StartsWith("PaymentHub__Jws__TenantKeys__", StringComparison.Ordinal)) continue; // a public key, which checks signatures
                Assert.True(ContainsSecretParameter(value), $"{mode}: {resource.Name} {name} is not a secret parameter");
            }
        }
    }

    private static bool ContainsSecretParameter(object value) => value switch
    {
        ParameterResource p => p.Secret,
        ReferenceExpression e => e.ValueProviders.Any(v => ContainsSecretParameter(v)),
        IResourceWithConnectionString => true, // connection strings embed the server's password parameter
        ConnectionStringReference => true,
        _ => false,
    };

    [Fact]
    public async Task Fineract_gets_every_variable_upstream_requires()
    {
        var markdown = UpstreamFacts.UpstreamsMarkdown;
        if (markdown is null) Assert.Skip("../shared/upstreams.md is absent: cannot check Fineract's variables against it");
        var required = UpstreamFacts.FineractVariables(markdown);
        Assert.True(required.Count >= 15, $"parsed only {required.Count} Fineract variables from upstreams.md");

        await using var model = await AppModel.CreateAsync("full");
        var environment = await model.EnvironmentAsync(model.Resource("fineract"));
        foreach (var name in required) Assert.True(environment.ContainsKey(name), $"fineract lacks {name}");
        Assert.Equal("org.postgresql.Driver", environment["FINERACT_HIKARI_DRIVER_SOURCE_CLASS_NAME"]);
        Assert.Equal("false", environment["FINERACT_SERVER_SSL_ENABLED"]);
        Assert.Equal("8080", environment["FINERACT_SERVER_PORT"]);
        Assert.IsType<ParameterResource>(environment["FINERACT_DEFAULT_TENANTDB_MASTER_PASSWORD"]);
    }

    [Fact]
    public async Task Odk_service_gets_every_variable_start_odk_needs_and_sentry_is_off()
    {
        var markdown = UpstreamFacts.UpstreamsMarkdown;
        if (markdown is null) Assert.Skip("../shared/upstreams.md is absent: cannot check ODK's variables against it");
        var required = UpstreamFacts.OdkServiceVariables(markdown);
        Assert.True(required.Count >= 25, $"parsed only {required.Count} ODK variables from upstreams.md");

        await using var model = await AppModel.CreateAsync("full");
        var environment = await model.EnvironmentAsync(model.Resource("service"));
        foreach (var name in required) Assert.True(environment.ContainsKey(name), $"service lacks {name}");
        Assert.Equal("", environment["SENTRY_KEY"]);
        // Numbers and booleans are pasted into JSON unquoted by start-odk.sh: never empty.
        foreach (var name in new[] { "DB_POOL_SIZE", "EMAIL_PORT", "SESSION_LIFETIME", "EMAIL_SECURE", "EMAIL_IGNORE_TLS", "OIDC_ENABLED" })
            Assert.NotEqual("", environment[name]);
    }

    [Fact]
    public async Task Odk_resources_are_named_as_central_hard_codes_its_hosts()
    {
        await using var model = await AppModel.CreateAsync("full");
        model.Resource("service");   // nginx proxies to service:8383
        model.Resource("pyxform");   // service converts XLSForms at pyxform:80
        var service = (ContainerResource)model.Resource("service");
        Assert.Contains(service.Annotations.OfType<EndpointAnnotation>(), e => e.TargetPort == 8383);
        Assert.Contains(model.Resource("pyxform").Annotations.OfType<EndpointAnnotation>(), e => e.TargetPort == 80);
    }

    [Fact]
    public async Task Once_deployed_every_user_interface_and_nothing_else_is_external()
    {
        await using var model = await AppModel.CreateAsync("full", publish: true);
        // The portal is the suite's front door; the Mifos X web app (with Fineract's API under its origin), ODK Central
        // and iHRIS are where people work. Fineract's API, HAPI FHIR, the brokers and databases never are.
        string[] userInterfaces = ["portal", "mifos", "odk-central", "ihris"];
        var external = model.Resources.Where(r => r.Annotations.OfType<EndpointAnnotation>().Any(e => e.IsExternal)).Select(r => r.Name);
        Assert.Equivalent(userInterfaces, external, strict: true);
        foreach (var name in userInterfaces)
        {
            Assert.All(model.Resource(name).Annotations.OfType<EndpointAnnotation>().Where(e => e.IsExternal),
                e => Assert.Equal("http", e.UriScheme)); // TLS by the platform's ingress
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Every_one_shot_is_waited_for(string mode)
    {
        await using var model = await AppModel.CreateAsync(mode);
        var awaited = model.Resources.SelectMany(AppModel.WaitsToComplete).Select(r => r.Name).ToHashSet();
        foreach (var oneShot in model.Resources.Where(AppModel.IsOneShot).Select(r => r.Name)
                     )
        {
            Assert.Contains(oneShot, awaited);
        }
        // A failure creating ODK's administrator shows at bootstrap, not later as an ODK 401 in an adapter.
        if (mode == "full") Assert.Contains(AppModel.WaitsToComplete(model.Resource("bootstrap")), r => r.Name == "odk-central-admin");
    }

    [Fact]
    public async Task Administrator_emails_are_parameters_a_ministry_can_set()
    {
        await using var model = await AppModel.CreateAsync("full",
            "--Parameters:odk-admin-email=data.manager@health.example.gov", "--Parameters:ihris-admin-email=hr.admin@health.example.gov");
        Assert.Equal("data.manager@health.example.gov", await model.ParameterAsync("odk-admin-email"));
        Assert.Equal("hr.admin@health.example.gov", await model.ParameterAsync("ihris-admin-email"));
        var bootstrap = await model.EnvironmentAsync(model.Resource("bootstrap"));
        Assert.Equal("odk-admin-email", ((ParameterResource)((ReferenceExpression)bootstrap["Odk__Email"]).ValueProviders.Single()).Name);
        Assert.Equal("ihris-admin-email", ((ParameterResource)((ReferenceExpression)bootstrap["Ihris__AdminEmail"]).ValueProviders.Single()).Name);

        await using var unset = await AppModel.CreateAsync("full");
        Assert.Equal("admin@oneclicksuite.org", await unset.ParameterAsync("odk-admin-email"));
        Assert.Equal("admin@ihris.org", await unset.ParameterAsync("ihris-admin-email"));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Adapters_see_the_same_configuration_contract_in_every_mode(string mode)
    {
        await using var model = await AppModel.CreateAsync(mode);
        var environment = await model.EnvironmentAsync(model.Resource("bootstrap"));
        foreach (var key in new[] { "Fineract__BaseUrl", "Fineract__Username", "Fineract__Password", "Fineract__Tenant",
                     "Odk__BaseUrl", "Odk__Email", "Odk__Password", "Ihris__FhirUrl", "Ihris__BaseUrl", "Ihris__AdminEmail", "Ihris__AdminPassword" })
        {
            Assert.True(environment.ContainsKey(key), $"{mode}: bootstrap lacks {key}");
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Suite_services_get_their_state_and_broker_and_start_after_seeding(string mode)
    {
        await using var model = await AppModel.CreateAsync(mode);
        var upstreamOf = new Dictionary<string, string>
        {
            ["ihris-adapter"] = "Ihris", ["fineract-adapter"] = "Fineract", ["odk-adapter"] = "Odk", ["payroll"] = "Fineract",
        };
        var baseUrlKey = new Dictionary<string, string> { ["Ihris"] = "FhirUrl", ["Fineract"] = "BaseUrl", ["Odk"] = "BaseUrl" };
        foreach (var (name, section) in upstreamOf)
        {
            var service = Assert.IsType<DotNetServiceProcess>(model.Resource(name));
            var environment = await model.EnvironmentAsync(service);
            Assert.True(environment.ContainsKey("ConnectionStrings__suite-db"), $"{name} has no suite-db");
            Assert.True(environment.ContainsKey("ConnectionStrings__rabbitmq"), $"{name} has no rabbitmq");
            Assert.True(environment.ContainsKey($"{section}__{baseUrlKey[section]}"), $"{name} does not know where {section} is");
            var waits = AppModel.WaitsFor(service).Select(r => r.Name).ToList();
            foreach (var needed in new[] { "bootstrap", "db-setup", "rabbitmq" }) Assert.Contains(needed, waits);
        }
    }

    [Fact]
    public async Task Database_setup_creates_what_each_owner_requires()
    {
        await using var model = await AppModel.CreateAsync("full");
        var environment = await model.EnvironmentAsync(model.Resource("db-setup"));
        var databases = environment.Where(kv => kv.Key.StartsWith("Setup__Databases__") && kv.Key.EndsWith("__Name"))
            .ToDictionary(kv => (string)kv.Value, kv => kv.Key[..^"Name".Length]);
        Assert.Equivalent(new[] { "fineract_tenants", "fineract_default", "odk", "hapi", "suite" }, databases.Keys);
        Assert.Equal("citext,pg_trgm,pgrowlocks", environment[databases["odk"] + "Extensions"]);
        Assert.Equal("odk", environment[databases["odk"] + "Owner"]);
        Assert.Equal("fineract", environment[databases["fineract_tenants"] + "Owner"]);
        Assert.Equal("fineract", environment[databases["fineract_default"] + "Owner"]);
        Assert.IsType<ParameterResource>(environment[databases["hapi"] + "OwnerPassword"]);
    }
}
