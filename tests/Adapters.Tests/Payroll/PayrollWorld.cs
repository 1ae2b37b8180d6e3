using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRules;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>Payroll's domain on a fresh PostgreSQL database; payment requests are recorded instead of sent.</summary>
public sealed class PayrollWorld : IAsyncDisposable
{
    public static readonly Actor Maker = new("alice", new HashSet<string> { Actor.MakerRole });
    public static readonly Actor Checker = new("bob", new HashSet<string> { Actor.CheckerRole });
    public const string ChwJob = "3229-3A";
    public const string NurseJob = "2230-1B";

    private PayrollWorld(NpgsqlDataSource db, PayRuleSet rules)
    {
        Db = db;
        Outbox = new RecordingOutbox(db);
        Workforce = new Workforce.Workforce(db);
        PayRuns = new PayRunService(db, new FixedOptions<PayRuleSet>(rules), Outbox, TimeProvider.System, NullLogger<PayRunService>.Instance);
    }

    public NpgsqlDataSource Db { get; }
    public RecordingOutbox Outbox { get; }
    public Workforce.Workforce Workforce { get; }
    public PayRunService PayRuns { get; }

    public static async Task<PayrollWorld> CreateAsync(PayRuleSet? rules = null)
    {
        var pg = await PostgresServer.StartSharedAsync();
        var db = NpgsqlDataSource.Create(await pg.CreateDatabaseAsync("payroll"));
        await PayrollDatabase.MigrateAsync(db, CancellationToken.None);
        return new PayrollWorld(db, rules ?? StandardRules());
    }

    public static PayRuleSet StandardRules(string version = "test-1") => new()
    {
        Version = version,
        Currency = "USD",
        Rules =
        [
            new PayRule
            {
                Name = "CHW incentive", Kind = PayRuleKind.Incentive, JobCodes = [ChwJob],
                Incentive = new IncentiveScheme
                {
                    Rates = new() { ["households_visited"] = 0.50m, ["referrals"] = 2.00m },
                    MaxUnits = new() { ["households_visited"] = 300 },
                    Cap = 150m, Minimum = 5m, Stipend = 20m,
                },
            },
            new PayRule { Name = "Salaried nurses", Kind = PayRuleKind.Salary, JobCodes = [NurseJob], Cadres = ["Nurse"] },
        ],
    };

    public static WorkerSnapshot Nurse(string id, decimal monthly, string facility = "facility-1") => new()
    {
        WorkerId = id, EmployeeNumber = "EMP-" + id, GivenName = "Sarah", FamilyName = id,
        Facility = new FacilityRef(facility, "Facility " + facility), Job = new JobRef(NurseJob, "Nurse", "Nurse"),
        Pay = PayBasis.Salary(monthly, "USD", "monthly"), Active = true,
    };

    public static WorkerSnapshot Chw(string id, string facility = "facility-1") => new()
    {
        WorkerId = id, EmployeeNumber = "EMP-" + id, GivenName = "Amina", FamilyName = id,
        Facility = new FacilityRef(facility, "Facility " + facility), Job = new JobRef(ChwJob, "Environmental Health Worker", "Community health worker"),
        Pay = PayBasis.Incentive, Active = true,
    };

    public Task AddAsync(WorkerSnapshot worker, DateOnly? from = null, DateOnly? until = null) =>
        Workforce.ApplyWorkerAsync(worker, 1, from, until, CancellationToken.None);

    public Task ReportAsync(string submissionId, string workerId, DateOnly period, int households, int referrals, long version = 1) =>
        Workforce.ApplyActivityAsync(new ActivityCountedV1(submissionId, workerId, period,
            new Dictionary<string, int> { ["households_visited"] = households, ["referrals"] = referrals }, "approved", version,
            DateTimeOffset.UtcNow), CancellationToken.None);

    /// <summary>Create, submit (maker) and approve (checker) a run.</summary>
    public async Task<PayRunView> ApprovedRunAsync(string period, string population = "everyone", string? value = null)
    {
        var run = await PayRuns.CreateAsync(new NewPayRun(period, population, value), Maker, CancellationToken.None);
        await PayRuns.SubmitAsync(run.Id, Maker, CancellationToken.None);
        return await PayRuns.ApproveAsync(run.Id, Checker, CancellationToken.None);
    }

    /// <summary>Plays the Fineract adapter: every requested payment of the run is settled.</summary>
    public async Task SettleAllAsync(Guid runId)
    {
        foreach (var request in Outbox.Sent.Where(r => r.PayRunId == runId).ToList())
        {
            await PayRuns.RecordSettledAsync(new PaymentSettledV1(request.PaymentId, request.Reference, 1, DateTimeOffset.UtcNow), CancellationToken.None);
        }
    }

    public async Task<List<PayLineView>> LinesAsync(Guid runId) =>
        (await PayRuns.GetLinesAsync(runId, null, 0, 10_000, CancellationToken.None)).ToList();

    public async ValueTask DisposeAsync() => await Db.DisposeAsync();
}

public sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;
    public T Get(string? name) => value;
    public IDisposable? OnChange(Action<T, string?> listener) => null;
}

/// <summary>An outbox that keeps what committed transactions sent.</summary>
public sealed class RecordingOutbox(NpgsqlDataSource db) : IPaymentOutbox
{
    private readonly List<PaymentRequestedV1> _sent = [];

    public IReadOnlyList<PaymentRequestedV1> Sent { get { lock (_sent) return _sent.ToList(); } }

    public async Task<IPaymentTransaction> BeginAsync(CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        return new Unit(this, connection, await connection.BeginTransactionAsync(ct));
    }

    private sealed class Unit(RecordingOutbox owner, NpgsqlConnection connection, NpgsqlTransaction transaction) : IPaymentTransaction
    {
        private readonly List<PaymentRequestedV1> _pending = [];
        public NpgsqlConnection Connection => connection;
        public NpgsqlTransaction Transaction => transaction;

        public ValueTask RequestAsync(PaymentRequestedV1 request)
        {
            _pending.Add(request);
            return ValueTask.CompletedTask;
        }

        public async Task CommitAsync(CancellationToken ct)
        {
            await transaction.CommitAsync(ct);
            lock (owner._sent) owner._sent.AddRange(_pending);
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
