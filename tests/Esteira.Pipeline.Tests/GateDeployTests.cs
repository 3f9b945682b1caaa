namespace Esteira.Pipeline.Tests;

using Cli = Esteira.Testing.Cli;

/// <summary>The chain a CI pipeline runs: run (tracked, gated) → gate → deploy the champion, with the ledger guarding resends.</summary>
public sealed class GateDeployTests
{
    [Fact]
    [Trait("Category", "Slow")] // several esteira processes end to end (7-17 s): CI runs it, the inner loop does not
    public void A_gated_champion_is_deployed_once_and_a_resend_is_refused()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);

        var run = Cli.Esteira(root, "run", "--json");
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("\"tracked_run\":1", run.Out, StringComparison.Ordinal);
        Assert.Contains("\"gate_passed\":true", run.Out, StringComparison.Ordinal);

        // The gate job of the same commit finds the champion's own run: nothing to decide, nothing refused.
        var gate = Cli.Esteira(root, "gate");
        Assert.True(gate.Exit == 0, gate.Err);
        Assert.Contains("baseline (run 1): reproduces the champion", gate.Out, StringComparison.Ordinal);

        var deploy = Cli.Esteira(root, "deploy");
        Assert.True(deploy.Exit == 0, deploy.Err);
        Assert.Contains("deploying champion run 1", deploy.Out, StringComparison.Ordinal);
        var sent = Directory.GetFiles(Path.Combine(root, "submissions"), "*.csv.gz");
        Assert.Single(sent);

        var ledger = Cli.Esteira(root, "submissions", "--json");
        Assert.True(ledger.Exit == 0, ledger.Err);
        Assert.Contains("\"run_id\": 1", ledger.Out, StringComparison.Ordinal);
        Assert.Contains("\"cv_score\"", ledger.Out, StringComparison.Ordinal);
        Assert.Contains("\"status\": \"complete\"", ledger.Out, StringComparison.Ordinal);

        // The champion did not change: a second deploy (a second main pipeline) sends nothing and says so.
        var again = Cli.Esteira(root, "deploy");
        Assert.True(again.Exit == 0, again.Err);
        Assert.Contains("nothing new to send", again.Out, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Combine(root, "submissions"), "*.csv.gz"));

        // Forcing it past that rule still meets the guard's duplicate rule: the same bytes are never sent twice.
        var forced = Cli.Esteira(root, "deploy", "--allow-duplicate");
        Assert.True(forced.Exit == 0, forced.Err);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(root, "submissions"), "*.csv.gz").Length);
    }

    [Fact]
    [Trait("Category", "Slow")] // several esteira processes end to end (7-17 s): CI runs it, the inner loop does not
    public void Experiments_compete_with_one_workspace_champion_and_a_worse_one_is_refused()
    {
        using var ds = new TempDataset();
        // On this small synthetic set the level baseline alone (one round of a vanishing learning rate) beats a forest that
        // overfits it: measured CV 0.0790 against 0.0825.
        var root = WorkspaceTests.Create(ds, "kind: lightgbm\nparams:\n  iterations: 1\n  leaves: 2\n  learning_rate: 0.000001\n");
        var first = Cli.Esteira(root, "run");
        Assert.True(first.Exit == 0, first.Err);
        Assert.Contains("run 1 is now the champion of ashrae-energy-prediction", first.Out, StringComparison.Ordinal);

        // A worse experiment added beside it, gated without promotion as a merge request is.
        Directory.CreateDirectory(Path.Combine(root, "experiments", "worse"));
        File.WriteAllText(Path.Combine(root, "experiments", "worse", "experiment.yaml"), "kind: lightgbm\nparams:\n  iterations: 60\n  leaves: 15\n");
        var mr = Cli.Esteira(root, "run", "--no-promote");
        Assert.True(mr.Exit == 0, mr.Err);
        Assert.Contains("baseline (run 2): reproduces the champion", mr.Out, StringComparison.Ordinal);
        Assert.True(mr.Out.Contains("worse (run 3): REFUSED", StringComparison.Ordinal), mr.Out);
        Assert.Contains("model reused from the cache", mr.Out, StringComparison.Ordinal);

        var gate = Cli.Esteira(root, "gate", "--promote");
        Assert.Equal(1, gate.Exit);
        Assert.Contains("the gate refused worse", gate.Err, StringComparison.Ordinal);
        Assert.Contains("worse (run 3): REFUSED", gate.Out, StringComparison.Ordinal);

        var deploy = Cli.Esteira(root, "deploy");
        Assert.True(deploy.Exit == 0, deploy.Err);
        Assert.Contains("deploying champion run 1 (baseline", deploy.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Cv_public_correlation_matches_hand_computed_values()
    {
        // Perfectly aligned, perfectly opposed, and too few pairs to say.
        Assert.Equal(1.0, Esteira.Cli.Commands.Deploy.LedgerCommand.Pearson([(0.1, 0.2), (0.2, 0.3), (0.3, 0.4)])!.Value, 9);
        Assert.Equal(-1.0, Esteira.Cli.Commands.Deploy.LedgerCommand.Pearson([(0.1, 0.4), (0.2, 0.3), (0.3, 0.2)])!.Value, 9);
        Assert.Null(Esteira.Cli.Commands.Deploy.LedgerCommand.Pearson([(0.1, 0.4), (0.2, 0.3)]));

        // x = 1,2,3,4; y = 1,3,2,4: r = 0.8
        Assert.Equal(0.8, Esteira.Cli.Commands.Deploy.LedgerCommand.Pearson([(1, 1), (2, 3), (3, 2), (4, 4)])!.Value, 9);
    }

    [Fact]
    public void A_refused_challenger_fails_the_run_in_ci_mode_and_the_gate_command()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var config = Path.Combine(root, "esteira.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("# max: 1.0", "max: 0.000001", StringComparison.Ordinal));

        var run = Cli.Esteira(root, "run", "--ci");
        Assert.Equal(1, run.Exit);
        Assert.Contains("the gate refused baseline", run.Err, StringComparison.Ordinal);
        Assert.Contains("FAIL", run.Out, StringComparison.Ordinal);
        Assert.Equal(1, Cli.Esteira(root, "gate").Exit);
        var deploy = Cli.Esteira(root, "deploy");
        Assert.Equal(2, deploy.Exit);
        Assert.Contains("no champion", deploy.Err, StringComparison.Ordinal);
    }
}
