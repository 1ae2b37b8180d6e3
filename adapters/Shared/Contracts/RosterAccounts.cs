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

/// <summary>
/// Many workers' account links in one message, published by the Fineract adapter after it enrolled a roster batch.
/// Each link means what it means alone; a consumer applies each one whose revision is newer than what it holds.
/// </summary>
public sealed record WorkerAccountLinksV1(IReadOnlyList<WorkerAccountLinkedV1> Links);
