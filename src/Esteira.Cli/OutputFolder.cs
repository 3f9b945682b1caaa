namespace Esteira.Cli;

/// <summary>Checks <c>--out</c> before any work, so that a bad folder is not found only after training.</summary>
internal static class OutputFolder
{
    /// <summary>
    /// Fails with a one-line <see cref="ErrorCode.BadInput"/> error when <paramref name="path"/> is a file,
    /// lies under a file, or its nearest existing folder cannot be written to. Creates nothing that stays.
    /// </summary>
    public static void CheckWritable(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw Bad(path, "is an existing file, expected a folder");
        }

        var existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                throw Bad(path, $"cannot be created: {existing} is a file");
            }

            existing = Path.GetDirectoryName(existing);
            if (existing is null)
            {
                return; // no existing ancestor (an unmounted drive): let the run report it
            }
        }

        var probe = Path.Combine(existing, $".esteira-write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw Bad(path, $"{existing} is not writable ({e.Message.TrimEnd('.')})");
        }
    }

    private static EsteiraException Bad(string path, string problem) =>
        new(ErrorCode.BadInput, $"--out {path}: {problem}; pass a folder you can write to");
}
