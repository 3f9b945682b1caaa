using System.Security.Cryptography;
using Esteira.Deploy.Guard;
using Esteira.Deploy.Targets;
using Esteira.Tracking;
using Xunit;

namespace Esteira.Deploy.Tests;

/// <summary>
/// The tracking store's submission ledger as the guard's one history, and the one-time import of the deploy log that
/// earlier versions kept in <c>.esteira/deploy-log.jsonl</c>.
/// </summary>
public sealed class LedgerHistoryTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 5, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task An_old_deploy_log_is_imported_once_and_the_guard_counts_and_refuses_by_it()
    {
        // Given an old log with two submissions today, one of them these exact bytes, and a torn last line
        var comp = TinyCompetition.Create(_temp.Path);
        var path = _temp.Combine("submission.csv");
        comp.WriteSubmission(path, (_, y) => y);
        var sha = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path)));
        var oldLog = _temp.Combine(".esteira", "deploy-log.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(oldLog)!);
        await File.WriteAllTextAsync(oldLog,
            $$"""{"target":"folder","competition":"tiny-comp","sha256":"{{sha}}","at":"2026-03-05T01:00:00+00:00","reference":"41","message":"first","state":"Complete","publicScore":"1.25"}""" + "\n" +
            $$"""{"target":"folder","competition":"tiny-comp","sha256":"{{new string('b', 64)}}","at":"2026-03-05T02:00:00+00:00","reference":"42","message":"see postgresql://ana:s3cret@db/x","state":"Error","publicScore":null}""" + "\n" +
            """{"target":"folder","compet""");

        // When the ledger is opened
        var told = new List<string>();
        await using (var ledger = await TestLedgers.OpenAsync(_temp, _time, told.Add))
        {
            // Then it says so in one line, and the old file is renamed so it is not read again
            Assert.StartsWith($"imported 2 submissions from {oldLog} into the submission ledger of ", Assert.Single(told), StringComparison.Ordinal);
            Assert.EndsWith("; the old log is now deploy-log.jsonl.imported", told[0], StringComparison.Ordinal);
            Assert.False(File.Exists(oldLog));
            Assert.True(File.Exists(oldLog + ".imported"));

            // And the budget counts both (an ERROR took its slot too), and the same bytes are refused as a duplicate
            var target = new FolderTarget(_temp.Combine("handoff"), "tiny-comp", _time);
            var request = new DeployRequest { FilePath = path, SamplePath = comp.SamplePath, Options = new GuardOptions { OverrideGate = true } };
            var facts = await Deployer.GatherFactsAsync(request, target, ledger, _time);
            Assert.Equal(2, facts.LedgerCountToday);
            Assert.Equal(["budget", "duplicate"], SubmissionGuard.Evaluate(facts with { DailyLimit = 2 }, request.Options).Refusals.Select(r => r.Rule));
            var duplicate = await Assert.ThrowsAsync<EsteiraException>(() => Deployer.DeployAsync(request, target, ledger, _time));
            Assert.Contains("rule 'duplicate'", duplicate.Message, StringComparison.Ordinal);
            Assert.Contains("as 41 at 2026-03-05 01:00 UTC", duplicate.Message, StringComparison.Ordinal);

            // And the rows keep their times, states and scores, with the password masked
            var rows = await ledger.Store.ListSubmissionsAsync(new SubmissionQuery { Target = "folder/tiny-comp" });
            Assert.Equal([("42", SubmissionStatus.Error, (double?)null), ("41", SubmissionStatus.Complete, 1.25)],
                rows.Select(r => (r.ExternalId, r.Status, r.PublicScore)));
            Assert.Equal(new DateTimeOffset(2026, 3, 5, 1, 0, 0, TimeSpan.Zero), rows[1].SubmittedAt);
            Assert.DoesNotContain("s3cret", rows[0].Message, StringComparison.Ordinal);
        }

        // When it is opened again, nothing is imported; and a log put back by hand adds nothing either
        told.Clear();
        await using (var again = await TestLedgers.OpenAsync(_temp, _time, told.Add))
        {
            Assert.Empty(told);
            Assert.Equal(2, await again.CountSinceAsync("folder", "tiny-comp", SubmissionGuard.StartOfUtcDay(_time.GetUtcNow())));
        }

        File.Copy(oldLog + ".imported", oldLog);
        await using (var restored = await TestLedgers.OpenAsync(_temp, _time, told.Add))
        {
            Assert.StartsWith("imported 0 submissions", Assert.Single(told), StringComparison.Ordinal);
            Assert.Contains("(2 already there)", told[0], StringComparison.Ordinal);
            Assert.True(File.Exists(oldLog + ".imported.2"));
            Assert.Equal(2, await restored.CountSinceAsync("folder", "tiny-comp", DateTimeOffset.UnixEpoch));
        }
    }

    [Fact]
    public async Task A_recorded_deploy_is_counted_from_midnight_utc_and_refused_as_a_duplicate_unless_allowed()
    {
        // Given a deploy recorded in the ledger at 23:30 UTC
        var comp = TinyCompetition.Create(_temp.Path);
        var path = _temp.Combine("submission.csv");
        comp.WriteSubmission(path, (_, y) => y);
        _time.SetUtcNow(new DateTimeOffset(2026, 3, 5, 23, 30, 0, TimeSpan.Zero));
        var target = new FolderTarget(_temp.Combine("handoff"), "tiny-comp", _time);
        var request = new DeployRequest { FilePath = path, Message = "m", SamplePath = comp.SamplePath, Options = new GuardOptions { OverrideGate = true } };
        await using var ledger = await TestLedgers.OpenAsync(_temp, _time);
        await ledger.RecordAsync(target.Kind, target.Competition, await Deployer.DeployAsync(request, target, ledger, _time), request.Message);

        // Then it counts today, not after the reset at 00:00 UTC
        Assert.Equal(1, (await Deployer.GatherFactsAsync(request, target, ledger, _time)).LedgerCountToday);
        _time.Advance(TimeSpan.FromHours(1));
        var tomorrow = await Deployer.GatherFactsAsync(request, target, ledger, _time);
        Assert.Equal(0, tomorrow.LedgerCountToday);

        // And the same bytes are refused on any day, unless --allow-duplicate
        Assert.Equal(ErrorCode.Conflict, (await Assert.ThrowsAsync<EsteiraException>(() => Deployer.DeployAsync(request, target, ledger, _time))).Code);
        var again = await Deployer.DeployAsync(request with { Options = request.Options with { AllowDuplicate = true } }, target, ledger, _time);
        Assert.Equal(SubmissionStatus.Complete, again.Outcome.State);
    }
}
