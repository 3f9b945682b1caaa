namespace Esteira.Leaderboard;

/// <summary>
/// The scoring queue: one first-in-first-out queue per team, served round robin, and never two of one team's submissions
/// at once. A team that sends ten files waits for its own; another team's file is next after the one being scored.
/// </summary>
/// <remarks>Safe for any number of producers and workers.</remarks>
internal sealed class FairQueue : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<long>> _queues = new(StringComparer.Ordinal);
    private readonly List<string> _turns = [];
    private readonly HashSet<string> _busy = new(StringComparer.Ordinal);
    private readonly HashSet<long> _queued = [];
    private readonly SemaphoreSlim _changed = new(0);

    /// <summary>Queues a submission of <paramref name="team"/>; a ref already queued is ignored.</summary>
    public void Enqueue(string team, long submissionRef)
    {
        lock (_lock)
        {
            if (!_queued.Add(submissionRef))
            {
                return;
            }

            if (!_queues.TryGetValue(team, out var queue))
            {
                _queues[team] = queue = new Queue<long>();
            }

            queue.Enqueue(submissionRef);
            if (!_turns.Contains(team, StringComparer.Ordinal))
            {
                _turns.Add(team);
            }
        }

        _changed.Release();
    }

    /// <summary>How many submissions wait (not counting those being scored).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _queued.Count;
            }
        }
    }

    /// <summary>
    /// The next submission: the first team in turn that is not being scored; the team goes to the back of the line. Call
    /// <see cref="Done"/> with the team when its submission is finished.
    /// </summary>
    public async Task<(string Team, long Ref)> DequeueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_lock)
            {
                for (var i = 0; i < _turns.Count; i++)
                {
                    var team = _turns[i];
                    if (_busy.Contains(team))
                    {
                        continue;
                    }

                    var queue = _queues[team];
                    var next = queue.Dequeue();
                    _queued.Remove(next);
                    _turns.RemoveAt(i);
                    if (queue.Count > 0)
                    {
                        _turns.Add(team);
                    }
                    else
                    {
                        _queues.Remove(team);
                    }

                    _busy.Add(team);
                    return (team, next);
                }
            }

            await _changed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Marks <paramref name="team"/>'s submission finished, so its next one may be scored.</summary>
    public void Done(string team)
    {
        lock (_lock)
        {
            _busy.Remove(team);
        }

        _changed.Release();
    }

    public void Dispose() => _changed.Dispose();
}
