using Esteira.Deploy.Guard;
using Esteira.Deploy.Targets;
using Xunit;

namespace Esteira.Deploy.Tests;

public sealed class FolderTargetTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task The_folder_target_copies_the_checked_file_under_a_unique_name_and_lists_it()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        var path = _temp.Combine("submission.csv");
        comp.WriteSubmission(path, (_, y) => y);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 2, 3, 4, 5, 6, TimeSpan.Zero));
        var target = new FolderTarget(_temp.Combine("handoff"), "tiny-comp", time);
        await using var log = await TestLedgers.OpenAsync(_temp, time);
        var request = new DeployRequest { FilePath = path, Message = "to the ops team", SamplePath = comp.SamplePath, Options = new GuardOptions { OverrideGate = true } };

        var result = await Deployer.DeployAsync(request, target, log, time);
        await log.RecordAsync(target.Kind, target.Competition, result, request.Message);

        Assert.Equal(SubmissionStatus.Complete, result.Outcome.State);
        Assert.StartsWith("20260203T040506Z-" + result.Facts.Sha256[..12], result.Outcome.Reference);
        Assert.Equal(await File.ReadAllBytesAsync(path), await File.ReadAllBytesAsync(result.Outcome.Location!));
        var listed = Assert.Single(await target.ListAsync());
        Assert.Equal("to the ops team", listed.Description);
        Assert.Equal("submission.csv", listed.FileName);

        var duplicate = await Assert.ThrowsAsync<EsteiraException>(() => Deployer.DeployAsync(request, target, log, time));
        Assert.Contains("rule 'duplicate'", duplicate.Message);
    }

    [Fact]
    public async Task Targets_are_chosen_by_name_and_a_missing_server_or_competition_is_a_usage_error()
    {
        var env = new Dictionary<string, string?> { ["KAGGLE_USERNAME"] = "u", ["KAGGLE_KEY"] = "k" };
        Assert.IsType<FolderTarget>(await SubmissionTargets.CreateAsync(new TargetSpec { Kind = "folder", Destination = _temp.Path }, env));
        Assert.Equal(ErrorCode.Usage, (await Assert.ThrowsAsync<EsteiraException>(() => SubmissionTargets.CreateAsync(new TargetSpec { Kind = "leaderboard" }, env))).Code);
        Assert.Equal(ErrorCode.Usage, (await Assert.ThrowsAsync<EsteiraException>(() => SubmissionTargets.CreateAsync(new TargetSpec { Kind = "kaggle" }, env))).Code);
        Assert.Equal(ErrorCode.Usage, (await Assert.ThrowsAsync<EsteiraException>(() => SubmissionTargets.CreateAsync(new TargetSpec { Kind = "s3" }, env))).Code);
        var kaggle = await SubmissionTargets.CreateAsync(new TargetSpec { Kind = "kaggle", Competition = "ashrae-energy-prediction" }, env);
        Assert.Equal("ashrae-energy-prediction", kaggle.Competition);
        ((IDisposable)kaggle).Dispose();
    }
}
