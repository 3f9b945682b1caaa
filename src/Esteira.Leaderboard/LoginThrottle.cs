using System.Collections.Concurrent;

namespace Esteira.Leaderboard;

/// <summary>
/// Counts failed logins per key (a team name, a client address) in fixed windows: after <c>maxFailures</c> in one window the
/// key is refused until the window ends, without the key being checked at all, so guessing costs a window per few tries.
/// </summary>
/// <remarks>Thread-safe. Keys are only the known team names and client addresses, so memory stays bounded by real clients.</remarks>
internal sealed class LoginThrottle(TimeProvider time, int maxFailures, TimeSpan window)
{
    private const int MaxKeys = 100_000;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public int MaxFailures => maxFailures;

    public TimeSpan Window => window;

    /// <summary>How long <paramref name="key"/> must wait, or null when it may try.</summary>
    public TimeSpan? RetryAfter(string key)
    {
        if (maxFailures <= 0 || !_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        lock (entry)
        {
            var now = time.GetUtcNow();
            var end = entry.WindowStart + window;
            return entry.Failures >= maxFailures && now < end ? end - now : null;
        }
    }

    /// <summary>Counts one failure of <paramref name="key"/>.</summary>
    public void Fail(string key)
    {
        if (maxFailures <= 0)
        {
            return;
        }

        if (_entries.Count > MaxKeys)
        {
            var now = time.GetUtcNow();
            foreach (var (stale, value) in _entries)
            {
                if (value.WindowStart + window < now)
                {
                    _entries.TryRemove(stale, out _);
                }
            }
        }

        var entry = _entries.GetOrAdd(key, _ => new Entry { WindowStart = time.GetUtcNow() });
        lock (entry)
        {
            var now = time.GetUtcNow();
            if (now >= entry.WindowStart + window)
            {
                entry.WindowStart = now;
                entry.Failures = 0;
            }

            entry.Failures++;
        }
    }

    private sealed class Entry
    {
        public DateTimeOffset WindowStart { get; set; }
        public int Failures { get; set; }
    }
}
