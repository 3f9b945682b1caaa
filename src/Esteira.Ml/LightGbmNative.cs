using System.Runtime.InteropServices;

namespace Esteira.Ml;

/// <summary>
/// LightGBM's C API (lib_lightgbm from the LightGBM NuGet package). Called directly rather than through ML.NET
/// because ML.NET pulls every training row through an IDataView cursor on one thread and keeps its own copy:
/// at GEPIII's full scale that was a single busy core and about 12 GB. Here rows are binned straight from
/// feature columns in parallel chunks, one model's rows at a time.
/// OpenMP threads spin while they wait: fastest alone, but when something else wants the cores set
/// OMP_WAIT_POLICY=PASSIVE (measured on the sample: 10.6 s idle, 42 s beside a busy loop; passive 32 s and 22 s).
/// </summary>
internal static partial class LightGbmNative
{
    private const string Library = "lib_lightgbm";
    public const int Float32 = 0;
    public const int PredictNormal = 0;
    public const int ImportanceGain = 1;

    /// <summary>Throws a <see cref="ErrorCode.PipelineFailed"/> error with LightGBM's own message when a call failed.</summary>
    /// <exception cref="EsteiraException">The call returned non-zero.</exception>
    public static void Check(int result)
    {
        if (result != 0)
        {
            // LightGBM's message names the parameter or file it refused; one line, like every Esteira error.
            var message = (Marshal.PtrToStringUTF8(GetLastError()) ?? "unknown error").ReplaceLineEndings(" ");
            throw new EsteiraException(ErrorCode.PipelineFailed,
                $"LightGBM: {message}; check the model's parameters (esteira.yaml or --iterations, --leaves, --learning-rate) and rerun the stage");
        }
    }

    [LibraryImport(Library, EntryPoint = "LGBM_GetLastError")]
    private static partial IntPtr GetLastError();

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetCreateFromSampledColumn", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int DatasetCreateFromSampledColumn(
        double** sampleData, int** sampleIndices, int columns, int* perColumn, int sampleRows, int localRows, long distributedRows, string parameters, out DatasetHandle dataset);

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetPushRows")]
    public static unsafe partial int DatasetPushRows(DatasetHandle dataset, float* data, int dataType, int rows, int columns, int startRow);

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetSetField", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int DatasetSetField(DatasetHandle dataset, string field, float* data, int count, int dataType);

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetFree")]
    public static partial int DatasetFree(IntPtr dataset);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterCreate", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterCreate(DatasetHandle dataset, string parameters, out BoosterHandle booster);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterCreateFromModelfile", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterCreateFromModelfile(string path, out int iterations, out BoosterHandle booster);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterUpdateOneIter")]
    public static partial int BoosterUpdateOneIter(BoosterHandle booster, out int finished);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterPredictForMat", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int BoosterPredictForMat(
        BoosterHandle booster, float* data, int dataType, int rows, int columns, int rowMajor, int predictType, int startIteration, int iterations,
        string parameters, out long length, double* output);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterFeatureImportance")]
    public static unsafe partial int BoosterFeatureImportance(BoosterHandle booster, int iterations, int importanceType, double* output);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterGetNumFeature")]
    public static partial int BoosterGetNumFeature(BoosterHandle booster, out int features);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterSaveModel", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BoosterSaveModel(BoosterHandle booster, int startIteration, int iterations, int importanceType, string path);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterSaveModelToString")]
    public static unsafe partial int BoosterSaveModelToString(BoosterHandle booster, int startIteration, int iterations, int importanceType, long bufferLength, out long length, byte* output);

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetCreateByReference")]
    public static partial int DatasetCreateByReference(DatasetHandle reference, long rows, out DatasetHandle dataset);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterAddValidData")]
    public static partial int BoosterAddValidData(BoosterHandle booster, DatasetHandle valid);

    /// <summary>The booster's current scores of data set <paramref name="dataIndex"/> (0 training, 1 the first validation set), after the objective's output transform.</summary>
    [LibraryImport(Library, EntryPoint = "LGBM_BoosterGetPredict")]
    public static unsafe partial int BoosterGetPredict(BoosterHandle booster, int dataIndex, out long length, double* output);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterFree")]
    public static partial int BoosterFree(IntPtr booster);
}
