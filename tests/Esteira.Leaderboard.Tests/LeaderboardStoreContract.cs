using Xunit;

namespace Esteira.Leaderboard.Tests;

/// <summary>What every <see cref="ILeaderboardStore"/> must do; derived once per implementation.</summary>
public abstract class LeaderboardStoreContract : IAsyncLifetime
{
    private static readonly DateTime Day = new(2026, 5, 1, 0, 0, 0, DateTimeKind.Utc);
    private ILeaderboardStore _store = null!;

    protected string Competition { get; } = "c-" + Guid.NewGuid().ToString("N")[..12];

    protected abstract ILeaderboardStore CreateStore();

    public async Task InitializeAsync()
    {
        _store = CreateStore();
        await _store.InitializeAsync();
        await _store.InitializeAsync(); // idempotent
        var (salt, hash) = TeamSecrets.Hash("k");
        await _store.UpsertTeamAsync(Competition, "alice", salt, hash);
        await _store.UpsertTeamAsync(Competition, "bob", salt, hash);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private async Task<string> UploadAsync(string team, string sha = "")
    {
        var (_, tokenHash) = TeamSecrets.NewToken();
        await _store.CreateUploadAsync(Competition, new UploadRecord(tokenHash, team, "sub.csv", 10, Day, null, null));
        await _store.CompleteUploadAsync(Competition, tokenHash, sha.Length > 0 ? sha : new string('a', 64), 10);
        return tokenHash;
    }

    private Task<(SubmissionRecord Record, bool Created)> SubmitAsync(string team, string token, int limit = 5, int minute = 0) =>
        _store.CreateSubmissionAsync(Competition, new NewLeaderboardSubmission(team, token, "sub.csv", new string('a', 64), 10, "m", Day.AddHours(8).AddMinutes(minute)), limit, Day);

    [Fact]
    public async Task Teams_are_upserted_with_a_stable_id()
    {
        var before = await _store.ListTeamsAsync(Competition);
        var (salt, hash) = TeamSecrets.Hash("new-key");
        await _store.UpsertTeamAsync(Competition, "alice", salt, hash);
        var after = await _store.ListTeamsAsync(Competition);

        Assert.Equal(["alice", "bob"], after.Select(t => t.Name));
        Assert.Equal(before[0].Id, after[0].Id);
        Assert.True(TeamSecrets.Verify(after[0], "new-key"));
        Assert.False(TeamSecrets.Verify(after[0], "k"));
    }

    [Fact]
    public async Task Open_upload_bytes_count_only_unsubmitted_slots_and_expired_ones_are_deleted_with_their_orphaned_files()
    {
        var submitted = await UploadAsync("alice", new string('1', 64));
        await SubmitAsync("alice", submitted);
        await UploadAsync("alice", new string('2', 64));
        await UploadAsync("alice", new string('1', 64)); // the same bytes as the submitted file
        var (_, empty) = TeamSecrets.NewToken();
        await _store.CreateUploadAsync(Competition, new UploadRecord(empty, "alice", "e.csv", 500, Day.AddHours(2), null, null));
        await UploadAsync("bob", new string('3', 64));

        Assert.Equal(10 + 10 + 500, await _store.OpenUploadBytesAsync(Competition, "alice", Day));
        Assert.Equal(500, await _store.OpenUploadBytesAsync(Competition, "alice", Day.AddHours(1)));
        Assert.Equal(10, await _store.OpenUploadBytesAsync(Competition, "bob", Day));

        var orphans = await _store.DeleteExpiredUploadsAsync(Competition, Day.AddHours(1));

        Assert.Equal([new string('2', 64), new string('3', 64)], orphans.Order(StringComparer.Ordinal));
        Assert.NotNull(await _store.FindUploadAsync(Competition, submitted));
        Assert.NotNull(await _store.FindUploadAsync(Competition, empty));
        Assert.Equal(500, await _store.OpenUploadBytesAsync(Competition, "alice", Day));
        Assert.Empty(await _store.DeleteExpiredUploadsAsync(Competition, Day.AddHours(1)));
    }

    [Fact]
    public async Task Uploads_are_found_by_token_hash_and_completed()
    {
        var (_, tokenHash) = TeamSecrets.NewToken();
        await _store.CreateUploadAsync(Competition, new UploadRecord(tokenHash, "alice", "f.csv", 123, Day, null, null));
        Assert.Null((await _store.FindUploadAsync(Competition, tokenHash))!.ContentSha256);
        await _store.CompleteUploadAsync(Competition, tokenHash, new string('b', 64), 123);

        var found = await _store.FindUploadAsync(Competition, tokenHash);
        Assert.Equal(new string('b', 64), found!.ContentSha256);
        Assert.Equal(123, found.Size);
        Assert.Equal(Day, found.CreatedUtc);
        Assert.Null(await _store.FindUploadAsync("other-" + Competition, tokenHash));
    }

    [Fact]
    public async Task Creating_twice_with_one_upload_token_returns_the_same_submission()
    {
        var token = await UploadAsync("alice");
        var (first, created1) = await SubmitAsync("alice", token);
        var (second, created2) = await SubmitAsync("alice", token);

        Assert.True(created1);
        Assert.False(created2);
        Assert.Equal(first.Ref, second.Ref);
        Assert.Single(await _store.ListSubmissionsAsync(Competition, "alice"));
    }

    [Fact]
    public async Task The_daily_limit_counts_per_team_and_day_and_skips_uncounted_errors()
    {
        for (var i = 0; i < 2; i++)
        {
            await SubmitAsync("alice", await UploadAsync("alice"), limit: 2, minute: i);
        }

        var error = await Assert.ThrowsAsync<EsteiraException>(async () => await SubmitAsync("alice", await UploadAsync("alice"), limit: 2));
        Assert.Equal(ErrorCode.LimitExceeded, error.Code);
        Assert.Contains("2 of 2", error.Message);

        await SubmitAsync("bob", await UploadAsync("bob"), limit: 2);

        var newest = (await _store.ListSubmissionsAsync(Competition, "alice"))[0];
        await _store.FailSubmissionAsync(Competition, newest.Ref, "line 2 column 'row_id': bad", counts: false);
        Assert.Equal(1, await _store.CountSinceAsync(Competition, "alice", Day));
        var (_, created) = await SubmitAsync("alice", await UploadAsync("alice"), limit: 2, minute: 9);
        Assert.True(created);

        // Yesterday's submissions do not count today.
        Assert.Equal(0, await _store.CountSinceAsync(Competition, "alice", Day.AddDays(1)));
    }

    [Fact]
    public async Task Concurrent_creates_never_exceed_the_limit()
    {
        var tokens = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            tokens.Add(await UploadAsync("alice"));
        }

        var results = await Task.WhenAll(tokens.Select(async t =>
        {
            try
            {
                return (await SubmitAsync("alice", t, limit: 5)).Created;
            }
            catch (EsteiraException e) when (e.Code == ErrorCode.LimitExceeded)
            {
                return false;
            }
        }));

        Assert.Equal(5, results.Count(r => r));
        Assert.Equal(5, (await _store.ListSubmissionsAsync(Competition, "alice")).Count);
    }

