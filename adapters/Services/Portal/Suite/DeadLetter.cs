namespace OneClickSuite.Portal.Suite;

// A dead letter as every service's /deadletters lists it (adapters/Shared/Messaging/DeadLetters.cs).

public sealed record DeadLetter(Guid Id, string? MessageType, string? ExceptionType, string? ExceptionMessage, DateTimeOffset? SentAt,
    bool Replayable, string? Source);
