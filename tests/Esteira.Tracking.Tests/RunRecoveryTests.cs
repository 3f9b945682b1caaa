using Xunit;

namespace Esteira.Tracking.Tests;

public sealed class RunRecoveryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static RunSummary Running(string host, TimeSpan sinceHeartbeat, RunStatus status = RunStatus.Running) => new()
    {
        Id = 1, Experiment = "e", Status = status, StartedAt = Now.AddHours(-1), HeartbeatAt = Now - sinceHeartbeat,
        Owner = new RunOwner(host, 4242, Now.AddHours(-1)),
    };

    [Fact]
    public void A_local_run_is_judged_by_its_process_not_its_heartbeat()
    {
        var alive = new StaleRunPolicy { LocalHost = "me", IsLocalOwnerAlive = _ => true };
        var dead = alive with { IsLocalOwnerAlive = _ => false };

        Assert.False(RunRecovery.IsStale(Running("me", TimeSpan.FromDays(1)), Now, alive));
        Assert.True(RunRecovery.IsStale(Running("me", TimeSpan.Zero), Now, dead));
    }

    [Fact]
    public void A_remote_run_is_judged_by_its_heartbeat()
    {
        var policy = new StaleRunPolicy { LocalHost = "me", RemoteHeartbeatTimeout = TimeSpan.FromMinutes(10), IsLocalOwnerAlive = _ => throw new InvalidOperationException("not local") };

        Assert.False(RunRecovery.IsStale(Running("other", TimeSpan.FromMinutes(9)), Now, policy));
        Assert.True(RunRecovery.IsStale(Running("other", TimeSpan.FromMinutes(11)), Now, policy));
    }

    [Fact]
    public void Ended_runs_are_never_stale()
    {
        var policy = new StaleRunPolicy { LocalHost = "me", IsLocalOwnerAlive = _ => false };

        Assert.False(RunRecovery.IsStale(Running("me", TimeSpan.FromDays(3), RunStatus.Finished), Now, policy));
    }

    [Fact]
    public void This_process_is_alive_and_a_reused_process_id_is_not_the_owner()
    {
        var me = RunOwner.Current();

        Assert.True(RunRecovery.IsProcessAlive(me));
        Assert.False(RunRecovery.IsProcessAlive(me with { ProcessStartedAt = me.ProcessStartedAt!.Value.AddHours(-1) }));
        Assert.False(RunRecovery.IsProcessAlive(me with { ProcessId = int.MaxValue - 7 }));
    }
}
