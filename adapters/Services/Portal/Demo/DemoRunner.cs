using OneClickSuite.Clients.Payroll;
using OneClickSuite.Contracts.Payroll;
using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Clients.Ihris;
using OneClickSuite.Clients.MobileMoney;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Contracts;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Demo;

/// <summary>
/// The end-to-end demo: a new community health worker registered in iHRIS reaches ODK and Fineract, opens a mobile
/// wallet on their phone to which the clerk moves their pay and the approver agrees, sends three activity reports that
/// are approved, is paid by a pay run that a clerk submits and an approver approves, and the provider's completion is
/// read back through its GSMA API. Every step talks to the systems through their public APIs only (the wallet is opened
/// on the provider emulator's sandbox page, as a real worker would at an agent), so the same run works against the
/// emulators (sandbox) and the real upstream systems (full mode on an evaluator's machine).
/// </summary>
public sealed class DemoRunner(
    IhrisClient ihris,
    OdkClient odk,
    FineractClient fineract,
    PayrollClient payroll,
    MobileMoneyClient provider,
    ProviderSandbox providerSandbox,
    IhrisAdapterApi ihrisAdapter,
    OdkAdapterApi odkAdapter,
    IOptions<DemoOptions> options,
    MinistryCalendar calendar,
    TimeProvider clock,
    ILogger<DemoRunner> logger)
{
    public const string TelemetryName = "OneClickSuite.Demo";

    /// <summary>The steps in order; <see cref="DemoStep.Number"/> is the position here plus one.</summary>
    public static readonly IReadOnlyList<string> StepTitles =
    [
        "Register a community health worker in iHRIS",
        "Wait until ODK and Fineract know them",
        "Move their pay to their phone's mobile wallet: the clerk asks, the approver agrees",
        "Submit and approve three activity reports in ODK",
        "Create a pay run that counts the reports",
        "Submit the pay run as the clerk",
        "Approve the pay run as the approver",
        "Find the payment completed in their mobile wallet",
        "Show their pay statement, in Payroll and in ODK Collect's list",
    ];

    /// <summary>What the worker reports in the three submissions: (households visited, referrals).</summary>
    private static readonly (int HouseholdsVisited, int Referrals)[] Reports = [(40, 2), (45, 3), (50, 1)];

    private static readonly ActivitySource Tracing = new(TelemetryName);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RunRetryInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RosterPollRepeat = TimeSpan.FromSeconds(5);

    /// <summary>Entities are found by creation time; this much allows for clocks that disagree between machines.</summary>
    private static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(10);

    private readonly DemoOptions _options = options.Value;

    public async Task<DemoResult> RunAsync(DemoActors actors, IProgress<DemoStep> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actors);
        ArgumentNullException.ThrowIfNull(progress);
        using var activity = Tracing.StartActivity("demo run");
        var today = calendar.Today(clock);
        var run = new Session(DemoWorker.New(today), actors, progress, clock);
        activity?.SetTag("demo.worker_id", run.Worker.Id);
        logger.LogInformation("Demo started: worker {WorkerId}, clerk {Clerk}, approver {Approver}", run.Worker.Id, actors.Clerk, actors.Approver);

        try
        {
            // A step that waits for the other systems has the wait's limit plus room for the calls around it.
            var waiting = _options.WaitTimeout + _options.CallTimeout;
            await StepAsync(run, 1, _options.CallTimeout, RegisterAsync, ct);
            await StepAsync(run, 2, waiting, WaitForWorkerAsync, ct);
            await StepAsync(run, 3, waiting, MoveToWalletAsync, ct);
            await StepAsync(run, 4, _options.CallTimeout, ReportActivityAsync, ct);
            await StepAsync(run, 5, waiting + _options.WaitTimeout, CreatePayRunAsync, ct);
            await StepAsync(run, 6, _options.CallTimeout, SubmitAsync, ct);
            await StepAsync(run, 7, _options.CallTimeout, ApproveAsync, ct);
            await StepAsync(run, 8, waiting + _options.CallTimeout, FindWalletPaymentAsync, ct);
            await StepAsync(run, 9, waiting + _options.CallTimeout, ShowStatementAsync, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var error = ex is DemoStepFailed or PayrollRefused or UpstreamException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            run.Report(run.CurrentStep, DemoStep.Failed, error);
            logger.LogWarning(ex, "Demo failed at step {Step} ({Title}): {Error}", run.CurrentStep, StepTitles[run.CurrentStep - 1], error);
            activity?.SetStatus(ActivityStatusCode.Error, error);
            await CancelUnapprovedRunAsync(run);
            return new DemoResult(false, run.Worker.Id, run.PayRun?.Id.ToString(), run.SavingsAccountId, run.Line?.Amount ?? 0, error);
        }
        catch (OperationCanceledException)
        {
            run.Report(run.CurrentStep, DemoStep.Failed, "Stopped");
            await CancelUnapprovedRunAsync(run);
            throw;
        }

        logger.LogInformation("Demo done in {Seconds:F1} s: {Amount} paid to {WorkerId} (wallet {Msisdn})",
            run.Elapsed.TotalSeconds, run.Line!.Amount, run.Worker.Id, run.Worker.Phone);
        return new DemoResult(true, run.Worker.Id, run.PayRun!.Id.ToString(), run.SavingsAccountId, run.Line.Amount, null);
    }

    private async Task StepAsync(Session run, int number, TimeSpan limit, Func<Session, CancellationToken, Task<string>> step, CancellationToken ct)
    {
        run.CurrentStep = number;
        run.Report(number, DemoStep.Running, null);
        using var activity = Tracing.StartActivity($"demo step {number}: {StepTitles[number - 1]}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        string detail;
        try
        {
            detail = await step(run, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new DemoStepFailed($"\"{StepTitles[number - 1]}\" did not finish within {limit.TotalSeconds:0} s");
        }
        run.Report(number, DemoStep.Done, detail);
        logger.LogInformation("Demo step {Step} done: {Detail}", number, detail);
    }

    // 1. iHRIS

    private async Task<string> RegisterAsync(Session run, CancellationToken ct)
    {
        var facility = await ihris.ReadAsync<Location>(_options.FacilityId, ct)
                       ?? throw new DemoStepFailed($"iHRIS has no facility {_options.FacilityId} (Bootstrap loads the demo facilities; see Demo:FacilityId)");
        run.FacilityName = facility.Name ?? facility.Id;
        run.RegisteredAt = clock.GetUtcNow();

        var response = await ihris.TransactionAsync(run.Worker.RegistrationBundle(_options.FacilityId), ct);
        var refused = response.Entry.Select(e => e.Response?.Status).FirstOrDefault(s => s is null || !(s.StartsWith("200") || s.StartsWith("201")));
        if (response.Entry.Count != 2 || refused is not null)
        {
            throw new DemoStepFailed($"iHRIS did not store the worker: transaction answered {refused ?? "no entries"}");
        }
        var worker = run.Worker;
        return $"Created Practitioner {worker.Id} ({worker.DisplayName}, employee number {worker.EmployeeNumber}, {worker.Phone}) " +
               $"as a community health worker at {run.FacilityName} from {worker.StartDate:d MMMM yyyy}";
    }

    // 2. ODK's entity list and Fineract

    private async Task<string> WaitForWorkerAsync(Session run, CancellationToken ct)
    {
        var worker = run.Worker;
        var project = await odk.FindProjectByNameAsync(_options.OdkProjectName, ct)
                      ?? throw new DemoStepFailed($"ODK Central has no project \"{_options.OdkProjectName}\" (Bootstrap creates it)");
        run.OdkProjectId = project.Id;

        var lastPoll = await AskRosterPollAsync(ct);
        await UntilAsync($"{worker.DisplayName} in ODK's {_options.EntityList} list and in Fineract", _options.WaitTimeout, PollInterval, async token =>
        {
            run.EntityUuid ??= await FindEntityAsync(run, token);
            if (run.SavingsAccountId is null && await fineract.GetClientByExternalIdAsync(worker.Id, token) is { } client)
            {
                run.FineractClientId = client.Id;
                var account = (await fineract.GetClientSavingsAccountsAsync(client.Id, token)).FirstOrDefault(a => a.Status?.Active == true);
                (run.SavingsAccountId, run.SavingsAccountNo) = (account?.Id, account?.AccountNo);
            }
            if (run.EntityUuid is not null && run.SavingsAccountId is not null)
            {
                return true;
            }
            if (clock.GetUtcNow() - lastPoll > RosterPollRepeat && run.EntityUuid is null && run.FineractClientId is null)
            {
                lastPoll = await AskRosterPollAsync(token);
            }
            var missing = new List<string>();
            if (run.EntityUuid is null) missing.Add($"no entity with worker_id {worker.Id} in ODK");
            if (run.FineractClientId is null) missing.Add($"no Fineract client with externalId {worker.Id}");
            else if (run.SavingsAccountId is null) missing.Add($"Fineract client {run.FineractClientId} has no active savings account");
            return string.Join("; ", missing);
        }, async token =>
        {
            var reasons = new List<string>();
            if (await ihrisAdapter.QuarantineReasonAsync(worker.Id, token) is { } quarantined) reasons.Add($"the iHRIS adapter quarantined the worker: {quarantined}");
            if (await odkAdapter.PendingEntityErrorAsync(worker.Id, token) is { } pending) reasons.Add($"the ODK adapter's entity write: {pending}");
            return reasons;
        }, ct);

        return $"{worker.DisplayName} is in ODK's {_options.EntityList} list (entity {run.EntityUuid}) and in Fineract " +
               $"(client {run.FineractClientId}, active savings account {run.SavingsAccountNo ?? run.SavingsAccountId.ToString()})";
    }

    /// <summary>The worker's entity uuid, from the entities created since the registration (Central cannot filter on properties).</summary>
    private async Task<string?> FindEntityAsync(Session run, CancellationToken ct)
    {
        var filter = OdkOData.CreatedSince(run.RegisteredAt - ClockSkewAllowance);
        string? skipToken = null;
        do
        {
            var page = await odk.GetEntitiesPageAsync(run.OdkProjectId, _options.EntityList, filter, skipToken, ct: ct);
            if (page.Entities.FirstOrDefault(e => (string?)e["worker_id"] == run.Worker.Id) is { } entity)
            {
                return (string?)entity["__id"];
            }
            skipToken = page.NextSkipToken;
        } while (skipToken is not null);
        return null;
    }

    /// <summary>Asks the iHRIS adapter to poll now; without that endpoint (or when it fails) its timer polls soon anyway.</summary>
    private async Task<DateTimeOffset> AskRosterPollAsync(CancellationToken ct)
    {
        try
        {
            if (!await ihrisAdapter.PollNowAsync(ct))
            {
                logger.LogInformation("The iHRIS adapter has no /roster/poll; waiting for its regular poll");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogInformation("Asking the iHRIS adapter to poll failed ({Error}); waiting for its regular poll", ex.Message);
        }
        return clock.GetUtcNow();
    }

    // 4. ODK submissions

    private async Task<string> ReportActivityAsync(Session run, CancellationToken ct)
    {
        var form = await odk.GetFormAsync(run.OdkProjectId, _options.ActivityFormId, ct);
        if (form?.PublishedAt is null)
        {
            throw new DemoStepFailed($"ODK has no published form {_options.ActivityFormId} (Bootstrap publishes it)");
        }
        foreach (var (households, referrals) in Reports)
        {
            var instanceId = "uuid:" + Guid.NewGuid();
            await odk.CreateSubmissionAsync(run.OdkProjectId, form.XmlFormId,
                ActivityReportXml(form, run.EntityUuid!, run.Month, households, referrals, instanceId), ct);
            await odk.SetReviewStateAsync(run.OdkProjectId, form.XmlFormId, instanceId, OdkReviewState.Approved, ct);
            run.InstanceIds.Add(instanceId);
        }
        return $"{Reports.Length} reports for {run.Month:MMMM yyyy} submitted and approved: households visited " +
               $"{string.Join(" + ", Reports.Select(r => r.HouseholdsVisited))}, referrals {string.Join(" + ", Reports.Select(r => r.Referrals))}";
    }

    /// <summary>
    /// A filled-in chw_activity form (adapters/Services/Bootstrap/Odk/chw_activity.xml): the worker picked by entity uuid, the
    /// first day of the month reported, the counts, and the instance id. Root element and version are the form's.
    /// </summary>
    private static string ActivityReportXml(OdkForm form, string entityUuid, DateOnly month, int householdsVisited, int referrals, string instanceId) =>
        new XElement("data",
            new XAttribute("id", form.XmlFormId),
            new XAttribute("version", form.Version ?? ""),
            new XElement("worker", entityUuid),
            new XElement("period", month.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            new XElement("households_visited", householdsVisited),
            new XElement("referrals", referrals),
            new XElement("meta", new XElement("instanceID", instanceId))).ToString(SaveOptions.DisableFormatting);

    // 5. The pay run

    /// <summary>
    /// Waits until Payroll knows the worker with an account and counts all three reports (its read API, no probe runs),
    /// then creates one draft run for the worker alone (population "worker"), so the demo pays nobody else. A draft that
    /// would pay the worker more than one line for the month is cancelled, never submitted.
    /// </summary>
    private async Task<string> CreatePayRunAsync(Session run, CancellationToken ct)
    {
        var worker = run.Worker;
        var clerk = run.Actors.Clerk;
        await AskActivityPollAsync(ct);

        await UntilAsync($"{worker.DisplayName} known to payroll with an account", _options.WaitTimeout, RunRetryInterval, async token =>
        {
            var known = await PayrollWorkerAsync(worker.Id, run.Month, clerk, token);
            return known switch
            {
                null => $"payroll has not received {worker.Id} yet",
                { SavingsAccountId: null } => $"payroll knows {worker.Id} but not their Fineract account yet",
                _ => true,
            };
        }, null, ct);

        await UntilAsync($"{worker.DisplayName}'s {Reports.Length} reports counted by payroll", _options.WaitTimeout, RunRetryInterval, async token =>
        {
            var known = await PayrollWorkerAsync(worker.Id, run.Month, clerk, token);
            var counted = known?.Activity.Count(a => a.Counted && run.InstanceIds.Contains(a.SubmissionId)) ?? 0;
            if (counted == run.InstanceIds.Count)
            {
                return true;
            }
            await AskActivityPollAsync(token);
            return $"payroll counts {counted} of {run.InstanceIds.Count} reports";
        }, async token => await odkAdapter.QuarantineReasonsAsync(run.InstanceIds, token), ct);

        await UntilAsync($"a pay run that counts {worker.DisplayName}'s {Reports.Length} reports", _options.WaitTimeout, RunRetryInterval, async token =>
        {
            var draft = await TryCreateDraftAsync(run.Month, worker.Id, clerk, token);
            if (draft is null)
            {
                return $"payroll has nothing to pay {worker.Id} for {run.Month:yyyy-MM} yet";
            }
            run.PayRun = draft;
            var lines = await WorkerLinesAsync(draft.Id, worker.Id, clerk, token);
            if (lines.Count == 0)
            {
                // A draft from an earlier try whose creation answer was lost would hold the worker's lines.
                (draft, lines) = await FindEarlierDraftAsync(run, draft, token);
                run.PayRun = draft;
            }
            if (lines.Count > 1)
            {
                (await payroll.CancelAsync(draft.Id, "Demo: the draft pays the worker more than once", AsClerk(clerk), token)).Required();
                run.PayRun = null;
                throw new DemoStepFailed($"Payroll would pay {worker.DisplayName} more than once for {run.Month:yyyy-MM} " +
                                         $"({string.Join(" + ", lines.Select(l => $"{l.Kind} {Money(l.Amount, l.Currency)}"))}); " +
                                         $"the draft was cancelled, not submitted");
            }
            var line = lines.SingleOrDefault();
            var counted = line?.Submissions.Count(run.InstanceIds.Contains) ?? 0;
            if (line is not null && counted == run.InstanceIds.Count)
            {
                run.Line = line;
                return true;
            }
            (await payroll.CancelAsync(draft.Id, "Demo: the activity reports are not counted yet", AsClerk(clerk), token)).Required();
            run.PayRun = null;
            return line is null
                ? $"payroll has no line for {worker.Id} in a run for {run.Month:yyyy-MM}"
                : $"payroll counts {counted} of {run.InstanceIds.Count} reports";
        }, async token => await odkAdapter.QuarantineReasonsAsync(run.InstanceIds, token), ct);

        var payRun = run.PayRun!;
        var others = payRun.LineCount - 1;
        return $"Pay run {payRun.Id} for {run.Month:MMMM yyyy} at {run.FacilityName}: {worker.DisplayName} gets " +
               $"{Money(run.Line!.Amount, run.Line.Currency)} ({run.Line.Explanation})" +
               (others > 0 ? $"; {others} other line(s) at the facility, total {Money(payRun.Total, payRun.Currency)}" : "");
    }

    /// <summary>The demo acts as its own clerk or approver, never as a person (Payroll records the demo's role).</summary>
    private static SuiteActor AsClerk(string user) => new(user, [SuiteIdentity.Clerk, SuiteIdentity.Demo]);

    private static SuiteActor AsApprover(string user) => new(user, [SuiteIdentity.Approver, SuiteIdentity.Demo]);

    /// <summary>What Payroll knows of the worker in <paramref name="month"/>; null while it has not received them (404).</summary>
    private async Task<PayrollWorkerView?> PayrollWorkerAsync(string workerId, DateOnly month, string clerk, CancellationToken ct)
    {
        var answer = await payroll.GetWorkerAsync(workerId, month, AsClerk(clerk), ct);
        return answer.Status == 404 ? null : answer.Required();
    }

    /// <summary>The worker's lines in a run, read page by page (the API has no worker filter).</summary>
    private async Task<IReadOnlyList<PayLineView>> WorkerLinesAsync(Guid runId, string workerId, string clerk, CancellationToken ct)
    {
        const int pageSize = 500;
        var found = new List<PayLineView>();
        for (var offset = 0; ; offset += pageSize)
        {
            var page = (await payroll.GetLinesAsync(runId, null, offset, pageSize, AsClerk(clerk), ct)).Required();
            found.AddRange(page.Where(l => l.WorkerId == workerId));
            if (page.Count < pageSize) return found;
        }
    }

    /// <summary>A draft facility run for <paramref name="month"/>; null when Payroll has nobody there to pay (422).</summary>
    private async Task<PayRunView?> TryCreateDraftAsync(DateOnly month, string workerId, string clerk, CancellationToken ct)
    {
        try
        {
            return (await payroll.CreateRunAsync(new NewPayRun(month.ToString("yyyy-MM", CultureInfo.InvariantCulture), PopulationKind.Worker, workerId),
                AsClerk(clerk), ct)).Required();
        }
        catch (PayrollRefused refused) when (refused.Status == 422)
        {
            return null;
        }
    }

    private async Task<(PayRunView Run, IReadOnlyList<PayLineView> Lines)> FindEarlierDraftAsync(Session run, PayRunView created, CancellationToken ct)
    {
        var clerk = run.Actors.Clerk;
        var drafts = (await payroll.ListRunsAsync(run.Month, AsClerk(clerk), ct)).Required()
            .Where(r => r.Id != created.Id && r.Status == RunStatus.Draft && r.CreatedBy == clerk && r.PopulationValue == run.Worker.Id);
        foreach (var draft in drafts)
        {
            var lines = await WorkerLinesAsync(draft.Id, run.Worker.Id, clerk, ct);
            if (lines.Count > 0)
            {
                (await payroll.CancelAsync(created.Id, "Demo: an earlier draft holds the worker", AsClerk(clerk), ct)).Required();
                return (draft, lines);
            }
        }
        return (created, []);
    }

    private async Task AskActivityPollAsync(CancellationToken ct)
    {
        try
        {
            if (!await odkAdapter.PollActivityNowAsync(ct))
            {
                logger.LogInformation("The ODK adapter has no /activity/poll; waiting for its regular poll");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogInformation("Asking the ODK adapter to poll failed ({Error}); waiting for its regular poll", ex.Message);
        }
    }

    // 5 and 6. Maker and checker

    private async Task<string> SubmitAsync(Session run, CancellationToken ct)
    {
        run.PayRun = (await payroll.SubmitAsync(run.PayRun!.Id, AsClerk(run.Actors.Clerk), ct)).Required();
        return $"{run.Actors.Clerk} (payroll clerk) submitted pay run {run.PayRun.Id} for approval";
    }

    /// <summary>
    /// The approver first reads the run's checks (what is odd about it), then approves. A blocking check (money may
    /// go to the wrong person) is never resolved by the demo: it stops and names it.
    /// </summary>
    private async Task<string> ApproveAsync(Session run, CancellationToken ct)
    {
        var checks = (await payroll.GetChecksAsync(run.PayRun!.Id, open: false, 0, 500, AsApprover(run.Actors.Approver), ct)).Required();
        var blocking = checks.Where(c => c.Blocking && c.ResolvedAt is null).ToList();
        if (blocking.Count > 0)
        {
            throw new DemoStepFailed($"the run has {blocking.Count} blocking check(s), which a person must resolve: " +
                                     string.Join("; ", blocking.Select(c => $"{c.Kind}: {c.Detail}")));
        }
        run.PayRun = (await payroll.ApproveAsync(run.PayRun.Id, AsApprover(run.Actors.Approver), ct)).Required();
        run.Approved = true;
        var seen = checks.Count == 0 ? "no checks raised" : "checks seen: " + string.Join("; ", checks.Select(c => $"{c.Kind} ({c.Detail})"));
        return $"{run.Actors.Approver} (approver) approved pay run {run.PayRun.Id} ({seen}); payments of " +
               $"{Money(run.PayRun.Total, run.PayRun.Currency)} to {run.PayRun.LineCount} worker(s) are on their way";
    }

    // 3. The wallet

    /// <summary>
    /// The worker opens a wallet on their phone at the provider (the emulator's sandbox page stands in for an agent),
    /// then the clerk asks Payroll to pay them there and the approver, another person, agrees after seeing the name the
    /// provider holds for the wallet.
    /// </summary>
    private async Task<string> MoveToWalletAsync(Session run, CancellationToken ct)
    {
        var worker = run.Worker;
        await providerSandbox.OpenWalletAsync(worker.Phone, worker.GivenName, worker.FamilyName, ct);
        await UntilAsync($"{worker.DisplayName} known to payroll", _options.WaitTimeout, RunRetryInterval, async token =>
            await PayrollWorkerAsync(worker.Id, run.Month, run.Actors.Clerk, token) is not null ? true : $"payroll has not received {worker.Id} yet",
            null, ct);
        var change = (await payroll.RequestPayoutChangeAsync(worker.Id, new PayoutChangeRequest(PayoutRails.MobileMoney, null,
            "Demo: paid into the wallet on their phone"), AsClerk(run.Actors.Clerk), ct)).Required();
        if (change.HolderNameMatches != true)
            throw new DemoStepFailed($"the provider names the holder of wallet {change.Msisdn} \"{change.HolderName}\", not {worker.DisplayName}");
        var decided = (await payroll.DecidePayoutChangeAsync(change.Id, approve: true, "Demo: the name on the wallet is the worker's",
            AsApprover(run.Actors.Approver), ct)).Required();
        return $"{worker.DisplayName} opened wallet {change.Msisdn} with the mobile money provider; {run.Actors.Clerk} (clerk) asked to pay them " +
               $"there, and {decided.DecidedBy} (approver) agreed, seeing the provider names its holder \"{change.HolderName}\"";
    }

    // 8. The money in the wallet

    private async Task<string> FindWalletPaymentAsync(Session run, CancellationToken ct)
    {
        var runId = run.PayRun!.Id;
        var clerk = run.Actors.Clerk;
        await UntilAsync($"{run.Worker.DisplayName}'s payment settled", _options.WaitTimeout, PollInterval, async token =>
        {
            var line = (await WorkerLinesAsync(runId, run.Worker.Id, clerk, token)).FirstOrDefault()
                       ?? throw new DemoStepFailed($"pay run {runId} no longer has a line for {run.Worker.Id}");
            run.Line = line;
            if (line.Status == "failed")
            {
                throw new DemoStepFailed($"the payment to {run.Worker.DisplayName} failed: {line.FailureReason}");
            }
            return line.Status == LineStatus.Paid ? true : $"line {line.Id} is {line.Status}";
        }, null, ct);

        // The provider's own record of it (GSMA GET /transactions/{transactionReference}), not Payroll's word.
        var paid = run.Line!;
        if (paid.Rail != PayoutRails.MobileMoney || paid.ProviderReference is not { } reference)
            throw new DemoStepFailed($"the payment went to {paid.Rail ?? "an unknown rail"}, not to {run.Worker.DisplayName}'s wallet");
        var transaction = await provider.GetTransactionAsync(reference, ct);
        var wallet = transaction.CreditParty.FirstOrDefault(p => p.Key == "msisdn")?.Value;
        if (transaction.TransactionStatus != "completed" || wallet != run.Worker.Phone ||
            decimal.Parse(transaction.Amount, CultureInfo.InvariantCulture) != paid.Amount)
            throw new DemoStepFailed($"the provider has transaction {reference} as {transaction.TransactionStatus}, {transaction.Amount} " +
                                     $"{transaction.Currency} to {wallet}, not {Money(paid.Amount, paid.Currency)} to {run.Worker.Phone}");
        return $"{Money(paid.Amount, paid.Currency)} completed by the mobile money provider into {run.Worker.DisplayName}'s wallet {wallet} " +
               $"(provider transaction {reference}, payment reference {paid.PaymentReference}, requested as " +
               $"{transaction.RequestingOrganisationTransactionReference})";
    }

    // 9. The statement the worker sees

    /// <summary>
    /// The worker's statement for the paid line, as Payroll issued it, and the same statement in ODK's statement list,
    /// which ODK Collect shows the worker (and from which they can query it).
    /// </summary>
    private async Task<string> ShowStatementAsync(Session run, CancellationToken ct)
    {
        var lineId = run.Line!.Id;
        PayStatementView? statement = null;
        await UntilAsync($"{run.Worker.DisplayName}'s pay statement in Payroll", _options.WaitTimeout, PollInterval, async token =>
        {
            statement = (await payroll.ListStatementsAsync(run.Worker.Id, AsClerk(run.Actors.Clerk), token)).Required().FirstOrDefault(s => s.Id == lineId);
            return statement is not null ? true : $"payroll has no statement for line {lineId} yet";
        }, null, ct);

        OdkEntity? entity = null;
        await UntilAsync($"the statement in ODK's {_options.StatementList} list", _options.WaitTimeout, PollInterval, async token =>
        {
            var uuid = StatementEntityIds.For(lineId).ToString();
            entity = await odk.GetEntityAsync(run.OdkProjectId, _options.StatementList, uuid, token);
            return entity is not null ? true : $"no entity {uuid} (statement {lineId}) in {_options.StatementList} yet";
        }, null, ct);

        var paid = statement!;
        return $"Statement {paid.Id} for {paid.Period}: {Money(paid.Amount, paid.Currency)} paid on {paid.PaidAt:d MMMM yyyy} to {paid.PaidTo}. " +
               $"What counted: {paid.Counted}. Deductions: {paid.Deductions}. In ODK Collect ({_options.StatementList}): " +
               $"\"{entity!.CurrentVersion?.Label}\"";
    }

    // Plumbing

    /// <summary>
    /// Calls <paramref name="attempt"/> until it answers true. Anything else it answers, or any error it raises, is what
    /// is still missing; at the limit the step fails naming it, with what <paramref name="diagnose"/> finds.
    /// </summary>
    private async Task UntilAsync(string goal, TimeSpan limit, TimeSpan interval,
        Func<CancellationToken, Task<Attempt>> attempt, Func<CancellationToken, Task<IReadOnlyList<string>>>? diagnose, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow() + limit;
        string? previous = null;
        while (true)
        {
            string missing;
            try
            {
                var outcome = await attempt(ct);
                if (outcome.Reached)
                {
                    return;
                }
                missing = outcome.Missing;
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or DemoStepFailed))
            {
                missing = ex.Message;
            }

            if (missing != previous)
            {
                logger.LogInformation("Demo waiting for {Goal}: {Missing}", goal, missing);
                previous = missing;
            }
            if (clock.GetUtcNow() >= deadline)
            {
                var found = new List<string>();
                if (diagnose is not null)
                {
                    try
                    {
                        found.AddRange(await diagnose(ct));
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        logger.LogInformation("Demo diagnosis failed: {Error}", ex.Message);
                    }
                }
                throw new DemoStepFailed($"Not reached within {limit.TotalSeconds:0} s: {goal} ({missing})" +
                                         (found.Count > 0 ? ". " + string.Join("; ", found) : ""));
            }
            await Task.Delay(interval, clock, ct);
        }
    }

    /// <summary>Either reached (true) or what is still missing (a sentence).</summary>
    private readonly record struct Attempt(bool Reached, string Missing)
    {
        public static implicit operator Attempt(bool reached) => new(reached, "");
        public static implicit operator Attempt(string missing) => new(false, missing);
    }

    /// <summary>Cancels a run the demo created but nobody approved, so it does not hold the facility's lines.</summary>
    private async Task CancelUnapprovedRunAsync(Session run)
    {
        if (run.PayRun is not { } payRun || run.Approved)
        {
            return;
        }
        try
        {
            (await payroll.CancelAsync(payRun.Id, "The demo stopped before approval", AsClerk(run.Actors.Clerk), CancellationToken.None)).Required();
        }
        catch (Exception ex)
        {
            logger.LogWarning("Could not cancel the demo's pay run {RunId}: {Error}", payRun.Id, ex.Message);
        }
    }

    private static string Money(decimal amount, string currency) => amount.ToString("0.00", CultureInfo.InvariantCulture) + " " + currency;

    /// <summary>What one demo run has found so far.</summary>
    private sealed class Session(DemoWorker worker, DemoActors actors, IProgress<DemoStep> progress, TimeProvider clock)
    {
        private readonly long _started = clock.GetTimestamp();

        public DemoWorker Worker { get; } = worker;
        public DemoActors Actors { get; } = actors;
        public DateOnly Month { get; } = worker.StartDate;
        public int CurrentStep { get; set; } = 1;
        public string? FacilityName { get; set; }
        public DateTimeOffset RegisteredAt { get; set; }
        public long OdkProjectId { get; set; }
        public string? EntityUuid { get; set; }
        public long? FineractClientId { get; set; }
        public long? SavingsAccountId { get; set; }
        public string? SavingsAccountNo { get; set; }
        public List<string> InstanceIds { get; } = [];
        public PayRunView? PayRun { get; set; }
        public PayLineView? Line { get; set; }
        public bool Approved { get; set; }

        public TimeSpan Elapsed => clock.GetElapsedTime(_started);

        public void Report(int number, string status, string? detail) =>
            progress.Report(new DemoStep(number, StepTitles[number - 1], status, detail, Elapsed));
    }
}
