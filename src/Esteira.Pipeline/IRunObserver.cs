namespace Esteira.Pipeline;

/// <summary>What a run tells its caller as it goes; the CLI renders it as progress bars and lines.</summary>
public interface IRunObserver
{
    /// <summary>A stage begins; <paramref name="total"/> is the expected number of <paramref name="unit"/> when known.</summary>
    void StageStarted(string stage, long? total, string unit);

    /// <summary>The current stage has processed <paramref name="done"/> units so far.</summary>
    void Progress(long done);

    /// <summary>The current stage ended after <paramref name="seconds"/>.</summary>
    void StageFinished(string stage, double seconds, string summary);

    /// <summary>Something the user should know that does not stop the run.</summary>
    void Warn(string message);

    /// <summary>Why a stage runs or is skipped, and other plain news.</summary>
    void Info(string message);
}

/// <summary>An observer that ignores everything (for tests and <c>--json</c> runs).</summary>
public sealed class SilentObserver : IRunObserver
{
    /// <summary>The one instance (it has no state).</summary>
    public static readonly SilentObserver Instance = new();

    /// <inheritdoc/>
    public void StageStarted(string stage, long? total, string unit)
    {
    }

    /// <inheritdoc/>
    public void Progress(long done)
    {
    }

    /// <inheritdoc/>
    public void StageFinished(string stage, double seconds, string summary)
    {
    }

    /// <inheritdoc/>
    public void Warn(string message)
    {
    }

    /// <inheritdoc/>
    public void Info(string message)
    {
    }
}

/// <summary>Passes everything on to another observer and remembers how long each step took, for <c>--json</c> and benchmarks.</summary>
public sealed class StepTimer(IRunObserver inner) : IRunObserver
{
    private readonly List<(string Step, double Seconds, long PeakBytes)> _steps = [];

    /// <summary>
    /// The finished steps in order, with the process's peak resident memory so far (so the step that raised it shows);
    /// a step that ran more than once (one per experiment) appears each time.
    /// </summary>
    public IReadOnlyList<(string Step, double Seconds, long PeakBytes)> Steps
    {
        get
        {
            lock (_steps)
            {
                return [.. _steps];
            }
        }
    }

    /// <inheritdoc/>
    public void StageStarted(string stage, long? total, string unit) => inner.StageStarted(stage, total, unit);

    /// <inheritdoc/>
    public void Progress(long done) => inner.Progress(done);

    /// <summary>Records the step's time and the peak memory so far, then passes it on.</summary>
    public void StageFinished(string stage, double seconds, string summary)
    {
        lock (_steps)
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            _steps.Add((stage, seconds, process.PeakWorkingSet64));
        }

        inner.StageFinished(stage, seconds, summary);
    }

    /// <inheritdoc/>
    public void Warn(string message) => inner.Warn(message);

    /// <inheritdoc/>
    public void Info(string message) => inner.Info(message);
}
