using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRules;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Payroll.Payouts;
using OneClickSuite.Payroll.Reconciliation;
using OneClickSuite.Payroll.Statements;
using OneClickSuite.Payroll.Workforce;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// Payroll's domain on a fresh PostgreSQL database, on a clock the test sets (by default 10 October 2026, so September
/// is the previous month); messages are recorded instead of sent.
/// </summary>
public sealed class PayrollWorld : IAsyncDisposable
{
    public static readonly Actor Maker = new("alice", new HashSet<string> { Actor.MakerRole });
    public static readonly Actor Checker = new("bob", new HashSet<string> { Actor.CheckerRole });
    public const string ChwJob = "3229-3A";
    public const string NurseJob = "2230-1B";

    private PayrollWorld(NpgsqlDataSource db, PayRuleSet rules, MinistryCalendar calendar, PayrollOptions? options, IWalletDirectory? wallets)
    {
        Db = db;
        Rules = rules;
        Calendar = calendar;
        Outbox = new RecordingOutbox(db);
        var monitor = new FixedOptions<PayRuleSet>(rules);
        var payroll = Options.Create(options ?? new PayrollOptions());
        Holds = new PayHolds(db, monitor, calendar, Clock);
        Leavers = new Leavers(Outbox, calendar, Clock, NullLogger<Leavers>.Instance);
        Workforce = new Workforce.Workforce(db, monitor, calendar, Holds, Leavers);
        Checks = new RunChecks(payroll, Clock);
        Queries = new PayRunQueries(db);
        Drafting = new PayRunDrafting(db, monitor, Checks, Queries, calendar, Clock, NullLogger<PayRunDrafting>.Instance);
        Lifecycle = new PayRunLifecycle(db, monitor, Outbox, Checks, Queries, calendar, Clock, NullLogger<PayRunLifecycle>.Instance);
        Statements = new PayStatements(db, calendar);
        Outcomes = new PaymentOutcomes(Outbox, Statements, Leavers, NullLogger<PaymentOutcomes>.Instance);
        Disputes = new Disputes(db, Outbox, Statements, Clock, NullLogger<Disputes>.Instance);
        PayRuns = new PayRunFacade(this);
        Payouts = new PayoutDestinations(db, wallets ?? new NoWalletDirectory(), Clock, NullLogger<PayoutDestinations>.Instance);
    }

    /// <summary>Where each worker is paid (wallet holders asked of the directory given to <see cref="CreateAsync"/>).</summary>
    public PayoutDestinations Payouts { get; }

    public NpgsqlDataSource Db { get; }
    public PayRuleSet Rules { get; }
    public MinistryCalendar Calendar { get; }
    public TestClock Clock { get; } = new(new DateTimeOffset(2026, 10, 10, 9, 0, 0, TimeSpan.Zero));
    public RecordingOutbox Outbox { get; }
    public PayHolds Holds { get; }
    public Leavers Leavers { get; }
    public Workforce.Workforce Workforce { get; }
    public RunChecks Checks { get; }
    public PayRunQueries Queries { get; }
    public PayRunDrafting Drafting { get; }
    public PayRunLifecycle Lifecycle { get; }
    public PayStatements Statements { get; }
    public PaymentOutcomes Outcomes { get; }
    public Disputes Disputes { get; }

    /// <summary>The four parts of a pay run's life behind one name, as the tests read best.</summary>
    public PayRunFacade PayRuns { get; }

    public static async Task<PayrollWorld> CreateAsync(PayRuleSet? rules = null, MinistryCalendar? calendar = null, PayrollOptions? options = null,
        IWalletDirectory? wallets = null)
    {
        var pg = await PostgresServer.StartSharedAsync();
        var db = NpgsqlDataSource.Create(await pg.CreateDatabaseAsync("payroll"));
        await PayrollDatabase.MigrateAsync(db, CancellationToken.None);
        return new PayrollWorld(db, rules ?? StandardRules(), calendar ?? MinistryCalendar.Utc, options, wallets);
    }

