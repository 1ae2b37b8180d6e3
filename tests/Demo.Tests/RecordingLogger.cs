using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace OneClickSuite.Demo.Tests;

/// <summary>Keeps what the demo logs, with the time since the first line, to explain where a slow or failed run spent its time.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public override string ToString() => string.Join('\n', _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider._lines.Enqueue($"{provider._clock.Elapsed.TotalSeconds,6:F1} s  {formatter(state, exception)}");
            }
        }
    }
}
