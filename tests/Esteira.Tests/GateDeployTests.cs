namespace Esteira.Tests;

/// <summary>The chain a CI pipeline runs: run (tracked, gated) → gate → deploy the champion, with the ledger guarding resends.</summary>
public sealed class GateDeployTests
{
    [Fact]
    public void A_gated_champion_is_deployed_once_and_a_resend_is_refused()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);

        var run = Cli.Esteira(root, "run", "--json");
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("\"tracked_run\":1", run.Out, StringComparison.Ordinal);
        Assert.Contains("\"gate_passed\":true", run.Out, StringComparison.Ordinal);

        var gate = Cli.Esteira(root, "gate");
        Assert.True(gate.Exit == 0, gate.Err);
        Assert.Contains("gate passed", gate.Out, StringComparison.Ordinal);

        var deploy = Cli.Esteira(root, "deploy");
        Assert.True(deploy.Exit == 0, deploy.Err);
        Assert.Contains("deploying champion run 1", deploy.Out, StringComparison.Ordinal);
        var sent = Directory.GetFiles(Path.Combine(root, "submissions"), "*.csv.gz");
        Assert.Single(sent);

        var ledger = Cli.Esteira(root, "submissions", "--json");
        Assert.True(ledger.Exit == 0, ledger.Err);
        Assert.Contains("\"runId\": 1", ledger.Out, StringComparison.Ordinal);
        Assert.Contains("\"cvScore\"", ledger.Out, StringComparison.Ordinal);
        Assert.Contains("\"status\": \"complete\"", ledger.Out, StringComparison.Ordinal);

        var again = Cli.Esteira(root, "deploy");
        Assert.Equal(2, again.Exit);
        Assert.Contains("rule 'duplicate'", again.Err, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Combine(root, "submissions"), "*.csv.gz"));
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
        File.WriteAllText(config, File.ReadAllText(config).Replace("max: 0.6", "max: 0.000001", StringComparison.Ordinal));

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
