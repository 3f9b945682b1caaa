using Esteira.Data.Submissions;
using Esteira.Deploy.Guard;
using Xunit;

namespace Esteira.Deploy.Tests;

public sealed class GuardTests
{
    private static GuardFacts Facts(Func<GuardFacts, GuardFacts>? change = null)
    {
        var facts = new GuardFacts
        {
            Target = "leaderboard",
            Competition = "c",
            FileName = "sub.csv",
            Sha256 = new string('a', 64),
            Rows = 10,
            Gate = GateSummary.Passed(),
            DailyLimit = 5,
            LedgerCountToday = 0,
        };
        return change is null ? facts : change(facts);
    }

    [Fact]
    public void A_good_file_with_a_passed_gate_and_budget_left_is_allowed()
    {
        Assert.True(SubmissionGuard.Evaluate(Facts(), new GuardOptions()).Allowed);
    }

    [Fact]
    public void A_format_error_is_refused_by_rule_check_with_line_and_column()
    {
        var decision = SubmissionGuard.Evaluate(Facts(f => f with { FormatError = new SubmissionFormatError(17, "meter_reading", "'-3' is not a finite number ≥ 0") }), new GuardOptions());
        var refusal = Assert.Single(decision.Refusals);
        Assert.Equal("check", refusal.Rule);
        Assert.Contains("sub.csv:17 column 'meter_reading'", refusal.Message);
        var error = Assert.Throws<EsteiraException>(decision.ThrowIfRefused);
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.StartsWith("not sent, rule 'check':", error.Message);
    }

    [Fact]
    public void A_missing_sample_is_a_check_refusal_that_names_the_flag()
    {
        var decision = SubmissionGuard.Evaluate(Facts(f => f with { CheckUnavailable = "no sample" }), new GuardOptions());
        Assert.Contains("--sample", Assert.Single(decision.Refusals).Message);
    }

    [Theory]
    [InlineData(GateState.Failed)]
    [InlineData(GateState.NotEvaluated)]
    public void The_gate_must_pass_unless_overridden(GateState state)
    {
        var facts = Facts(f => f with { Gate = new GateSummary(state, "CV 0.41 > champion 0.40") });
        var refusal = Assert.Single(SubmissionGuard.Evaluate(facts, new GuardOptions()).Refusals);
        Assert.Equal("gate", refusal.Rule);
        Assert.Equal(ErrorCode.GateFailed, refusal.Code);
        Assert.Contains("--override-gate", refusal.Message);
        Assert.True(SubmissionGuard.Evaluate(facts, new GuardOptions { OverrideGate = true }).Allowed);
    }

    [Fact]
    public void The_servers_remaining_count_wins_over_the_ledger()
    {
        var serverSaysNone = Facts(f => f with { ServerRemainingToday = 0, LedgerCountToday = 0 });
        Assert.Equal("budget", Assert.Single(SubmissionGuard.Evaluate(serverSaysNone, new GuardOptions()).Refusals).Rule);

        var serverSaysSome = Facts(f => f with { ServerRemainingToday = 2, LedgerCountToday = 99 });
        Assert.True(SubmissionGuard.Evaluate(serverSaysSome, new GuardOptions()).Allowed);
    }

    [Fact]
    public void Without_a_server_count_the_ledger_is_compared_with_the_daily_limit()
    {
        var full = Facts(f => f with { LedgerCountToday = 5, DailyLimit = 5 });
        var refusal = Assert.Single(SubmissionGuard.Evaluate(full, new GuardOptions()).Refusals);
        Assert.Equal(ErrorCode.LimitExceeded, refusal.Code);
        Assert.Contains("00:00 UTC", refusal.Message);
        Assert.True(SubmissionGuard.Evaluate(Facts(f => f with { LedgerCountToday = 4 }), new GuardOptions()).Allowed);
        Assert.True(SubmissionGuard.Evaluate(Facts(f => f with { LedgerCountToday = 40, DailyLimit = null }), new GuardOptions()).Allowed);
    }

    [Fact]
    public void Resending_the_same_bytes_is_refused_unless_allowed()
    {
        var facts = Facts(f => f with { SameContent = [new PriorSubmission(DateTimeOffset.UnixEpoch, "42", "first")] });
        var refusal = Assert.Single(SubmissionGuard.Evaluate(facts, new GuardOptions()).Refusals);
        Assert.Equal("duplicate", refusal.Rule);
        Assert.Contains("--allow-duplicate", refusal.Message);
        Assert.Contains("as 42", refusal.Message);
        Assert.True(SubmissionGuard.Evaluate(facts, new GuardOptions { AllowDuplicate = true }).Allowed);
    }

    [Fact]
    public void Every_failing_rule_is_reported_and_the_first_is_thrown()
    {
        var facts = Facts(f => f with { Gate = GateSummary.Failed("worse"), LedgerCountToday = 5, SameContent = [new PriorSubmission(DateTimeOffset.UnixEpoch, null, null)] });
        var decision = SubmissionGuard.Evaluate(facts, new GuardOptions());
        Assert.Equal(["gate", "budget", "duplicate"], decision.Refusals.Select(r => r.Rule));
        var error = Assert.Throws<EsteiraException>(decision.ThrowIfRefused);
        Assert.Contains("also refused by: budget, duplicate", error.Message);
    }

    [Fact]
    public void The_day_starts_at_midnight_utc()
    {
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 0, 0, 0, TimeSpan.Zero), SubmissionGuard.StartOfUtcDay(new DateTimeOffset(2026, 3, 4, 1, 30, 0, TimeSpan.FromHours(2))).AddDays(1));
    }
}
