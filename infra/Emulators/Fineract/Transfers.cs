namespace OneClickSuite.Emulators.Fineract;

/// <summary>Savings-to-savings account transfers (AccountTransfersDataValidator, AccountTransfersWritePlatformServiceImpl).</summary>
public static class Transfers
{
    private const string Resource = "accounttransfer";
    private const int SavingsAccountType = 2;

    private static readonly HashSet<string> Parameters =
    [
        "locale", "dateFormat", "fromOfficeId", "fromClientId", "fromAccountType", "fromAccountId", "toOfficeId", "toClientId",
        "toAccountType", "toAccountId", "transferDate", "transferAmount", "transferDescription",
    ];

    public static IEnumerable<Route> Routes() =>
    [
        new("POST", "accounttransfers", CreateAsync, "CREATE", "ACCOUNTTRANSFER"),
    ];

    private static async Task<string> CreateAsync(CommandContext ctx)
    {
        var body = ctx.Body;
        body.RequireOnly(Parameters);
        var errors = new List<ParameterError>();
        long? Id(string name)
        {
            var value = body.Long(name);
            if (value is null) errors.Add(ParameterError.Mandatory(Resource, name));
            else if (value <= 0) errors.Add(ParameterError.NotGreaterThanZero(Resource, name, value));
            return value;
        }
        int? AccountType(string name)
        {
            var value = body.Integer(name);
            if (value is null) errors.Add(ParameterError.Mandatory(Resource, name));
            if (value is not (1 or 2)) errors.Add(ParameterError.NotOneOf(Resource, name, value, 1, 2));
            return value;
        }
        var fromOfficeId = Id("fromOfficeId");
        var fromClientId = Id("fromClientId");
        var fromAccountId = Id("fromAccountId");
        var fromType = AccountType("fromAccountType");
        var toOfficeId = Id("toOfficeId");
        var toClientId = Id("toClientId");
        var toAccountId = Id("toAccountId");
        var toType = AccountType("toAccountType");
        var date = body.Date("transferDate");
        if (date is null) errors.Add(ParameterError.Mandatory(Resource, "transferDate"));
        var amount = body.Decimal("transferAmount");
        if (amount is null) errors.Add(ParameterError.Mandatory(Resource, "transferAmount"));
        else if (amount <= 0) errors.Add(ParameterError.NotGreaterThanZero(Resource, "transferAmount", amount));
        var description = body.String("transferDescription");
        if (string.IsNullOrWhiteSpace(description)) errors.Add(ParameterError.Mandatory(Resource, "transferDescription"));
        else if (description.Trim().Length > 200) errors.Add(ParameterError.ExceedsLength(Resource, "transferDescription", 200, description));
        if (errors.Count > 0) throw FineractException.Validation(errors);
        if (fromType != SavingsAccountType || toType != SavingsAccountType)
            throw FineractException.Validation(new ParameterError("validation.msg.accounttransfer.loan.transfers.not.supported",
                "Only savings to savings transfers are emulated.", fromType != SavingsAccountType ? "fromAccountType" : "toAccountType", []));

        await Reference.FindOfficeAsync(ctx, fromOfficeId!.Value);
        await Clients.FindForCommandAsync(ctx, fromClientId!.Value);
        await Reference.FindOfficeAsync(ctx, toOfficeId!.Value);
        await Clients.FindForCommandAsync(ctx, toClientId!.Value);

        // Lock both accounts in id order, so two opposite transfers cannot deadlock.
        var first = Math.Min(fromAccountId!.Value, toAccountId!.Value);
        var second = Math.Max(fromAccountId.Value, toAccountId.Value);
        var firstAccount = await Savings.LockAccountAsync(ctx, first);
        var secondAccount = first == second ? firstAccount : await Savings.LockAccountAsync(ctx, second);
        var source = firstAccount.Id == fromAccountId ? firstAccount : secondAccount;
        var formattedDate = body.FormatDate(date!.Value);
        var noDetails = new Dictionary<string, string?>();

        // Neither leg gets a note (only the deposit and withdrawal commands write m_note); the description is the
        // transfer's own and is read through it (AccountTransferAssembler, SavingsAccountTransactionsMapper).
        var withdrawalId = await Savings.PostAsync(ctx, source,
            new Savings.TransactionEntry(Savings.Withdrawal, date.Value, amount!.Value, null, noDetails, null), formattedDate);
        // Same-account transfers are not refused upstream: re-read the target after the withdrawal.
        var target = await Savings.LockAccountAsync(ctx, toAccountId.Value);
        var depositId = await Savings.PostAsync(ctx, target,
            new Savings.TransactionEntry(Savings.Deposit, date.Value, amount.Value, null, noDetails, null), formattedDate);

        await using var insert = ctx.Sql("""
            INSERT INTO m_account_transfer_details (from_office_id, from_client_id, from_savings_account_id, to_office_id,
                to_client_id, to_savings_account_id, transfer_date, amount, description, from_savings_transaction_id,
                to_savings_transaction_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id
            """, fromOfficeId, fromClientId, source.Id, toOfficeId, toClientId, target.Id, date, amount, description,
            withdrawalId, depositId);
        var transferId = (long)(await insert.ExecuteScalarAsync())!;
        return Json.Serialize(Json.Object(("savingsId", source.Id), ("resourceId", transferId)));
    }
}
