using System.Net;
using System.Net.Http.Headers;

namespace Esteira.Deploy.Kaggle;

/// <summary>
/// Retries for 429 and 5xx answers and for connection failures: exponential backoff with jitter, or the server's
/// <c>Retry-After</c> when it sends one. A <c>Retry-After</c> longer than <see cref="MaxRetryAfter"/> (a daily limit,
/// say) is not waited for: the call fails at once with the server's message.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>Tries in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 6;
    /// <summary>Backoff before the first retry; it doubles with each later one.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Ceiling on the exponential backoff.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>The longest <c>Retry-After</c> worth waiting for; a longer one fails the call at once.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>True for the statuses worth another try.</summary>
    public static bool IsTransient(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>
    /// The wait before retry number <paramref name="attempt"/> (1 = the first retry). With a server hint the wait is that
    /// hint plus up to 10 % (at most 1 s) of jitter; without one it is "equal jitter" backoff: half of min(max, base·2^(n−1))
    /// fixed, the other half random. <paramref name="jitter01"/> is a number in [0, 1).
    /// </summary>
    public TimeSpan DelayFor(int attempt, TimeSpan? retryAfter, double jitter01)
    {
        if (retryAfter is { } hint)
        {
            hint = hint < TimeSpan.Zero ? TimeSpan.Zero : hint;
            var extra = Math.Min(hint.TotalMilliseconds * 0.1, 1000) * jitter01;
            return hint + TimeSpan.FromMilliseconds(extra);
        }

        var exponential = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1));
        var cap = Math.Min(MaxDelay.TotalMilliseconds, exponential);
        return TimeSpan.FromMilliseconds((cap / 2) + (cap / 2 * jitter01));
    }

    /// <summary>The server's <c>Retry-After</c> as a duration (seconds or an HTTP date), or null.</summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var value = headers.RetryAfter;
        if (value?.Delta is { } delta)
        {
            return delta;
        }

        return value?.Date is { } date ? date - now : null;
    }
}
