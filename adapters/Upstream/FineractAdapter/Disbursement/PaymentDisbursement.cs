using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.FineractAdapter.Disbursement;

public sealed class DisbursementOptions
{
    public const string SectionName = "Disbursement";

    /// <summary>External id of the Fineract client whose savings account pays the workers (seeded by Bootstrap).</summary>
    public string FundingClientExternalId { get; set; } = "funding-programme";

    /// <summary>Office of the workers' clients (enrolment creates them in the head office).</summary>
    public long WorkerOfficeId { get; set; } = 1;

    /// <summary>Payments in flight at once per replica, so that Fineract is not overwhelmed.</summary>
    public int MaxConcurrentPayments { get; set; } = 8;
}

/// <summary>
/// Pays one approved pay line: an account transfer from the funding account to the worker's savings account.
/// The Idempotency-Key and the start of the transfer description are the payment reference
/// (<see cref="PaymentReference"/>), so a redelivered request, a retry after a timeout or a 425 can never pay twice,
/// and a person finds the payment in Fineract by that reference. Account transfers cannot go through Fineract's
/// batch API (it answers 501 for them), so each payment is one call.
/// </summary>
public sealed class PaymentDisbursement(
    FineractClient fineract,
    FundingAccount funding,
    SuiteDatabase database,
    IOptions<DisbursementOptions> options,
    IOptions<FineractOptions> fineractOptions,
    TimeProvider clock,
    ILogger<PaymentDisbursement> logger)
{
    public const string TelemetryName = "OneClickSuite.Disbursement";
    private static readonly ActivitySource Tracing = new(TelemetryName);
    private static readonly Meter Meter = new(TelemetryName);
    private static readonly Counter<long> Paid = Meter.CreateCounter<long>("payments.paid", description: "Payments Fineract accepted");
    private static readonly Counter<long> Refused = Meter.CreateCounter<long>("payments.failed", description: "Payments Fineract refused for good");
    private static readonly Counter<long> Replayed = Meter.CreateCounter<long>("payments.replayed", description: "Payments answered from Fineract's idempotency store");

    /// <summary>
    /// The outcome to report. Transient failures (5xx, timeouts, 425 still processing) are thrown, so the message is
    /// retried later with the same Idempotency-Key; a permanent refusal (4xx) is a <see cref="PaymentFailedV1"/>.
    /// </summary>
    public async Task<object> PayAsync(PaymentRequestedV1 request, CancellationToken ct)
    {
        using var activity = Tracing.StartActivity("fineract pay");
        activity?.SetTag("payment.id", request.PaymentId);
        activity?.SetTag("worker.id", request.WorkerId);

        var enrolled = await EnrolledAccountAsync(request.WorkerId, ct);
        var target = request is { ToClientId: { } clientId, ToSavingsAccountId: { } savingsId } ? (clientId, savingsId) : enrolled;
        if (target is null)
        {
            Refused.Add(1);
            return new PaymentFailedV1(request.PaymentId, $"worker {request.WorkerId} has no Fineract savings account (not enrolled yet)",
                null, null, clock.GetUtcNow());
        }
        // Money goes only to the worker the payment names: the account this adapter enrolled for them, or one Fineract
        // says belongs to their client (external id = worker id). A message that names another account is refused.
        if (target != enrolled && await NotTheWorkersAsync(request.WorkerId, target.Value, ct) is { } wrongAccount)
        {
            Refused.Add(1);
            activity?.SetStatus(ActivityStatusCode.Error, wrongAccount);
            logger.LogError("Payment {Reference} refused: {Reason}", request.Reference, wrongAccount);
            return new PaymentFailedV1(request.PaymentId, wrongAccount, null, "destination.not.the.workers", clock.GetUtcNow());
        }
        var source = await funding.GetAsync(ct);
        var description = $"{request.Reference} payroll {request.Period:yyyy-MM} {request.EmployeeNumber}".Trim();
        try
        {
            var result = await fineract.TransferAsync(new FineractTransfer(
                source.OfficeId, source.ClientId, source.SavingsAccountId,
                options.Value.WorkerOfficeId, target.Value.ClientId, target.Value.SavingsAccountId,
                request.Amount, request.PayDate, description, request.Reference), ct);
            (result.ServedFromCache ? Replayed : Paid).Add(1);
            return new PaymentSettledV1(request.PaymentId, request.Reference, result.ResourceId, clock.GetUtcNow());
        }
        catch (FineractException ex) when (!ex.IsTransient)
        {
            Refused.Add(1);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            logger.LogWarning("Payment {Reference} to {Worker} refused by Fineract: {Message}", request.Reference, request.WorkerId, ex.Message);
            return new PaymentFailedV1(request.PaymentId, ex.Message, ex.StatusCode, ex.GlobalisationCode ?? ex.Errors.FirstOrDefault()?.Code,
                clock.GetUtcNow());
        }
    }

    /// <summary>The account this adapter created for the worker when it enrolled them (from Fineract's own answers).</summary>
    private async Task<(long ClientId, long SavingsAccountId)?> EnrolledAccountAsync(string workerId, CancellationToken ct)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            $"SELECT client_id, savings_account_id FROM \"{database.Schema}\".worker_accounts WHERE worker_id = $1", connection)
        {
            Parameters = { new() { Value = workerId } },
        };
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (await reader.ReadAsync(ct) && !reader.IsDBNull(0) && !reader.IsDBNull(1)) return (reader.GetInt64(0), reader.GetInt64(1));
        return null;
    }

    // An account's client and a client's external id do not change in Fineract: a destination found to be the worker's
    // stays so (per Fineract server: tests run several side by side in one process).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string, long, long), bool> Verified = new();

    /// <summary>Why the account is not the worker's, as Fineract records it; null when it is theirs.</summary>
    private async Task<string?> NotTheWorkersAsync(string workerId, (long ClientId, long SavingsAccountId) target, CancellationToken ct)
    {
        var key = (fineractOptions.Value.BaseUrl, workerId, target.ClientId, target.SavingsAccountId);
        if (Verified.ContainsKey(key)) return null;
        var problem = await AskFineractAsync(workerId, target, ct);
        if (problem is null) Verified[key] = true;
        return problem;
    }

    private async Task<string?> AskFineractAsync(string workerId, (long ClientId, long SavingsAccountId) target, CancellationToken ct)
    {
        FineractSavingsAccount account;
        try
        {
            account = await fineract.GetSavingsAccountAsync(target.SavingsAccountId, ct: ct);
        }
        catch (FineractException ex) when (ex.StatusCode == 404)
        {
            return $"worker {workerId}: savings account {target.SavingsAccountId} does not exist in Fineract";
        }
        if (account.ClientId != target.ClientId)
            return $"worker {workerId}: savings account {target.SavingsAccountId} belongs to client {account.ClientId}, not to client {target.ClientId}";
        var client = await fineract.GetClientAsync(account.ClientId, ct);
        return client.ExternalId == workerId
            ? null
            : $"worker {workerId}: savings account {target.SavingsAccountId} belongs to client {client.Id} (external id {client.ExternalId ?? "none"}), not to this worker";
    }
}

public sealed record FundingSource(long OfficeId, long ClientId, long SavingsAccountId);

/// <summary>The programme's funding account, looked up once by the funding client's external id.</summary>
public sealed class FundingAccount(IServiceScopeFactory scopes, IOptions<DisbursementOptions> options)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private FundingSource? _source;

    public async Task<FundingSource> GetAsync(CancellationToken ct)
    {
        if (_source is { } known) return known;
        await _gate.WaitAsync(ct);
        try
        {
            if (_source is { } again) return again;
            using var scope = scopes.CreateScope();
            var fineract = scope.ServiceProvider.GetRequiredService<FineractClient>();
            var externalId = options.Value.FundingClientExternalId;
            var client = await fineract.GetClientByExternalIdAsync(externalId, ct)
                         ?? throw new InvalidOperationException($"Fineract has no funding client with external id {externalId}");
            var account = (await fineract.GetClientSavingsAccountsAsync(client.Id, ct)).FirstOrDefault(a => a.Status?.Active == true)
                          ?? throw new InvalidOperationException($"the funding client {externalId} has no active savings account");
            return _source = new FundingSource(client.OfficeId, client.Id, account.Id);
        }
        finally
        {
            _gate.Release();
        }
    }
}
