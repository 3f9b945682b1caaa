using Esteira.Pipeline.Deployment;

namespace Esteira.Testing;

/// <summary>The guard's history as every deploy has it: the submission ledger of a SQLite tracking store in a temp folder.</summary>
public static class TestLedgers
{
    public static Task<LedgerHistory> OpenAsync(TempFolder temp, TimeProvider? time = null, Action<string>? report = null) =>
        LedgerHistory.OpenAsync(temp.Combine(Path.Combine(".esteira", "esteira.db")), temp.Path, time, report);
}
