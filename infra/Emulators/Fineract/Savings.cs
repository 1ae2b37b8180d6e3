using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;

namespace OneClickSuite.Emulators.Fineract;

public sealed record SavingsProduct(long Id, string Name, string ShortName, string CurrencyCode, int Digits, int? InMultiplesOf,
    decimal NominalRate, int Compounding, int Posting, int Calculation, int DaysInYear, int AccountingRule);

/// <summary>Savings products, accounts and their deposits and withdrawals (SavingsAccount*, SavingsProduct*).</summary>
public static class Savings
{
    public const int Submitted = 100, Approved = 200, Active = 300;
    public const int Deposit = 1, Withdrawal = 2;
    private const int SubStatusNone = 0, SubStatusBlock = 400, SubStatusBlockCredit = 500, SubStatusBlockDebit = 600;

    private static readonly HashSet<string> ProductParameters =
    [
        "locale", "name", "shortName", "description", "currencyCode", "digitsAfterDecimal", "inMultiplesOf",
        "nominalAnnualInterestRate", "interestCompoundingPeriodType", "interestPostingPeriodType", "interestCalculationType",
        "interestCalculationDaysInYearType", "minRequiredOpeningBalance", "lockinPeriodFrequency", "lockinPeriodFrequencyType",
        "withdrawalFeeForTransfers", "accountingRule", "charges", "allowOverdraft", "overdraftLimit", "enforceMinRequiredBalance",
        "minRequiredBalance", "withHoldTax", "taxGroupId", "isDormancyTrackingActive", "daysToInactive", "daysToDormancy",
        "daysToEscheat", "nominalAnnualInterestRateOverdraft", "minOverdraftForInterestCalculation",
        "minBalanceForInterestCalculation", "lienAllowed", "maxAllowedLienLimit", "paymentChannelToFundSourceMappings",
        "feeToIncomeAccountMappings", "penaltyToIncomeAccountMappings",
    ];

    private static readonly HashSet<string> ApplyParameters =
    [
        "locale", "dateFormat", "clientId", "groupId", "productId", "fieldOfficerId", "submittedOnDate", "externalId",
        "nominalAnnualInterestRate", "interestCompoundingPeriodType", "interestPostingPeriodType", "interestCalculationType",
        "interestCalculationDaysInYearType", "minRequiredOpeningBalance", "lockinPeriodFrequency", "lockinPeriodFrequencyType",
        "withdrawalFeeForTransfers", "charges", "allowOverdraft", "overdraftLimit", "enforceMinRequiredBalance",
        "minRequiredBalance", "withHoldTax", "accountNo", "datatables", "isDormancyTrackingActive", "lienAllowed",
    ];

    private static readonly HashSet<string> ApproveParameters = ["locale", "dateFormat", "approvedOnDate", "note"];
    private static readonly HashSet<string> ActivateParameters = ["locale", "dateFormat", "activatedOnDate"];
    private static readonly HashSet<string> NoParameters = [];
    // Block commands carry the reason shown on the account (SavingsApiConstants.reasonForBlockParamName).
    private static readonly HashSet<string> BlockParameters = ["reasonForBlock"];

    /// <summary>SavingsAccountConstant: what a deposit or withdrawal may carry.</summary>
    private static readonly HashSet<string> TransactionParameters =
    [
        "locale", "dateFormat", "transactionDate", "transactionAmount", "paymentTypeId", "accountNumber", "checkNumber",
        "routingCode", "receiptNumber", "bankNumber", "retailEntries", "childAccountId", "note",
    ];

    private static readonly string[] PaymentDetailFields = ["accountNumber", "checkNumber", "routingCode", "receiptNumber", "bankNumber"];

    public static IEnumerable<Route> Routes() =>
    [
        new("POST", "savingsproducts", CreateProductAsync, "CREATE", "SAVINGSPRODUCT"),
        new("GET", "savingsproducts", ListProductsAsync),
        new("GET", "savingsproducts/{id}", GetProductAsync),
        new("POST", "savingsaccounts", ApplyAsync, "CREATE", "SAVINGSACCOUNT", InBatch: true),
        new("GET", "savingsaccounts", ListAccountsAsync),
        new("GET", "savingsaccounts/{id}", GetAccountAsync, InBatch: true),
        new("POST", "savingsaccounts/{id}", ApproveAsync, "APPROVE", "SAVINGSACCOUNT", Command: "approve"),
        new("POST", "savingsaccounts/{id}", ActivateAsync, "ACTIVATE", "SAVINGSACCOUNT", Command: "activate"),
        new("POST", "savingsaccounts/{id}", c => SubStatusAsync(c, SubStatusBlock, SubStatusNone), "BLOCK", "SAVINGSACCOUNT", Command: "block"),
        new("POST", "savingsaccounts/{id}", c => SubStatusAsync(c, SubStatusNone, SubStatusBlock), "UNBLOCK", "SAVINGSACCOUNT", Command: "unblock"),
        new("POST", "savingsaccounts/{id}", c => SubStatusAsync(c, SubStatusBlockCredit, SubStatusNone), "BLOCKCREDIT", "SAVINGSACCOUNT", Command: "blockCredit"),
        new("POST", "savingsaccounts/{id}", c => SubStatusAsync(c, SubStatusNone, SubStatusBlockCredit), "UNBLOCKCREDIT", "SAVINGSACCOUNT", Command: "unblockCredit"),
        new("POST", "savingsaccounts/{id}", c => SubStatusAsync(c, SubStatusBlockDebit, SubStatusNone), "BLOCKDEBIT", "SAVINGSACCOUNT", Command: "blockDebit"),
        new("POST", "savingsaccounts/{id}", c => SubStatusAsync(c, SubStatusNone, SubStatusBlockDebit), "UNBLOCKDEBIT", "SAVINGSACCOUNT", Command: "unblockDebit"),
        new("POST", "savingsaccounts/{id}/transactions", c => TransactionAsync(c, Deposit), "DEPOSIT", "SAVINGSACCOUNT", Command: "deposit", InBatch: true),
        new("POST", "savingsaccounts/{id}/transactions", c => TransactionAsync(c, Withdrawal), "WITHDRAWAL", "SAVINGSACCOUNT", Command: "withdrawal", InBatch: true),
        new("GET", "savingsaccounts/{id}/transactions/{id}", GetTransactionAsync, InBatch: true),
    ];