    public static PayRuleSet StandardRules(string version = "test-1") => new()
    {
        Version = version,
        Currency = "USD",
        SalaryCurrency = "USD",
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

    /// <summary>A nurse with one role and one monthly salary record, both from <paramref name="start"/>.</summary>
    public static WorkerSnapshot Nurse(string id, decimal monthly, string facility = "facility-1", string start = "2020-01-01") => new()
    {
        WorkerId = id, EmployeeNumber = "EMP-" + id, GivenName = "Sarah", FamilyName = id,
        Facility = new FacilityRef(facility, "Facility " + facility), Job = new JobRef(NurseJob, "Nurse", "Nurse"), Active = true,
        Roles = [Role(id, start)],
        Salaries = [Salary($"Basic/{id}-salary", monthly.ToString("0.00", CultureInfo.InvariantCulture), "monthly", start)],
    };

    public static WorkerSnapshot Chw(string id, string facility = "facility-1", string start = "2020-01-01") => new()
    {
        WorkerId = id, EmployeeNumber = "EMP-" + id, GivenName = "Amina", FamilyName = id,
        Facility = new FacilityRef(facility, "Facility " + facility), Job = new JobRef(ChwJob, "Environmental Health Worker", "Community health worker"),
        Active = true, Roles = [Role(id, start, job: ChwJob)],
    };

    public static RoleRecord Role(string workerId, string start, string? end = null, string job = NurseJob, string suffix = "role") =>
        new($"PractitionerRole/{workerId}-{suffix}", job, "facility-1", start, end, true);

    public static SalaryRecord Salary(string reference, string? basic, string? frequency, string start, string? end = null, string? allowance = null,
        string? benefits = null, bool? current = true) =>
        new(reference, basic, allowance, benefits, frequency, frequency is null ? null : PayFrequency.System, start, end, current);

    /// <summary>Stores a worker as a roster event would; <paramref name="from"/>/<paramref name="until"/> move their role's dates.</summary>
    public Task AddAsync(WorkerSnapshot worker, DateOnly? from = null, DateOnly? until = null)
    {
        if (from is not null || until is not null)
        {
            worker = worker with
            {
                Roles = worker.Roles.Select(r => r with
                {
                    Start = from?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? r.Start,
                    End = until?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? r.End,
                }).ToList(),
                Salaries = worker.Salaries.Select(s => s with { Start = from?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? s.Start }).ToList(),
            };
        }
        return Workforce.ApplyWorkerAsync(worker, 1, from, until, CancellationToken.None);
    }

    public Task ReportAsync(string submissionId, string workerId, DateOnly period, int households, int referrals, long version = 1) =>
        Workforce.ApplyActivityAsync(new ActivityCountedV1(submissionId, workerId, period,
            new Dictionary<string, int> { ["households_visited"] = households, ["referrals"] = referrals }, "approved", version,
            DateTimeOffset.UtcNow), CancellationToken.None);

    public Task LinkAccountAsync(string workerId, long savingsAccountId, long revision = 1) =>
        Workforce.ApplyAccountLinkAsync(new WorkerAccountLinkedV1(workerId, "EMP-" + workerId, savingsAccountId, savingsAccountId, false, revision,
            DateTimeOffset.UtcNow), CancellationToken.None);

    /// <summary>Create, submit (maker) and approve (checker) a run; <paramref name="reason"/> for a month other than this one or the last.</summary>
    public async Task<PayRunView> ApprovedRunAsync(string period, string population = "everyone", string? value = null, string? reason = null)
    {
        var run = await Drafting.CreateAsync(new NewPayRun(period, population, value, reason), Maker, CancellationToken.None);
        await Lifecycle.SubmitAsync(run.Id, Maker, CancellationToken.None);
        return await Lifecycle.ApproveAsync(run.Id, Checker, CancellationToken.None);
    }

    /// <summary>Plays the Fineract adapter: every requested payment of the run is settled.</summary>
    public async Task SettleAllAsync(Guid runId)
    {
        foreach (var request in Outbox.Sent.Where(r => r.PayRunId == runId).ToList())
        {
            await Outcomes.RecordSettledAsync(new PaymentSettledV1(request.PaymentId, request.Reference, 1, Clock.GetUtcNow()), CancellationToken.None);
        }
    }

    public async Task<List<PayLineView>> LinesAsync(Guid runId) =>
        (await Queries.GetLinesAsync(runId, null, 0, 10_000, CancellationToken.None)).ToList();

    public async ValueTask DisposeAsync() => await Db.DisposeAsync();
}

/// <summary>The pay run services as one, for tests written against a single pay run API.</summary>
public sealed class PayRunFacade(PayrollWorld world)
{
    public Task<PayRunView> CreateAsync(NewPayRun request, Actor actor, CancellationToken ct) => world.Drafting.CreateAsync(request, actor, ct);
    public Task<PayRunView> SubmitAsync(Guid runId, Actor actor, CancellationToken ct) => world.Lifecycle.SubmitAsync(runId, actor, ct);
    public Task<PayRunView> ApproveAsync(Guid runId, Actor actor, CancellationToken ct) => world.Lifecycle.ApproveAsync(runId, actor, ct);
    public Task<PayRunView> CancelAsync(Guid runId, Actor actor, string? reason, CancellationToken ct) => world.Lifecycle.CancelAsync(runId, actor, reason, ct);
    public Task<PayLineView> RetryLineAsync(Guid runId, Guid lineId, Actor actor, CancellationToken ct) => world.Lifecycle.RetryLineAsync(runId, lineId, actor, ct);
    public Task<PayLineView> WriteOffLineAsync(Guid runId, Guid lineId, Actor actor, string? reason, CancellationToken ct) =>
        world.Lifecycle.WriteOffLineAsync(runId, lineId, actor, reason, ct);
    public Task<PayRunView> GetAsync(Guid runId, CancellationToken ct) => world.Queries.GetAsync(runId, ct);
    public Task<PayLineView> GetLineAsync(Guid runId, Guid lineId, CancellationToken ct) => world.Queries.GetLineAsync(runId, lineId, ct);
    public Task<IReadOnlyList<PayLineView>> GetLinesAsync(Guid runId, string? status, int offset, int limit, CancellationToken ct) =>
        world.Queries.GetLinesAsync(runId, status, offset, limit, ct);
    public IAsyncEnumerable<PayLineView> StreamLinesAsync(Guid runId, CancellationToken ct) => world.Queries.StreamLinesAsync(runId, ct);
    public Task RecordSettledAsync(PaymentSettledV1 settled, CancellationToken ct) => world.Outcomes.RecordSettledAsync(settled, ct);
    public Task RecordFailedAsync(PaymentFailedV1 failed, CancellationToken ct) => world.Outcomes.RecordFailedAsync(failed, ct);
}

/// <summary>A clock the test moves.</summary>
public sealed class TestClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}

public sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;
    public T Get(string? name) => value;
    public IDisposable? OnChange(Action<T, string?> listener) => null;
}

/// <summary>An outbox that keeps what committed transactions sent.</summary>
public sealed class RecordingOutbox(NpgsqlDataSource db) : IPayrollOutbox
{
    private readonly List<PaymentRequestedV1> _sent = [];
    private readonly List<WalletPaymentRequestedV1> _wallet = [];
    private readonly List<PayStatementV1> _statements = [];
    private readonly List<WorkerPayClosedV1> _closed = [];

    public IReadOnlyList<PaymentRequestedV1> Sent { get { lock (_sent) return _sent.ToList(); } }
    public IReadOnlyList<WalletPaymentRequestedV1> SentToWallets { get { lock (_sent) return _wallet.ToList(); } }
    public IReadOnlyList<PayStatementV1> Statements { get { lock (_sent) return _statements.ToList(); } }
    public IReadOnlyList<WorkerPayClosedV1> Closed { get { lock (_sent) return _closed.ToList(); } }

    public async Task<IPayrollTransaction> BeginAsync(CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        return new Unit(this, connection, await connection.BeginTransactionAsync(ct));
    }

    private sealed class Unit(RecordingOutbox owner, NpgsqlConnection connection, NpgsqlTransaction transaction) : IPayrollTransaction
    {
        private readonly List<object> _pending = [];
        public NpgsqlConnection Connection => connection;
        public NpgsqlTransaction Transaction => transaction;

        public ValueTask RequestAsync(IPaymentRequest request) => Add(request);
        public ValueTask PublishAsync(PayStatementV1 statement) => Add(statement);
        public ValueTask PublishAsync(WorkerPayClosedV1 closed) => Add(closed);

        private ValueTask Add(object message)
        {
            _pending.Add(message);
            return ValueTask.CompletedTask;
        }

        public async Task CommitAsync(CancellationToken ct)
        {
            await transaction.CommitAsync(ct);
            lock (owner._sent)
            {
                owner._sent.AddRange(_pending.OfType<PaymentRequestedV1>());
                owner._wallet.AddRange(_pending.OfType<WalletPaymentRequestedV1>());
                owner._statements.AddRange(_pending.OfType<PayStatementV1>());
                owner._closed.AddRange(_pending.OfType<WorkerPayClosedV1>());
            }
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
