namespace Esteira.Pipeline.Cache;

/// <summary>
/// An exclusive lock on a workspace's <c>.esteira/</c>, held for the whole run. It is an OS file lock, so a killed
/// process releases it; a second run gets a clear message instead of corrupting the cache.
/// </summary>
public sealed class WorkspaceLock : IDisposable
{
    private readonly FileStream _stream;

    private WorkspaceLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock on <paramref name="esteiraFolder"/> (creating it); throws a conflict error naming the holder's pid when another run holds it.</summary>
    public static WorkspaceLock Acquire(string esteiraFolder)
    {
        Directory.CreateDirectory(esteiraFolder);
        var path = Path.Combine(esteiraFolder, "lock");
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

            // The locked file cannot be read by others, so the holder's pid goes beside it.
            File.WriteAllText(path + ".pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return new WorkspaceLock(stream);
        }
        catch (IOException)
        {
            var holder = "";
            try
            {
                holder = File.ReadAllText(path + ".pid").Trim();
            }
            catch (IOException)
            {
            }

            throw new EsteiraException(ErrorCode.Conflict,
                $"{esteiraFolder}: another esteira run{(holder.Length > 0 ? $" (pid {holder})" : "")} is using this workspace; wait for it to finish, then run again");
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _stream.Dispose();
}