    // ---- products ----

    private static async Task<string> CreateProductAsync(CommandContext ctx)
    {
        const string resource = "savingsproduct";
        var body = ctx.Body;
        body.RequireOnly(ProductParameters);
        var errors = new List<ParameterError>();
        var name = body.String("name")?.Trim();
        if (string.IsNullOrEmpty(name)) errors.Add(ParameterError.Mandatory(resource, "name"));
        else if (name.Length > 100) errors.Add(ParameterError.ExceedsLength(resource, "name", 100, name));
        var shortName = body.String("shortName")?.Trim();
        if (string.IsNullOrEmpty(shortName)) errors.Add(ParameterError.Mandatory(resource, "shortName"));
        else if (shortName.Length > 4) errors.Add(ParameterError.ExceedsLength(resource, "shortName", 4, shortName));
        var currency = body.String("currencyCode");
        if (string.IsNullOrWhiteSpace(currency)) errors.Add(ParameterError.Mandatory(resource, "currencyCode"));
        var digits = body.IntegerWithLocaleIfPresent("digitsAfterDecimal");
        if (digits is null) errors.Add(ParameterError.Mandatory(resource, "digitsAfterDecimal"));
        else if (digits is < 0 or > 6) errors.Add(ParameterError.NotInRange(resource, "digitsAfterDecimal", digits, 0, 6));
        var multiples = body.IntegerWithLocaleIfPresent("inMultiplesOf");
        var rate = body.Decimal("nominalAnnualInterestRate");
        if (rate is null) errors.Add(ParameterError.Mandatory(resource, "nominalAnnualInterestRate"));
        else if (rate < 0) errors.Add(new ParameterError($"validation.msg.{resource}.nominalAnnualInterestRate.not.zero.or.greater",
            "The parameter `nominalAnnualInterestRate` must be greater than or equal to 0.", "nominalAnnualInterestRate", [rate, 0]));
        var compounding = Enumeration(body, errors, resource, "interestCompoundingPeriodType", 1, 4);
        var posting = Enumeration(body, errors, resource, "interestPostingPeriodType", 1, 4, 5, 6, 7);
        var calculation = Enumeration(body, errors, resource, "interestCalculationType", 1, 2);
        var daysInYear = Enumeration(body, errors, resource, "interestCalculationDaysInYearType", 360, 365);
        var accounting = Enumeration(body, errors, resource, "accountingRule", 1, 2, 3, 4);
        if (errors.Count > 0) throw FineractException.Validation(errors);

        await using (var known = ctx.Sql("SELECT decimal_places FROM m_currency WHERE code = $1", currency))
        {
            if (await known.ExecuteScalarAsync() is null)
                throw FineractException.NotFound("error.msg.currency.currencyCode.invalid",
                    $"Currency with identifier {currency} does not exist", currency);
        }
        try
        {
            await using var insert = ctx.Sql("""
                INSERT INTO m_savings_product (name, short_name, description, currency_code, currency_digits, currency_multiplesof,
                    nominal_annual_interest_rate, interest_compounding_period_enum, interest_posting_period_enum,
                    interest_calculation_type_enum, interest_calculation_days_in_year_type_enum, min_required_opening_balance,
                    accounting_type, allow_overdraft, enforce_min_required_balance, withdrawal_fee_for_transfer)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id
                """, name, shortName, body.String("description"), currency, digits, multiples, rate, compounding, posting,
                calculation, daysInYear, body.Decimal("minRequiredOpeningBalance"), accounting,
                body.Boolean("allowOverdraft") ?? false, body.Boolean("enforceMinRequiredBalance") ?? false,
                body.Boolean("withdrawalFeeForTransfers") ?? false);
            var id = (long)(await insert.ExecuteScalarAsync())!;
            return Json.Serialize(Json.Object(("resourceId", id)));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The short-name constraint is unnamed upstream, so PostgreSQL servers report an unknown issue (api-shapes.md §1.8).
            if (ex.ConstraintName?.Contains("short_name", StringComparison.Ordinal) == true)
                throw FineractException.DataIntegrity("error.msg.savingsproduct.unknown.data.integrity.issue",
                    "Unknown data integrity issue with resource.", "id");
            throw FineractException.DataIntegrity("error.msg.savingsproduct.duplicate.name",
                $"Savings product with name `{name}` already exists", "name", name);
        }
    }

    private static int? Enumeration(JsonCommand body, List<ParameterError> errors, string resource, string name, params int[] allowed)
    {
        var value = body.Integer(name);
        if (value is null)
        {
            errors.Add(ParameterError.Mandatory(resource, name));
            errors.Add(ParameterError.NotOneOf(resource, name, null, allowed));
        }
        else if (!allowed.Contains(value.Value)) errors.Add(ParameterError.NotOneOf(resource, name, value, allowed));
        return value;
    }

    private const string ProductSelect = """
        SELECT id, name, short_name, currency_code, currency_digits, currency_multiplesof, nominal_annual_interest_rate,
               interest_compounding_period_enum, interest_posting_period_enum, interest_calculation_type_enum,
               interest_calculation_days_in_year_type_enum, accounting_type
        FROM m_savings_product
        """;

