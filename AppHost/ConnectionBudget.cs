namespace OneClickSuite.AppHost;

/// <summary>
/// Every PostgreSQL connection the graph may open, written down in one place. Each system is configured with its
/// share (its pool settings), <c>db-setup</c> caps each upstream system's login role at it (<c>CONNECTION LIMIT</c>),
/// and the server's <c>max_connections</c> is set above the sum, so no system can starve another of connections.
/// </summary>
public static class ConnectionBudget
{
    // ── Fineract: the tenant store's pool, and the default tenant's own pool ──
    /// <summary>
    /// Hikari pool of the tenant store (<c>FINERACT_HIKARI_MAXIMUM_POOL_SIZE</c>, upstream 10); Liquibase's per-tenant
    /// migration pool copies its size (TenantDataSourceFactory), so it counts twice while migrations run.
    /// </summary>
    public const int FineractTenantStorePool = 5;
    /// <summary>
    /// Every tenant's pool (<c>FINERACT_CONFIG_MAX_POOL_SIZE</c>, which overrides the tenant row's
    /// <c>pool_max_active</c>, upstream 40; DataSourcePerTenantServiceFactory.getMaxPoolSize). One tenant: default.
    /// </summary>
    public const int FineractTenantPool = 20;
    public const int Fineract = 2 * FineractTenantStorePool + FineractTenantPool;

    // ── ODK Central: API processes, each with DB_POOL_SIZE connections, and the odk-cmd one-shot. start-odk.sh sets
    // WORKER_COUNT itself (4 wherever more than 1.1 MB of memory is free) and no variable overrides it. ──
    public const int OdkWorkers = 4;
    public const int OdkPoolPerWorker = 5;
    public const int OdkAdminTask = 2;
    public const int Odk = OdkWorkers * OdkPoolPerWorker + OdkAdminTask;

    // ── HAPI FHIR (iHRIS's store): Spring's Hikari pool (spring.datasource.hikari.maximum-pool-size; default 10) ──
    public const int Hapi = 10;

    // ── The suite's own services and the sandbox's emulators: each one Npgsql pool (Maximum Pool Size). A service
    // handles up to 16 messages of a queue at once, each in a transaction of its own, on more than one queue. ──
    public const int SuiteService = 40;
    public const int SuiteServices = 7; // ihris-, fineract-, odk-, mobile-money-, payment-hub-adapter, payroll, portal
    public const int Emulator = 20;
    /// <summary>Fineract, ODK Central, iHRIS, the mobile money provider and Payment Hub EE.</summary>
    public const int Emulators = 5;
    /// <summary>
    /// In full mode on an evaluator's machine the mobile money provider and Payment Hub are still emulators (no provider
    /// ships an image; Payment Hub's needs more memory than the laptop has).
    /// </summary>
    public const int FullModeEmulators = 2;
    /// <summary>db-setup, one connection at a time.</summary>
    public const int Setup = 2;

    /// <summary>Connections PostgreSQL keeps for a superuser (its default), plus room for an operator's psql.</summary>
    public const int Reserved = 3 + 5;

    /// <summary>What the systems of a mode may open together.</summary>
    public static int Sum(SuiteMode mode) => mode switch
    {
        SuiteMode.Full => Fineract + Odk + Hapi + FullModeEmulators * Emulator + SuiteServices * SuiteService + Setup,
        SuiteMode.Sandbox => Emulators * Emulator + SuiteServices * SuiteService + Setup,
        _ => SuiteServices * SuiteService + Setup,
    };

    /// <summary>The server's <c>max_connections</c>: the sum, the reserve, and a quarter on top for replicas.</summary>
    public static int ServerLimit(SuiteMode mode) => (Sum(mode) + Reserved) * 5 / 4;
}
