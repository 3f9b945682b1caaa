using Esteira.Pipeline;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Esteira.Cli;

/// <summary>Renders stages as Spectre progress bars with a rows-per-second column.</summary>
internal sealed class ProgressObserver(IAnsiConsole console) : IRunObserver
{
    private ProgressContext? _context;
    private ProgressTask? _task;
    private readonly List<string> _warnings = [];
    private readonly Dictionary<int, string> _units = [];
    private readonly List<string> _infos = [];

    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Runs <paramref name="work"/> with the progress bars on screen; its stages report to this observer.</summary>
    public Task<T> RunAsync<T>(Func<Task<T>> work) =>
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RateColumn(_units), new ElapsedTimeColumn())
            .StartAsync(ctx =>
            {
                _context = ctx;
                return work();
            });

    public void StageStarted(string stage, long? total, string unit)
    {
        _task = _context!.AddTask(stage.PadRight(9), maxValue: Math.Max(1, total ?? 1));
        _units[_task.Id] = unit;
        if (total is null)
        {
            _task.IsIndeterminate = true;
        }
    }

    public void Progress(long done)
    {
        if (_task is null)
        {
            return;
        }

        if (_task.IsIndeterminate)
        {
            _task.MaxValue = Math.Max(_task.MaxValue, done);
        }

        _task.Value = Math.Min(done, _task.MaxValue);
    }

    public void StageFinished(string stage, double seconds, string summary)
    {
        if (_task is null)
        {
            return;
        }

        _task.IsIndeterminate = false;
        _task.Value = _task.MaxValue;
        _task.Description = $"{stage,-9} [grey]{Markup.Escape(summary)}[/]";
        _task.StopTask();
    }

    public void Warn(string message) => _warnings.Add(message);

    /// <summary>Plain news is printed before the bars start and collected while they run.</summary>
    public void Info(string message)
    {
        if (_context is null)
        {
            console.MarkupLineInterpolated($"[grey]{message}[/]");
        }
        else
        {
            _infos.Add(message);
        }
    }

    public IReadOnlyList<string> Infos => _infos;

    /// <summary>Units per second of the task, e.g. "1.2M rows/s".</summary>
    private sealed class RateColumn(Dictionary<int, string> units) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var unit = units.GetValueOrDefault(task.Id, "");
            var elapsed = task.ElapsedTime?.TotalSeconds ?? 0;
            if (elapsed <= 0 || task.IsIndeterminate)
            {
                return new Text("");
            }

            var rate = task.Value / elapsed;
            var text = rate >= 1e6 ? $"{rate / 1e6:F1}M" : rate >= 1e3 ? $"{rate / 1e3:F0}k" : $"{rate:F1}";
            return new Markup($"[cyan]{text} {Markup.Escape(unit)}/s[/]");
        }
    }
}