    private static SavingsProduct ReadProduct(NpgsqlDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2),
        r.GetString(3), r.GetInt32(4), r.IsDBNull(5) ? null : r.GetInt32(5), r.GetDecimal(6), r.GetInt32(7), r.GetInt32(8),
        r.GetInt32(9), r.GetInt32(10), r.GetInt32(11));

    public static async Task<SavingsProduct> FindProductAsync(CommandContext ctx, long id)
    {
        await using var command = ctx.Sql(ProductSelect + " WHERE id = $1", id);
        await using var reader = await command.ExecuteReaderAsync();
        if (await reader.ReadAsync()) return ReadProduct(reader);
        throw FineractException.NotFound("error.msg.savingproduct.id.invalid", $"Saving product with identifier {id} does not exist", id);
    }

    private static async Task<string> ListProductsAsync(CommandContext ctx)
    {
        var items = new JsonArray();
        await using var command = ctx.Sql(ProductSelect + " ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) items.Add(ProductJson(ReadProduct(reader)));
        return Json.Serialize(items);
    }

    private static async Task<string> GetProductAsync(CommandContext ctx) =>
        Json.Serialize(ProductJson(await FindProductAsync(ctx, ctx.Id())));

    private static JsonObject ProductJson(SavingsProduct p) => Json.Object(
        ("id", p.Id), ("name", p.Name), ("shortName", p.ShortName), ("currency", Currency(p.CurrencyCode, p.Digits, p.InMultiplesOf)),
        ("nominalAnnualInterestRate", p.NominalRate),
        ("interestCompoundingPeriodType", Enums.Compounding(p.Compounding)),
        ("interestPostingPeriodType", Enums.Posting(p.Posting)),
        ("interestCalculationType", Enums.Calculation(p.Calculation)),
        ("interestCalculationDaysInYearType", Enums.DaysInYear(p.DaysInYear)),
        ("accountingRule", Enums.Accounting(p.AccountingRule)),
        ("withdrawalFeeForTransfers", false), ("allowOverdraft", false), ("enforceMinRequiredBalance", false),
        ("withHoldTax", false), ("isDormancyTrackingActive", false), ("lienAllowed", false));

    public static JsonObject Currency(string code, int digits, int? multiples) => code == "USD"
        ? new JsonObject
        {
            ["code"] = "USD", ["name"] = "US Dollar", ["decimalPlaces"] = digits, ["inMultiplesOf"] = multiples ?? 1,
            ["displaySymbol"] = "$", ["nameCode"] = "currency.USD", ["displayLabel"] = "US Dollar ($)",
        }
        : new JsonObject { ["code"] = code, ["decimalPlaces"] = digits, ["inMultiplesOf"] = multiples ?? 1 };

    // ---- accounts ----

    private static async Task<string> ApplyAsync(CommandContext ctx)
    {
        const string resource = "savingsaccount";
        var body = ctx.Body;
        body.RequireOnly(ApplyParameters);
        var errors = new List<ParameterError>();
        var clientId = body.Long("clientId");
        if (clientId is null && !body.Has("groupId")) errors.Add(ParameterError.Mandatory(resource, "clientId"));
        else if (clientId <= 0) errors.Add(ParameterError.NotGreaterThanZero(resource, "clientId", clientId));
        var productId = body.Long("productId");
        if (productId is null) errors.Add(ParameterError.Mandatory(resource, "productId"));
        else if (productId <= 0) errors.Add(ParameterError.NotGreaterThanZero(resource, "productId", productId));
        var submittedOn = body.Date("submittedOnDate");
        if (submittedOn is null) errors.Add(ParameterError.Mandatory(resource, "submittedOnDate"));
        var externalId = body.String("externalId");
        if (externalId is { Length: > 100 }) errors.Add(ParameterError.ExceedsLength(resource, "externalId", 100, externalId));
        if (errors.Count > 0) throw FineractException.Validation(errors);
        if (clientId is null)
            throw FineractException.Validation(new ParameterError("validation.msg.savingsaccount.groupId.not.supported",
                "Group savings accounts are not emulated.", "groupId", []));

        var client = await Clients.FindForCommandAsync(ctx, clientId.Value);
        if (client.Status != Clients.Active)
            throw FineractException.DomainRule("error.msg.client.not.active.exception", $"The Client with id `{client.Id}` is not active", client.Id);
        var product = await FindProductAsync(ctx, productId!.Value);
        if (submittedOn > ctx.Today)
            throw FineractException.Validation(new ParameterError("error.msg.savingsaccount.submittedOnDate.in.the.future",
                "submittedOnDate cannot be in the future.", "submittedOnDate", [submittedOn]));
        var id = await InsertAccountAsync(ctx, client.Id, product, Submitted, submittedOn!.Value, null, null, externalId);
        return Json.Serialize(Json.Object(("officeId", client.OfficeId), ("clientId", client.Id), ("savingsId", id), ("resourceId", id)));
    }

    /// <summary>The savingsProductId shortcut of client creation: an approved and active account in one go.</summary>
    public static Task<long> OpenActiveAccountAsync(CommandContext ctx, long clientId, SavingsProduct product, DateOnly on) =>
        InsertAccountAsync(ctx, clientId, product, Active, on, on, on, null);

    private static async Task<long> InsertAccountAsync(CommandContext ctx, long clientId, SavingsProduct product, int status,
        DateOnly submittedOn, DateOnly? approvedOn, DateOnly? activatedOn, string? externalId)
    {
        try
        {
            await using var insert = ctx.Sql("""
                INSERT INTO m_savings_account (external_id, client_id, product_id, status_enum, submittedon_date, approvedon_date,
                    activatedon_date, currency_code, currency_digits, currency_multiplesof, nominal_annual_interest_rate)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id
                """, string.IsNullOrWhiteSpace(externalId) ? null : externalId, clientId, product.Id, status, submittedOn,
                approvedOn, activatedOn, product.CurrencyCode, product.Digits, product.InMultiplesOf, product.NominalRate);
            return (long)(await insert.ExecuteScalarAsync())!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw FineractException.DataIntegrity("error.msg.savingsaccount.duplicate.externalId",
                $"Savings account with externalId {externalId} already exists", "externalId", externalId);
        }
    }

    private static async Task<string> ApproveAsync(CommandContext ctx)
    {
        ctx.Body.RequireOnly(ApproveParameters);
        var date = ctx.Body.Date("approvedOnDate")
            ?? throw FineractException.Validation(ParameterError.Mandatory("savingsaccount", "approvedOnDate"));
        var account = await LockAccountAsync(ctx, ctx.Id());
        if (account.Status != Submitted)
            throw FineractException.Validation(new ParameterError("error.msg.savingsaccount.approve.not.in.submittedandpendingapproval.state",
                "Approval is only possible on savings accounts in submittedandpendingapproval state.", "approvedOnDate", [date]));
        if (date < account.SubmittedOn || date > ctx.Today)
            throw FineractException.Validation(new ParameterError(
                date > ctx.Today ? "error.msg.savingsaccount.approve.date.in.the.future" : "error.msg.savingsaccount.approve.date.cannot.be.before.submittal.date",
                date > ctx.Today ? "The date on which a savings account is approved cannot be in the future."
                    : "The date on which a savings account is approved cannot be before its submittal date", "approvedOnDate", [date]));
        await using var update = ctx.Sql("UPDATE m_savings_account SET status_enum = $2, approvedon_date = $3 WHERE id = $1", account.Id, Approved, date);
        await update.ExecuteNonQueryAsync();
        return StateChange(account, Approved, "approvedOnDate", ctx.Body);
    }

    private static async Task<string> ActivateAsync(CommandContext ctx)
    {
        ctx.Body.RequireOnly(ActivateParameters);
        var date = ctx.Body.Date("activatedOnDate")
            ?? throw FineractException.Validation(ParameterError.Mandatory("savingsaccount", "activatedOnDate"));
        var account = await LockAccountAsync(ctx, ctx.Id());
        if (account.Status != Approved)
            throw FineractException.Validation(new ParameterError("error.msg.savingsaccount.activate.not.in.approved.state",
                "Activation is only possible on savings accounts in approved state.", "activatedOnDate", [date]));
        if (date > ctx.Today)
            throw FineractException.Validation(new ParameterError("error.msg.savingsaccount.activate.date.in.the.future",
                "The date on which a savings account is activated cannot be in the future.", "activatedOnDate", [date]));
        await using var update = ctx.Sql("UPDATE m_savings_account SET status_enum = $2, activatedon_date = $3 WHERE id = $1", account.Id, Active, date);
        await update.ExecuteNonQueryAsync();
        return StateChange(account, Active, "activatedOnDate", ctx.Body);
    }

    private static string StateChange(Account account, int status, string dateField, JsonCommand body) =>
        Json.Serialize(Json.Object(
            ("officeId", account.OfficeId), ("clientId", account.ClientId), ("savingsId", account.Id), ("resourceId", account.Id),
            ("changes", Json.Object(("status", Enums.SavingsStatus(status)), ("locale", body.LocaleName),
                ("dateFormat", body.String("dateFormat")), (dateField, body.String(dateField))))));

    private static async Task<string> SubStatusAsync(CommandContext ctx, int to, int requiredFrom)
    {
        ctx.Body.RequireOnly(to == SubStatusNone ? NoParameters : BlockParameters);
        var account = await LockAccountAsync(ctx, ctx.Id());
        if (account.Status != Active)
            throw FineractException.DomainRule("error.msg.savingsaccount.account.is.not.active",
                $"Savings account with id {account.Id} is not active", account.Id);
        if (to != SubStatusNone && account.SubStatus == to)
            throw FineractException.DomainRule("error.msg.savings.account.already.blocked",
                $"Savings account with id {account.Id} is already in the requested state", account.Id);
        if (to == SubStatusNone && account.SubStatus != requiredFrom)
            throw FineractException.DomainRule("error.msg.savings.account.not.blocked",
                $"Savings account with id {account.Id} is not in the state to undo", account.Id);
        await using var update = ctx.Sql("UPDATE m_savings_account SET sub_status_enum = $2 WHERE id = $1", account.Id, to);
        await update.ExecuteNonQueryAsync();
        return Json.Serialize(Json.Object(("officeId", account.OfficeId), ("clientId", account.ClientId),
            ("savingsId", account.Id), ("resourceId", account.Id), ("changes", Json.Object(("subStatus", Enums.SubStatus(to))))));
    }

    public sealed record Account(long Id, long ClientId, long OfficeId, int ClientStatus, int Status, int SubStatus,
        DateOnly SubmittedOn, DateOnly? ActivatedOn, decimal Balance);

    /// <summary>Row-locks the account for the rest of the transaction: deposits on one account run one at a time.</summary>
    public static async Task<Account> LockAccountAsync(CommandContext ctx, long id)
    {
        await using var command = ctx.Sql("""
            SELECT a.id, a.client_id, c.office_id, c.status_enum, a.status_enum, a.sub_status_enum, a.submittedon_date,
                   a.activatedon_date, a.account_balance_derived
            FROM m_savings_account a JOIN m_client c ON c.id = a.client_id
            WHERE a.id = $1 FOR UPDATE OF a
            """, id);
        await using var r = await command.ExecuteReaderAsync();
        if (!await r.ReadAsync())
            throw FineractException.NotFound("error.msg.saving.account.id.invalid", $"Savings account with identifier {id} does not exist", id);
        return new Account(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5),
            r.GetFieldValue<DateOnly>(6), r.IsDBNull(7) ? null : r.GetFieldValue<DateOnly>(7), r.GetDecimal(8));
    }

    // ---- transactions ----

    private static async Task<string> TransactionAsync(CommandContext ctx, int type)
    {
        const string resource = "savingsaccount.transaction";
        var body = ctx.Body;
        body.RequireOnly(TransactionParameters);
        var errors = new List<ParameterError>();
        var date = body.Date("transactionDate");
        if (date is null) errors.Add(ParameterError.Mandatory(resource, "transactionDate"));
        var amount = body.Decimal("transactionAmount");
        if (amount is null) errors.Add(ParameterError.Mandatory(resource, "transactionAmount"));
        else if (amount <= 0) errors.Add(ParameterError.NotGreaterThanZero(resource, "transactionAmount", amount));
        var paymentTypeId = body.IntegerWithLocale("paymentTypeId");
        if (paymentTypeId is null) errors.Add(ParameterError.Mandatory(resource, "paymentTypeId"));
        else if (paymentTypeId <= 0) errors.Add(ParameterError.NotGreaterThanZero(resource, "paymentTypeId", paymentTypeId));
        foreach (var field in PaymentDetailFields)
        {
            if (body.String(field) is { Length: > 50 } value) errors.Add(ParameterError.ExceedsLength(resource, field, 50, value));
        }
        if (errors.Count > 0) throw FineractException.Validation(errors);

        var account = await LockAccountAsync(ctx, ctx.Id());
        if (account.ClientStatus != Clients.Active)
            throw FineractException.DomainRule("error.msg.client.not.active.exception",
                $"The Client with id `{account.ClientId}` is not active", account.ClientId);
        await Reference.FindPaymentTypeAsync(ctx, paymentTypeId!.Value);
        var entry = new TransactionEntry(type, date!.Value, amount!.Value, paymentTypeId,
            PaymentDetailFields.ToDictionary(f => f, body.String), body.String("note"));
        var transactionId = await PostAsync(ctx, account, entry, body.FormatDate(entry.Date));

        var changes = new JsonObject();
        foreach (var field in PaymentDetailFields)
        {
            if (!string.IsNullOrWhiteSpace(entry.Details[field])) changes[field] = entry.Details[field];
        }
        changes["paymentTypeId"] = paymentTypeId;
        return Json.Serialize(Json.Object(("officeId", account.OfficeId), ("clientId", account.ClientId),
            ("savingsId", account.Id), ("resourceId", transactionId), ("changes", changes)));
    }

    public sealed record TransactionEntry(int Type, DateOnly Date, decimal Amount, long? PaymentTypeId,
        IReadOnlyDictionary<string, string?> Details, string? Note);

    /// <summary>Checks the account's state and posts one deposit or withdrawal on a locked account; returns the transaction id.</summary>
    public static async Task<long> PostAsync(CommandContext ctx, Account account, TransactionEntry entry, string formattedDate)
    {
        if (account.SubStatus == SubStatusBlock)
            throw FineractException.DomainRule("error.msg.savings.account.blocked.transaction.not.allowed",
                $"Any transaction to savings account with id {account.Id} is not allowed", account.Id);
        if (entry.Type == Deposit && account.SubStatus == SubStatusBlockCredit)
            throw FineractException.DomainRule("error.msg.savings.account.credit.transaction.not.allowed",
                $"Any Credit transactions to savings account with id {account.Id} is not allowed", account.Id);
        if (entry.Type == Withdrawal && account.SubStatus == SubStatusBlockDebit)
            throw FineractException.DomainRule("error.msg.savings.account.debit.transaction.not.allowed",
                $"Any Debit transactions to savings account with id {account.Id} is not allowed", account.Id);
        if (account.Status != Active)
            throw StateError("account.is.not.active", "Transaction is not allowed. Account is not active.", formattedDate);
        if (entry.Date > ctx.Today)
            throw StateError("in.the.future", "Transaction date cannot be in the future.", formattedDate);
        if (account.ActivatedOn is { } activated && entry.Date < activated)
            throw StateError("before.activation.date", "Transaction date cannot be before accounts activation date.",
                formattedDate, activated);

        var signed = entry.Type == Deposit ? entry.Amount : -entry.Amount;
        if (account.Balance + signed < 0)
            throw FineractException.DomainRule("error.msg.savingsaccount.transaction.insufficient.account.balance",
                "Insufficient account balance.", "transactionAmount", account.Balance, null, entry.Amount);

        await using var post = ctx.Sql("""
            WITH posted AS (
                INSERT INTO m_savings_account_transaction (savings_account_id, office_id, transaction_type_enum, transaction_date,
                    amount, running_balance_derived, payment_type_id, account_number, check_number, routing_code,
                    receipt_number, bank_number, note, submitted_on_date)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id)
            UPDATE m_savings_account SET account_balance_derived = account_balance_derived + $15,
                total_deposits_derived = total_deposits_derived + (CASE WHEN $3 = 1 THEN $5 ELSE 0 END),
                total_withdrawals_derived = total_withdrawals_derived + (CASE WHEN $3 = 2 THEN $5 ELSE 0 END),
                last_transaction_date = GREATEST(last_transaction_date, $4)
            WHERE id = $1
            RETURNING (SELECT id FROM posted)
            """, account.Id, account.OfficeId, entry.Type, entry.Date, entry.Amount, account.Balance + signed,
            entry.PaymentTypeId, entry.Details.GetValueOrDefault("accountNumber"), entry.Details.GetValueOrDefault("checkNumber"),
            entry.Details.GetValueOrDefault("routingCode"), entry.Details.GetValueOrDefault("receiptNumber"),
            entry.Details.GetValueOrDefault("bankNumber"), entry.Note, ctx.Today, signed);
        return (long)(await post.ExecuteScalarAsync())!;
    }

    private static FineractException StateError(string code, string message, params object?[] args) =>
        FineractException.Validation(new ParameterError($"error.msg.savingsaccount.transaction.{code}", message, "transactionDate", args));

    // ---- reads ----

    private const string AccountSelect = """
        SELECT a.id, a.external_id, a.client_id, c.display_name, a.product_id, p.name, p.short_name, a.status_enum,
               a.sub_status_enum, a.submittedon_date, a.approvedon_date, a.activatedon_date, a.currency_code,
               a.currency_digits, a.currency_multiplesof, a.nominal_annual_interest_rate, p.interest_compounding_period_enum,
               p.interest_posting_period_enum, p.interest_calculation_type_enum, p.interest_calculation_days_in_year_type_enum,
               a.account_balance_derived, a.total_deposits_derived, a.total_withdrawals_derived, a.last_transaction_date
        FROM m_savings_account a JOIN m_client c ON c.id = a.client_id JOIN m_savings_product p ON p.id = a.product_id
        """;

    private static async Task<string> GetAccountAsync(CommandContext ctx)
    {
        var id = ctx.Id();
        JsonObject account;
        await using (var command = ctx.Sql(AccountSelect + " WHERE a.id = $1", id))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            if (!await reader.ReadAsync())
                throw FineractException.NotFound("error.msg.saving.account.id.invalid", $"Savings account with identifier {id} does not exist", id);
            account = AccountJson(reader);
        }
        var associations = ctx.Query("associations") ?? "";
        if (associations.Split(',').Contains("transactions") || associations == "all")
        {
            var transactions = new JsonArray();
            await using var command = ctx.Sql(TransactionSelect + " WHERE t.savings_account_id = $1 ORDER BY t.transaction_date DESC, t.id DESC", id);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) transactions.Add(TransactionJson(reader));
            if (transactions.Count > 0) account["transactions"] = transactions;
        }
        return Json.Serialize(account);
    }

    private static async Task<string> ListAccountsAsync(CommandContext ctx)
    {
        var items = new JsonArray();
        var externalId = ctx.Query("externalId");
        await using var command = externalId is null
            ? ctx.Sql(AccountSelect + " ORDER BY a.id")
            : ctx.Sql(AccountSelect + " WHERE a.external_id = $1 ORDER BY a.id", externalId);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) items.Add(AccountJson(reader));
        return Json.Serialize(new JsonObject { ["totalFilteredRecords"] = items.Count, ["pageItems"] = items });
    }

    private static JsonObject AccountJson(NpgsqlDataReader r)
    {
        var currency = Currency(r.GetString(12), r.GetInt32(13), r.IsDBNull(14) ? null : r.GetInt32(14));
        var balance = r.GetDecimal(20);
        var deposits = r.GetDecimal(21);
        var withdrawals = r.GetDecimal(22);
        DateOnly? Date(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateOnly>(i);
        var submitted = Date(9);
        var approved = Date(10);
        var activated = Date(11);
        return Json.Object(
            ("id", r.GetInt64(0)),
            ("accountNo", Clients.AccountNo(r.GetInt64(0))),
            ("externalId", r.IsDBNull(1) ? null : r.GetString(1)),
            ("depositType", new JsonObject { ["id"] = 100, ["code"] = "depositAccountType.savingsDeposit", ["value"] = "Savings" }),
            ("clientId", r.GetInt64(2)),
            ("clientName", r.GetString(3)),
            ("savingsProductId", r.GetInt64(4)),
            ("savingsProductName", r.GetString(5)),
            ("fieldOfficerId", 0),
            ("status", Enums.SavingsStatus(r.GetInt32(7))),
            ("subStatus", Enums.SubStatus(r.GetInt32(8))),
            ("timeline", Json.Object(
                ("submittedOnDate", Json.Date(submitted)), ("submittedByUsername", "mifos"),
                ("submittedByFirstname", "App"), ("submittedByLastname", "Administrator"),
                ("approvedOnDate", Json.Date(approved)), ("approvedByUsername", approved is null ? null : "mifos"),
                ("approvedByFirstname", approved is null ? null : "App"), ("approvedByLastname", approved is null ? null : "Administrator"),
                ("activatedOnDate", Json.Date(activated)), ("activatedByUsername", activated is null ? null : "mifos"),
                ("activatedByFirstname", activated is null ? null : "App"), ("activatedByLastname", activated is null ? null : "Administrator"))),
            ("currency", currency),
            ("nominalAnnualInterestRate", r.GetDecimal(15)),
            ("interestCompoundingPeriodType", Enums.Compounding(r.GetInt32(16))),
            ("interestPostingPeriodType", Enums.Posting(r.GetInt32(17))),
            ("interestCalculationType", Enums.Calculation(r.GetInt32(18))),
            ("interestCalculationDaysInYearType", Enums.DaysInYear(r.GetInt32(19))),
            ("withdrawalFeeForTransfers", false),
            ("allowOverdraft", false),
            ("enforceMinRequiredBalance", false),
            ("lienAllowed", false),
            ("withHoldTax", false),
            ("lastActiveTransactionDate", Json.Date(r.IsDBNull(23) ? null : r.GetFieldValue<DateOnly>(23))),
            ("isDormancyTrackingActive", false),
            ("summary", Json.Object(
                ("currency", currency.DeepClone()),
                ("totalDeposits", deposits == 0 ? null : deposits),
                ("totalWithdrawals", withdrawals == 0 ? null : withdrawals),
                ("totalInterestPosted", 0),
                ("accountBalance", balance),
                ("totalOverdraftInterestDerived", 0),
                ("interestNotPosted", 0),
                ("availableBalance", balance))));
    }

    /// <summary>GET /clients/{id}/accounts: only the savings part is emulated.</summary>
    public static async Task<string> ClientAccountsAsync(CommandContext ctx)
    {
        var id = ctx.Id();
        await using (var exists = ctx.Sql("SELECT 1 FROM m_client WHERE id = $1", id))
        {
            if (await exists.ExecuteScalarAsync() is null)
                throw FineractException.NotFound("error.msg.client.not.found.with.client.id", $"Client not found with valuer {id}.",
                    id.ToString(CultureInfo.InvariantCulture));
        }
        var savings = new JsonArray();
        await using (var command = ctx.Sql(AccountSelect + " WHERE a.client_id = $1 ORDER BY a.id", id))
        await using (var r = await command.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                var balance = r.GetDecimal(20);
                DateOnly? Date(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateOnly>(i);
                savings.Add(Json.Object(
                    ("id", r.GetInt64(0)), ("accountNo", Clients.AccountNo(r.GetInt64(0))),
                    ("externalId", r.IsDBNull(1) ? null : r.GetString(1)),
                    ("productId", r.GetInt64(4)), ("productName", r.GetString(5)), ("shortProductName", r.GetString(6)),
                    ("status", Enums.SavingsStatus(r.GetInt32(7))),
                    ("currency", Currency(r.GetString(12), r.GetInt32(13), r.IsDBNull(14) ? null : r.GetInt32(14))),
                    ("accountBalance", balance == 0 ? null : balance),
                    ("accountType", new JsonObject { ["id"] = 1, ["code"] = "accountType.individual", ["value"] = "Individual" }),
                    ("timeline", Json.Object(("submittedOnDate", Json.Date(Date(9))), ("approvedOnDate", Json.Date(Date(10))),
                        ("activatedOnDate", Json.Date(Date(11))))),
                    ("subStatus", Enums.SubStatus(r.GetInt32(8))),
                    ("lastActiveTransactionDate", Json.Date(Date(23))),
                    ("depositType", new JsonObject { ["id"] = 100, ["code"] = "depositAccountType.savingsDeposit", ["value"] = "Savings" })));
            }
        }
        var result = new JsonObject();
        if (savings.Count > 0) result["savingsAccounts"] = savings;
        result["groupLoanIndividualMonitoringAccounts"] = new JsonArray();
        result["guarantorAccounts"] = new JsonArray();
        return Json.Serialize(result);
    }

    /// <summary>
    /// SavingsAccountReadPlatformServiceImpl.SavingsAccountTransactionsMapper: the transaction with its payment detail,
    /// its note and the account transfer it is a leg of (left joins on the transfer's from and to transaction ids).
    /// </summary>
    internal const string TransactionSelect = """
        SELECT t.id, t.transaction_type_enum, t.savings_account_id, t.transaction_date, a.currency_code, a.currency_digits,
               a.currency_multiplesof, t.payment_type_id, pt.value, t.account_number, t.check_number, t.routing_code,
               t.receipt_number, t.bank_number, t.amount, t.running_balance_derived, t.is_reversed, t.submitted_on_date, t.note,
               ft.id, ft.transfer_date, ft.amount, ft.description, tt.id, tt.transfer_date, tt.amount, tt.description
        FROM m_savings_account_transaction t
        JOIN m_savings_account a ON a.id = t.savings_account_id
        LEFT JOIN m_payment_type pt ON pt.id = t.payment_type_id
        LEFT JOIN m_account_transfer_details ft ON ft.from_savings_transaction_id = t.id
        LEFT JOIN m_account_transfer_details tt ON tt.to_savings_transaction_id = t.id
        """;

    private static async Task<string> GetTransactionAsync(CommandContext ctx)
    {
        var accountId = ctx.Id(0);
        var transactionId = ctx.Id(1);
        await using var command = ctx.Sql(TransactionSelect + " WHERE t.savings_account_id = $1 AND t.id = $2", accountId, transactionId);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
            throw FineractException.NotFound("error.msg.saving.account.trasaction.id.invalid",
                $"Savings account transaction with identifier {transactionId} does not exist", transactionId);
        return Json.Serialize(TransactionJson(reader));
    }

    /// <summary>SavingsAccountTransactionData as Gson writes it: field declaration order, nulls omitted.</summary>
    internal static JsonObject TransactionJson(NpgsqlDataReader r)
    {
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        var type = r.GetInt32(1);
        var currency = Currency(r.GetString(4), r.GetInt32(5), r.IsDBNull(6) ? null : r.GetInt32(6));
        JsonObject? paymentDetail = r.IsDBNull(7) ? null : Json.Object(
            ("id", r.GetInt64(0)),
            ("paymentType", new JsonObject { ["id"] = r.GetInt64(7), ["name"] = r.GetString(8) }),
            ("accountNumber", Text(9)), ("checkNumber", Text(10)), ("routingCode", Text(11)),
            ("receiptNumber", Text(12)), ("bankNumber", Text(13)));
        // AccountTransferData.transferBasicDetails: the outgoing leg's transfer if there is one, else the incoming one's.
        var leg = !r.IsDBNull(19) ? 19 : !r.IsDBNull(23) ? 23 : -1;
        JsonObject? transfer = leg < 0 ? null : Json.Object(
            ("id", r.GetInt64(leg)),
            ("reversed", false),
            ("currency", currency.DeepClone()),
            ("transferAmount", r.GetDecimal(leg + 2)),
            ("transferDate", Json.Date(r.GetFieldValue<DateOnly>(leg + 1))),
            ("transferDescription", Text(leg + 3)));
        return Json.Object(
            ("id", r.GetInt64(0)),
            ("transactionType", Enums.TransactionType(type)),
            // SavingsAccountTransactionType's entry type, written by Gson as the enum's name.
            ("entryType", type == Deposit ? "CREDIT" : "DEBIT"),
            ("accountId", r.GetInt64(2)),
            ("accountNo", Clients.AccountNo(r.GetInt64(2))),
            ("date", Json.Date(r.GetFieldValue<DateOnly>(3))),
            ("currency", currency),
            ("paymentDetailData", paymentDetail),
            ("amount", r.GetDecimal(14)),
            ("runningBalance", r.GetDecimal(15)),
            ("reversed", r.GetBoolean(16)),
            ("transfer", transfer),
            ("submittedOnDate", Json.Date(r.GetFieldValue<DateOnly>(17))),
            ("interestedPostedAsOn", false),
            ("submittedByUsername", "mifos"),
            ("note", Text(18)),
            ("isManualTransaction", false),
            ("isReversal", false),
            // rs.getLong of a NULL column is 0, so these ids are 0 rather than absent.
            ("originalTransactionId", 0),
            ("lienTransaction", false),
            ("releaseTransactionId", 0),
            ("chargesPaidByData", new JsonArray()));
    }
}

