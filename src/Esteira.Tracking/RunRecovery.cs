using System.Diagnostics;

namespace Esteira.Tracking;

/// <summary>When a run left <c>running</c> counts as abandoned.</summary>
public sealed record StaleRunPolicy
{
    /// <summary>A run owned by another machine is abandoned when its heartbeat is older than this.
    /// (A run owned by this machine is judged by whether its process still exists.)</summary>
    public TimeSpan RemoteHeartbeatTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>This machine's name, compared with <see cref="RunOwner.Host"/>.</summary>
    public string LocalHost { get; init; } = Environment.MachineName;

    /// <summary>Whether a process on this machine is still the run's owner; the default asks the operating system.</summary>
    public Func<RunOwner, bool> IsLocalOwnerAlive { get; init; } = RunRecovery.IsProcessAlive;
}

/// <summary>
/// Finds runs whose owner died without ending them (killed, crashed, machine lost) and marks them failed, so a
/// crashed run is never mistaken for one still in progress, let alone a finished one.
/// </summary>
public static class RunRecovery
{
    // Process start times are read back from /proc with clock-tick precision; a reused process id starts
    // much later than the original, so a couple of seconds tells them apart without false alarms.
    private static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(2);

    /// <summary>Pure: is <paramref name="run"/> (status running) abandoned at <paramref name="now"/>?</summary>
    public static bool IsStale(RunSummary run, DateTimeOffset now, StaleRunPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(policy);
        if (run.Status != RunStatus.Running)
        {
            return false;
        }

        return string.Equals(run.Owner.Host, policy.LocalHost, StringComparison.OrdinalIgnoreCase)
            ? !policy.IsLocalOwnerAlive(run.Owner)
            : now - run.HeartbeatAt > policy.RemoteHeartbeatTimeout;
    }

    /// <summary>Marks every abandoned running run failed and returns their ids.</summary>
    /// <param name="store">The store to scan.</param>
    /// <param name="policy">What counts as abandoned; null for the defaults.</param>
    /// <param name="time">The clock; null for the system clock.</param>
    /// <param name="cancellationToken">Cancels the scan.</param>
    public static async Task<IReadOnlyList<long>> MarkStaleRunsFailedAsync(IRunStore store, StaleRunPolicy? policy = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        policy ??= new StaleRunPolicy();
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var running = await store.ListRunsAsync(new RunQuery { Status = RunStatus.Running, Limit = 100_000 }, cancellationToken);
        var failed = new List<long>();
        foreach (var run in running.Where(r => IsStale(r, now, policy)))
        {
            var reason = string.Equals(run.Owner.Host, policy.LocalHost, StringComparison.OrdinalIgnoreCase)
                ? $"abandoned: its process {run.Owner.ProcessId} on {run.Owner.Host} is gone"
                : $"abandoned: no heartbeat from {run.Owner.Host} since {run.HeartbeatAt:u}";
            // FinishRun only moves a run that is still running, so an owner finishing at this very moment wins.
            if (await store.FinishRunAsync(run.Id, RunStatus.Failed, reason, cancellationToken))
            {
                failed.Add(run.Id);
            }
        }

        return failed;
    }

    /// <summary>True while the owner's process exists and, when its start time was recorded, is the same process.</summary>
    public static bool IsProcessAlive(RunOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        try
        {
            using var process = Process.GetProcessById(owner.ProcessId);
            if (process.HasExited)
            {
                return false;
            }

            if (owner.ProcessStartedAt is not { } recorded)
            {
                return true;
            }

            var started = new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
            return (started - recorded).Duration() <= StartTimeTolerance;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false; // exited while we looked
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return true; // exists but cannot be inspected: assume it is the owner
        }
        catch (NotSupportedException)
        {
            return true;
        }
    }
}
