namespace OneClickSuite.Contracts;

/// <summary>
/// Published by the Fineract adapter once a worker has a Fineract client and a savings account in the staff salary
/// product, and again whenever that link or its state changes. Payroll pays into <see cref="SavingsAccountId"/>.
/// </summary>
public sealed record WorkerAccountLinkedV1(
    string WorkerId,
    string EmployeeNumber,
    long FineractClientId,
    long SavingsAccountId,
    bool CreditsBlocked,
    long Revision,
    DateTimeOffset OccurredAt);