internal static class JsonCommandExtensions
{
    /// <summary>Product integers such as digitsAfterDecimal are locale-aware, but only asked for when present.</summary>
    public static int? IntegerWithLocaleIfPresent(this JsonCommand body, string name) =>
        body.Has(name) ? body.IntegerWithLocale(name) : null;
}

/// <summary>Enumeration objects as Fineract renders them (SavingsEnumerations, SavingsAccountStatusEnumData...).</summary>
internal static class Enums
{
    public static JsonObject SavingsStatus(int status)
    {
        var (code, value) = status switch
        {
            100 => ("submitted.and.pending.approval", "Submitted and pending approval"),
            200 => ("approved", "Approved"),
            300 => ("active", "Active"),
            400 => ("withdrawn.by.applicant", "Withdrawn by applicant"),
            500 => ("rejected", "Rejected"),
            600 => ("closed", "Closed"),
            _ => ("invalid", "Invalid"),
        };
        return new JsonObject
        {
            ["id"] = status, ["code"] = $"savingsAccountStatusType.{code}", ["value"] = value,
            ["submittedAndPendingApproval"] = status == 100, ["approved"] = status == 200,
            ["rejected"] = status == 500, ["withdrawnByApplicant"] = status == 400, ["active"] = status == 300,
            ["closed"] = status is 400 or 500 or 600, ["prematureClosed"] = status == 700, ["transferInProgress"] = false,
            ["transferOnHold"] = false, ["matured"] = status == 800,
        };
    }

