using System.Net.Http.Headers;
using System.Text;

namespace Esteira.Leaderboard;

/// <summary>
/// Who a caller is: the competition's teams (their keys hashed) and the failed-login throttle, per claimed team and per
/// client address. The <see cref="TeamAuthenticationHandler"/> asks it for every Kaggle API call; the token introspection
/// and the login page ask it directly.
/// </summary>
/// <remarks>Thread-safe; the team list is fixed when the server starts.</remarks>
public sealed class TeamAuthenticator
{
    /// <summary>Per client address, this many times a team's failed-login limit (several teams may share one address).</summary>
    private const int AddressFailureFactor = 3;

    private readonly CompetitionDefinition _competition;
    private readonly LoginThrottle _teamLogins;
    private readonly LoginThrottle _addressLogins;

    /// <summary>Creates the authenticator of <paramref name="teams"/>, as <see cref="RegisterTeamsAsync"/> returned them.</summary>
    public TeamAuthenticator(CompetitionDefinition competition, IReadOnlyList<TeamRecord> teams, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(competition);
        _competition = competition;
        Teams = teams;
        _teamLogins = new LoginThrottle(time, competition.LoginMaxFailures, competition.LoginWindow);
        _addressLogins = new LoginThrottle(time, competition.LoginMaxFailures * AddressFailureFactor, competition.LoginWindow);
    }

    /// <summary>Every team of the competition, in the store's order.</summary>
    public IReadOnlyList<TeamRecord> Teams { get; }

    /// <summary>Registers the competition's teams and <paramref name="extraTeams"/> (their keys hashed) in an initialised store; returns all its teams.</summary>
    public static async Task<IReadOnlyList<TeamRecord>> RegisterTeamsAsync(ILeaderboardStore store, CompetitionDefinition competition, IEnumerable<TeamKey> extraTeams,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(competition);
        var existing = (await store.ListTeamsAsync(competition.Name, cancellationToken)).ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var team in competition.Teams.Concat(extraTeams))
        {
            if (!existing.TryGetValue(team.Name, out var known) || !TeamSecrets.Verify(known, team.Key))
            {
                var (salt, hash) = TeamSecrets.Hash(team.Key);
                await store.UpsertTeamAsync(competition.Name, team.Name, salt, hash, cancellationToken);
            }
        }

        return await store.ListTeamsAsync(competition.Name, cancellationToken);
    }

    /// <summary>The team called <paramref name="name"/>, or null.</summary>
    public TeamRecord? Find(string? name) => name is null ? null : Teams.FirstOrDefault(t => t.Name == name);

    /// <summary>
    /// The team named by the header, or null when it matches none (counted as a failed login of the claimed team and of
    /// <paramref name="address"/>).
    /// </summary>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.LimitExceeded"/> (HTTP 429 with Retry-After): too many failed logins of
    /// this team or from this address in the current window; the key is not even checked.</exception>
    public TeamRecord? Authenticate(string? authorization, string address)
    {
        var claimed = ClaimedTeam(authorization);
        var teamKey = claimed is null ? null : "team:" + claimed;
        var addressKey = "address:" + address;
        var wait = _addressLogins.RetryAfter(addressKey) ?? (teamKey is null ? null : _teamLogins.RetryAfter(teamKey));
        if (wait is { } retry)
        {
            var seconds = (int)Math.Ceiling(retry.TotalSeconds);
            var (who, max) = teamKey is not null && _teamLogins.RetryAfter(teamKey) is not null
                ? ($"for team '{claimed}'", _teamLogins.MaxFailures)
                : ("from this address", _addressLogins.MaxFailures);
            var error = new EsteiraException(ErrorCode.LimitExceeded,
                $"too many failed logins {who} ({max} within {_competition.LoginWindow.TotalSeconds:0} s); try again in {seconds} s with the right key");
            error.Data[ApiErrors.RetryAfterKey] = seconds;
            throw error;
        }

        var team = Authenticate(authorization);
        if (team is null && !string.IsNullOrWhiteSpace(authorization))
        {
            _addressLogins.Fail(addressKey);
            if (teamKey is not null)
            {
                _teamLogins.Fail(teamKey);
            }
        }

        return team;
    }

    /// <summary>The team named by a Basic (team:key) or Bearer (key) header, or null when it matches none (not throttled).</summary>
    public TeamRecord? Authenticate(string? authorization)
    {
        if (string.IsNullOrWhiteSpace(authorization) || !AuthenticationHeaderValue.TryParse(authorization, out var header) || header.Parameter is null)
        {
            return null;
        }

        if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            }
            catch (FormatException)
            {
                return null;
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return null;
            }

            var team = Find(decoded[..colon]);
            return team is not null && TeamSecrets.Verify(team, decoded[(colon + 1)..]) ? team : null;
        }

        if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return Teams.FirstOrDefault(t => TeamSecrets.Verify(t, header.Parameter));
        }

        return null;
    }

    /// <summary>The known team a Basic header names (whatever its key), or null.</summary>
    private string? ClaimedTeam(string? authorization)
    {
        if (string.IsNullOrWhiteSpace(authorization) || !AuthenticationHeaderValue.TryParse(authorization, out var header) || header.Parameter is null
            || !header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            var name = colon <= 0 ? null : decoded[..colon];
            return Find(name)?.Name;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
