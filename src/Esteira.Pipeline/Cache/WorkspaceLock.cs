namespace Esteira.Pipeline.Cache;

/// <summary>
/// An exclusive lock on a workspace's <c>.esteira/</c>, held for the whole run. It is an OS file lock, so a killed
/// process releases it; a second run gets a clear message instead of corrupting the cache.
/// </summary>
public sealed class WorkspaceLock : IDisposable
{
    private readonly FileStream _stream;

    private WorkspaceLock(FileStream stream) => _stream = stream;

    public static WorkspaceLock Acquire(string esteiraFolder)
    {
        Directory.CreateDirectory(esteiraFolder);
        var path = Path.Combine(esteiraFolder, "lock");
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            stream.Write(pid);
            stream.Flush();
            return new WorkspaceLock(stream);
        }
        catch (IOException)
        {
            var holder = "";
            try
            {
                using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                holder = new StreamReader(reader).ReadToEnd().Trim();
            }
            catch (IOException)
            {
            }

            throw new EsteiraException(ErrorCode.Conflict,
                $"{esteiraFolder}: another esteira run{(holder.Length > 0 ? $" (pid {holder})" : "")} is using this workspace; wait for it to finish, then run again");
        }
    }

    public void Dispose() => _stream.Dispose();
}