    public static JsonObject SubStatus(int subStatus)
    {
        var (code, value) = subStatus switch
        {
            400 => ("block", "Block"),
            500 => ("blockCredit", "Block Credit"),
            600 => ("blockDebit", "Block Debit"),
            _ => ("none", "None"),
        };
        return new JsonObject
        {
            ["id"] = subStatus, ["code"] = $"SavingsAccountSubStatusEnum.{code}", ["value"] = value,
            ["none"] = subStatus == 0, ["inactive"] = false, ["dormant"] = false, ["escheat"] = false,
            ["block"] = subStatus == 400, ["blockCredit"] = subStatus == 500, ["blockDebit"] = subStatus == 600,
        };
    }

    public static JsonObject TransactionType(int type)
    {
        var (code, value) = type == 1 ? ("deposit", "Deposit") : ("withdrawal", "Withdrawal");
        return new JsonObject
        {
            ["id"] = type, ["code"] = $"savingsAccountTransactionType.{code}", ["value"] = value,
            ["deposit"] = type == 1, ["dividendPayout"] = false, ["withdrawal"] = type == 2, ["interestPosting"] = false,
            ["feeDeduction"] = false, ["initiateTransfer"] = false, ["approveTransfer"] = false, ["withdrawTransfer"] = false,
            ["rejectTransfer"] = false, ["overdraftInterest"] = false, ["writtenoff"] = false, ["overdraftFee"] = false,
            ["withholdTax"] = false, ["escheat"] = false, ["amountHold"] = false, ["amountRelease"] = false, ["accrual"] = false,
        };
    }