    [Fact]
    public async Task Scores_and_errors_are_stored_once_and_only_for_pending_submissions()
    {
        var (a, _) = await SubmitAsync("alice", await UploadAsync("alice"), minute: 1);
        var (b, _) = await SubmitAsync("alice", await UploadAsync("alice"), minute: 2);
        Assert.Equal([a.Ref, b.Ref], await _store.ListPendingAsync(Competition));

        await _store.CompleteSubmissionAsync(Competition, a.Ref, 0.5, 0.6);
        await _store.FailSubmissionAsync(Competition, a.Ref, "too late", counts: false);
        await _store.FailSubmissionAsync(Competition, b.Ref, "line 3 column 'meter_reading': bad", counts: true);

        var storedA = await _store.GetSubmissionAsync(Competition, a.Ref);
        Assert.Equal(SubmissionStatus.Complete, storedA!.Status);
        Assert.Equal(0.5, storedA.PublicScore);
        Assert.Equal(0.6, storedA.PrivateScore);
        Assert.Null(storedA.ErrorDescription);
        var storedB = await _store.GetSubmissionAsync(Competition, b.Ref);
        Assert.Equal(SubmissionStatus.Error, storedB!.Status);
        Assert.True(storedB.Counts);
        Assert.Empty(await _store.ListPendingAsync(Competition));
        Assert.Equal([b.Ref, a.Ref], (await _store.ListSubmissionsAsync(Competition, null)).Select(s => s.Ref));
        Assert.Null(await _store.GetSubmissionAsync("other-" + Competition, a.Ref));
    }
}

public sealed class SqliteLeaderboardStoreTests : LeaderboardStoreContract, IDisposable
{
    private readonly TempFolder _temp = new();

    protected override ILeaderboardStore CreateStore() => new SqliteLeaderboardStore(_temp.Combine("state.db"));

    public void Dispose() => _temp.Dispose();
}

[Trait("Needs", "postgres")]
public sealed class PostgresLeaderboardStoreTests : LeaderboardStoreContract
{
    protected override ILeaderboardStore CreateStore()
    {
        var connection = TestServices.Postgres;
        return new PostgresLeaderboardStore(connection);
    }
}
