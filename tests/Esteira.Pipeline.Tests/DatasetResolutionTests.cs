
namespace Esteira.Pipeline.Tests;

/// <summary>
/// <see cref="RemoteDatasets"/> without a network: local paths pass through, a bad URI is refused before any download, and
/// a dataset already downloaded (or restored by a CI cache) is used as it is. The S3 download itself: <see cref="RemoteDatasetTests"/>.
/// </summary>
public sealed class DatasetResolutionTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("esteira-datasets-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public async Task A_local_path_is_returned_unchanged_and_nothing_is_said()
    {
        var said = new List<string>();
        Assert.Equal("data/train", await RemoteDatasets.ResolveAsync("data/train", _state, said.Add));
        Assert.Empty(said);
        Assert.False(Directory.Exists(Path.Combine(_state, "datasets")));
    }

    [Theory]
    [InlineData("kaggle://")]
    [InlineData("kaggle://owner/competition")]
    [InlineData("kaggle://../escape")]
    public async Task A_kaggle_uri_must_name_one_competition(string uri)
    {
        var e = await Assert.ThrowsAsync<EsteiraException>(() => RemoteDatasets.ResolveAsync(uri, _state, _ => { }));
        Assert.Equal(ErrorCode.BadInput, e.Code);
        Assert.Contains("expected kaggle://COMPETITION", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_downloaded_competition_is_reused_without_asking_kaggle()
    {
        // Given a workspace whose .esteira/datasets holds what an earlier download (or a CI cache) left
        var workspace = new Workspace(_state, "kaggle://ashrae-energy-prediction/", 3, false, null, null, null, null, []);
        var folder = Directory.CreateDirectory(Path.Combine(workspace.StateFolder, "datasets", "ashrae-energy-prediction")).FullName;
        var said = new List<string>();

        // When its dataset is resolved, with no credentials and no network
        var resolved = await RemoteDatasets.ResolveAsync(workspace, said.Add);

        // Then it is that folder, and nothing was downloaded
        Assert.Equal(folder, resolved.Dataset);
        Assert.Equal(folder, await RemoteDatasets.ResolveAsync("kaggle://ashrae-energy-prediction", workspace.StateFolder, said.Add));
        Assert.Empty(said);
    }
}
