#!/usr/bin/env bash
# Scoring throughput: Esteira's compiled ensemble against LightGBM's own predictor (LGBM_BoosterPredictForMat), same
# rows, same thread count. Prints one line on stdout (details on stderr):
#   compiled N rows/s, lightgbm M rows/s, ratio R, identical yes|no
#
#   bench/predict.sh                 2M rows, 200 trees × 63 leaves, 32 features (FeatureBuilder.Names), 2 threads
#   bench/predict.sh --model FILE    score a saved LightGBM model.txt instead (e.g. a full-scale run's final model)
#   bench/predict.sh --rows N --threads N --repeats N --trees N --leaves N --no-build
#   bench/predict.sh --passive       OMP_WAIT_POLICY=PASSIVE for LightGBM: fairer to it when the 2 cores are shared
#
# Without --model, the model is trained once on SYNTHETIC rows (see bench/predict/Program.cs) and kept in
# $BENCH_PREDICT_DIR (default /tmp/esteira-bench-predict) for the next run; the scored rows are synthetic too.
# Exit code 1 when the scores are not bit-identical.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
dir="${BENCH_PREDICT_DIR:-/tmp/esteira-bench-predict}"
mkdir -p "$dir"
build=1 model="" trees=200 leaves=63 pass=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) build=0 ;;
    --passive) export OMP_WAIT_POLICY=PASSIVE ;;
    --model) model="$2"; shift ;;
    --trees) trees="$2"; shift ;;
    --leaves) leaves="$2"; shift ;;
    --rows|--threads|--repeats|--train-rows|--seed) pass+=("$1" "$2"); shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $build == 1 ]] && dotnet build bench/predict -c Release -nologo -v quiet >&2
dll="$ROOT/bench/predict/bin/Release/net10.0/Esteira.Bench.Predict.dll"
if [[ -n "$model" ]]; then
  exec dotnet "$dll" --model "$model" "${pass[@]}"
fi
cached="$dir/synthetic-${trees}x${leaves}.txt"
if [[ -f "$cached" ]]; then
  exec dotnet "$dll" --model "$cached" "${pass[@]}"
fi
exec dotnet "$dll" --trees "$trees" --leaves "$leaves" --save "$cached" "${pass[@]}"