    private static JsonObject Enum(int id, string code, string value) => new() { ["id"] = id, ["code"] = code, ["value"] = value };

    public static JsonObject Compounding(int id) => Enum(id, "savings.interest.period.savingsCompoundingInterestPeriodType." +
        (id switch { 1 => "daily", 4 => "monthly", 5 => "quarterly", 6 => "biannual", 7 => "annual", _ => "invalid" }),
        id switch { 1 => "Daily", 4 => "Monthly", 5 => "Quarterly", 6 => "Semi-Annual", 7 => "Annually", _ => "Invalid" });

    public static JsonObject Posting(int id) => Enum(id, "savings.interest.posting.period.savingsPostingInterestPeriodType." +
        (id switch { 1 => "daily", 4 => "monthly", 5 => "quarterly", 6 => "biannual", 7 => "annual", _ => "invalid" }),
        id switch { 1 => "Daily", 4 => "Monthly", 5 => "Quarterly", 6 => "BiAnnual", 7 => "Annually", _ => "Invalid" });

    public static JsonObject Calculation(int id) => id == 2
        ? Enum(2, "savingsInterestCalculationType.averagedailybalance", "Average Daily Balance")
        : Enum(1, "savingsInterestCalculationType.dailybalance", "Daily Balance");

    public static JsonObject DaysInYear(int id) => Enum(id, $"savingsInterestCalculationDaysInYearType.days{id}", $"{id} Days");

    public static JsonObject Accounting(int id) => id switch
    {
        2 => Enum(2, "accountingRuleType.cash", "CASH BASED"),
        3 => Enum(3, "accountingRuleType.accrual.periodic", "ACCRUAL PERIODIC"),
        4 => Enum(4, "accountingRuleType.accrual.upfront", "ACCRUAL UPFRONT"),
        _ => Enum(1, "accountingRuleType.none", "NONE"),
    };
}
