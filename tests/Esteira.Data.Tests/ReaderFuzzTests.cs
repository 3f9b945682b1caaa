using System.Diagnostics;
using System.IO.Compression;
using Xunit.Abstractions;

namespace Esteira.Data.Tests;

using Cli = Esteira.Testing.Cli;

/// <summary>
/// Seeded damage over the bundled sample's files (issue 13): every truncation and every field merge is refused as bad input
/// (exit 2, one line), and no damage (byte flips included) ever ends in a crash or a stack trace. The reader runs in-process
/// with the CLI's mapping of exceptions to exit codes; a few cases run the CLI itself to prove that mapping.
/// </summary>
public sealed class ReaderFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261201;
    private const int CasesPerFileAndKind = 3;

    private static readonly string SampleDir = Path.Combine(AppContext.BaseDirectory, "samples", "bdg2-electricity-2016") is var bundled && Directory.Exists(bundled)
        ? bundled
        : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "samples", "bdg2-electricity-2016"));

    private static readonly Lazy<Dictionary<string, (byte[] Gz, byte[] Text)>> Sample = new(() =>
        GepiiiReader.Files.ToDictionary(f => f, f =>
        {
            var gz = File.ReadAllBytes(Path.Combine(SampleDir, f + ".gz"));
            using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
            using var text = new MemoryStream();
            input.CopyTo(text);
            return (gz, text.ToArray());
        }));

    internal enum Damage
    {
        /// <summary>The .gz cut at a random byte.</summary>
        Truncate,

        /// <summary>A newline removed, so two lines become one (re-gzipped).</summary>
        MergeFields,

        /// <summary>One byte of the .gz XORed with a random non-zero value.</summary>
        FlipCompressed,

        /// <summary>One byte of the text XORed with a random non-zero value (written plain).</summary>
        FlipText,
    }

    internal sealed record Case(Damage Kind, string File, int Offset, byte Mask)
    {
        public override string ToString() => $"{Kind} {File} @{Offset}{(Mask != 0 ? $" ^0x{Mask:X2}" : "")}";
    }

    /// <summary>The seeded cases: for each file and kind, <see cref="CasesPerFileAndKind"/> random positions.</summary>
    internal static List<Case> Cases()
    {
        var random = new Random(Seed);
        var cases = new List<Case>();
        foreach (var kind in Enum.GetValues<Damage>())
        {
            foreach (var file in GepiiiReader.Files)
            {
                var (gz, text) = Sample.Value[file];
                for (var i = 0; i < CasesPerFileAndKind; i++)
                {
                    cases.Add(kind switch
                    {
                        Damage.Truncate => new Case(kind, file, random.Next(1, gz.Length), 0),
                        Damage.MergeFields => new Case(kind, file, RandomNewline(text, random), 0),
                        Damage.FlipCompressed => new Case(kind, file, random.Next(gz.Length), (byte)random.Next(1, 256)),
                        _ => new Case(kind, file, random.Next(text.Length), (byte)random.Next(1, 256)),
                    });
                }
            }
        }

        return cases;
    }

    /// <summary>A newline that ends a line followed by another (removing the file's last newline merges nothing).</summary>
    private static int RandomNewline(byte[] text, Random random)
    {
        while (true)
        {
            var at = Array.IndexOf(text, (byte)'\n', random.Next(text.Length));
            if (at >= 0 && at < text.Length - 1)
            {
                return at;
            }
        }
    }

    /// <summary>Writes the sample with one damaged file into <paramref name="dir"/>.</summary>
    internal static void Write(Case c, string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var file in GepiiiReader.Files.Where(f => f != c.File))
        {
            File.WriteAllBytes(Path.Combine(dir, file + ".gz"), Sample.Value[file].Gz);
        }

        var (gz, text) = Sample.Value[c.File];
        switch (c.Kind)
        {
            case Damage.Truncate:
                File.WriteAllBytes(Path.Combine(dir, c.File + ".gz"), gz[..c.Offset]);
                break;
            case Damage.MergeFields:
                WriteGzip(Path.Combine(dir, c.File + ".gz"), [.. text.AsSpan(0, c.Offset), .. text.AsSpan(c.Offset + 1)]);
                break;
            case Damage.FlipCompressed:
                var flipped = gz.ToArray();
                flipped[c.Offset] ^= c.Mask;
                File.WriteAllBytes(Path.Combine(dir, c.File + ".gz"), flipped);
                break;
            default:
                var plain = text.ToArray();
                plain[c.Offset] ^= c.Mask;
                File.WriteAllBytes(Path.Combine(dir, c.File), plain);
                break;
        }
    }

    private static void WriteGzip(string path, byte[] bytes)
    {
        using var output = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        output.Write(bytes);
    }

    /// <summary>
    /// Reads the folder as <c>esteira run</c> does and maps the outcome as the CLI does: 0, or the exit code of the
    /// <see cref="EsteiraException"/> with its message. Anything else is returned as a crash (exit 1, the CLI's "unexpected failure").
    /// </summary>
    internal static (int Exit, string Message) ReadInProcess(string dir)
    {
        try
        {
            using var source = DatasetSource.Open(dir);
            GepiiiReader.Read(source);
            return (0, "");
        }
        catch (EsteiraException e)
        {
            return (ErrorCodes.ExitCode(e.Code), e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (1, $"unexpected failure ({e.GetType().Name}: {e.Message})\n{e.StackTrace}");
        }
    }

    private static bool MustBeRefused(Case c) => c.Kind is Damage.Truncate or Damage.MergeFields;

    /// <summary>What is wrong with an outcome, or null when it is what the rules ask.</summary>
    private static string? Verdict(Case c, int exit, string message)
    {
        if (exit is not (0 or 2))
        {
            return $"{c}: exit {exit}: {message}";
        }

        if (exit == 0 && MustBeRefused(c))
        {
            return $"{c}: read as if whole (exit 0)";
        }

        if (exit == 2 && (message.Contains('\n', StringComparison.Ordinal) || message.Contains("   at ", StringComparison.Ordinal) || message.Length == 0))
        {
            return $"{c}: not one line: {message}";
        }

        return null;
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Seeded_truncations_merges_and_byte_flips_are_refused_or_read_never_a_crash()
    {
        var cases = Cases();
        var root = Directory.CreateTempSubdirectory("esteira-fuzz-").FullName;
        var problems = new List<string>();
        var outcomes = new Dictionary<Damage, (int Refused, int Read)>();
        var clock = Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                var dir = Path.Combine(root, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Write(c, dir);
                var (exit, message) = ReadInProcess(dir);
                Directory.Delete(dir, recursive: true);
                if (Verdict(c, exit, message) is { } problem)
                {
                    problems.Add(problem);
                }

                var (refused, read) = outcomes.GetValueOrDefault(c.Kind);
                outcomes[c.Kind] = exit == 2 ? (refused + 1, read) : (refused, read + 1);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        output.WriteLine($"{cases.Count} cases (seed {Seed}) in {clock.Elapsed.TotalSeconds:0.0} s: "
            + string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value.Refused} refused / {o.Value.Read} read")));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void The_CLI_maps_damaged_input_to_exit_2_and_the_readers_one_line()
    {
        // One case of each refused kind, found by the in-process reader, run through the CLI itself.
        var root = Directory.CreateTempSubdirectory("esteira-fuzz-cli-").FullName;
        try
        {
            var chosen = Cases().GroupBy(c => c.Kind).Select(g => g.FirstOrDefault(c =>
            {
                var probe = Path.Combine(root, "probe");
                Write(c, probe);
                var exit = ReadInProcess(probe).Exit;
                Directory.Delete(probe, recursive: true);
                return exit == 2;
            })).OfType<Case>().ToList();
            Assert.True(chosen.Count >= 3, $"only {chosen.Count} kinds had a refused case");

            foreach (var c in chosen)
            {
                var dir = Path.Combine(root, c.Kind.ToString());
                Write(c, dir);
                var (_, expected) = ReadInProcess(dir);
                var (exit, stdout, stderr) = Cli.Esteira(root, "run", "--data", dir, "--out", Path.Combine(root, "out-" + c.Kind));
                output.WriteLine($"{c}: exit {exit}: {stderr.Trim()}");

                Assert.True(exit == 2, $"{c}: exit {exit}: {stderr}");
                Assert.Equal($"error: {expected.ReplaceLineEndings(" ")}", Assert.Single(stderr.Trim().Split('\n')));
                Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
                Assert.False(Directory.Exists(Path.Combine(root, "out-" + c.Kind)));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
