#!/usr/bin/env bash
# Esteira (its default, and with --max-train-rows 0) vs. two Python peers (pandas + xgboost, pandas + LightGBM's own
# Python package) on the same GEPIII-layout data, in one run.
#
#   bench/run.sh                 full scale: SYNTHETIC 20.2M train / 41.7M test rows in $BENCH_DATA
#                                (generated first if missing)
#   bench/run.sh --sample        the small REAL sample samples/bdg2-electricity-2016, with test RMSLE
#
# Options:
#   --sample            use the real sample (and score both submissions against its solution)
#   --data DIR          use this data folder instead (GEPIII layout, plain or .gz)
#   --out DIR           results folder (default /tmp/esteira-bench-out/<mode>-<time>)
#   --iterations N      boosting rounds for both tools (default 500)
#   --leaves N          leaves per tree for both tools (default 255)
#   --only LIST         run only these tools, comma-separated: esteira (then the same command again in the same
#                       folder: esteira-rerun, the no-op rerun), esteira-all (--max-train-rows 0),
#                       peer-xgboost, peer-lightgbm; "peer" means both peers (default: all four)
#   --passive           export OMP_WAIT_POLICY=PASSIVE (fairer when the 2 cores are shared; slower when idle)
#   --no-build          do not (re)build Esteira / the generator
#   --keep-work         keep Esteira's working folders (their .esteira/ caches: ~12 GB each at full scale)
# Environment:
#   BENCH_DATA   full-scale data folder (default /tmp/esteira-bench-data)
#   BENCH_SEED   generator seed (default 42);  BENCH_GZIP=1 generates .csv.gz files
#   ESTEIRA_DLL  built CLI (default src/Esteira.Cli/bin/Release/net10.0/esteira.dll)
#   PYTHON       Python with pandas + xgboost (default /usr/bin/python3, the Debian one)
#   LIGHTGBM_PYTHON  LightGBM's Python package (default ../shared/vendor/lightgbm-python-4.6.0), set up once in
#                $BENCH_LGBM_DIR (default /tmp/esteira-bench-lightgbm-python) over the NuGet package's lib_lightgbm.so
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BENCH_DATA="${BENCH_DATA:-/tmp/esteira-bench-data}"
BENCH_SEED="${BENCH_SEED:-42}"
ESTEIRA_PROJECT="src/Esteira.Cli"
ESTEIRA_DLL="${ESTEIRA_DLL:-$ROOT/src/Esteira.Cli/bin/Release/net10.0/esteira.dll}"
GEN_PROJECT="bench/Esteira.Bench.Generator"
GEN_DLL="$ROOT/bench/Esteira.Bench.Generator/bin/Release/net10.0/Esteira.Bench.Generator.dll"
PYTHON="${PYTHON:-/usr/bin/python3}"
SAMPLE_DIR="$ROOT/samples/bdg2-electricity-2016"

mode=full data="" out="" iterations=500 leaves=255 only="" build=1 keep_work=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sample) mode=sample ;;
    --data) data="$2"; shift ;;
    --out) out="$2"; shift ;;
    --iterations) iterations="$2"; shift ;;
    --leaves) leaves="$2"; shift ;;
    --only) only="$2"; shift ;;
    --passive) export OMP_WAIT_POLICY=PASSIVE ;;
    --no-build) build=0 ;;
    --keep-work) keep_work=1 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

if [[ -z "$data" ]]; then
  if [[ $mode == sample ]]; then data="$SAMPLE_DIR"; else data="$BENCH_DATA"; fi
fi
out="${out:-/tmp/esteira-bench-out/$mode-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
out="$(realpath "$out")"

log() { printf '[bench] %s\n' "$*" >&2; }

# locate FILE or FILE.gz in a data folder
find_csv() {
  if [[ -f "$1/$2" ]]; then echo "$1/$2"; elif [[ -f "$1/$2.gz" ]]; then echo "$1/$2.gz"; else echo ""; fi
}

# ---- (a) data -------------------------------------------------------------------------------
if [[ $mode == full && ! -f "$data/README.md" ]]; then
  log "no complete data set in $data: generating it (SYNTHETIC, seed $BENCH_SEED)"
  [[ $build == 1 ]] && dotnet build "$GEN_PROJECT" -c Release -nologo -v quiet
  gen_args=(--out "$data" --seed "$BENCH_SEED")
  [[ "${BENCH_GZIP:-0}" == 1 ]] && gen_args+=(--gzip)
  /usr/bin/time -v -o "$out/generator.time" dotnet "$GEN_DLL" "${gen_args[@]}" | tee "$out/generator.log"
fi
[[ -n "$(find_csv "$data" train.csv)" ]] || { echo "no train.csv(.gz) in $data" >&2; exit 1; }
solution="$(find_csv "$data" solution.csv)"
if [[ -f "$data/generator.json" ]]; then
  log "data: $data — SYNTHETIC (Esteira bench generator; see $data/README.md)"
else
  log "data: $data"
fi

wanted() { [[ -z "$only" || ",$only," == *",$1,"* || ( "$1" == peer-* && ",$only," == *",peer,"* ) ]]; }

# ---- (b) Esteira: its default (at most 2M rows per model) and every row ------------------
if wanted esteira || wanted esteira-all; then
  if [[ $build == 1 ]]; then
    log "building $ESTEIRA_PROJECT (Release)"
    dotnet build "$ESTEIRA_PROJECT" -c Release -nologo -v quiet
  fi
  [[ -f "$ESTEIRA_DLL" ]] || { echo "Esteira CLI not found at $ESTEIRA_DLL (set ESTEIRA_DLL)" >&2; exit 1; }
fi
# Each variant runs in its own fresh working folder: its stage cache (.esteira/) starts empty, so no earlier run's
# cache can make it a no-op. "esteira-rerun" is the default's command run again in the same folder: the no-op rerun.
run_esteira() { # name, work folder, results folder, extra args...
  local name="$1" work="$2" result="$3"; shift 3
  log "running $name: iterations $iterations, leaves $leaves $* (in $work)"
  mkdir -p "$work"
  set +e
  (cd "$work" && /usr/bin/time -v -o "$out/$name.time" \
    dotnet "$ESTEIRA_DLL" run --data "$data" --out "$result" --json --iterations "$iterations" --leaves "$leaves" "$@" \
    > "$out/$name.json" 2> "$out/$name.err")
  echo $? > "$out/$name.rc"
  set -e
  log "$name exit code $(cat "$out/$name.rc")"
}
ESTEIRA_DLL="$(realpath "$ESTEIRA_DLL")"
data="$(realpath "$data")"
wanted esteira && run_esteira esteira "$out/esteira.work" "$out/esteira"
wanted esteira && run_esteira esteira-rerun "$out/esteira.work" "$out/esteira"
wanted esteira-all && run_esteira esteira-all "$out/esteira-all.work" "$out/esteira-all" --max-train-rows 0
# at full scale each working folder's stage cache holds about 12 GB of feature columns: measured, it is not kept
# (three runs' worth filled this machine's disk); --keep-work keeps them for a look
[[ $keep_work == 1 ]] || rm -rf "$out/esteira.work" "$out/esteira-all.work"

# ---- (c) the peers: pandas + xgboost, pandas + LightGBM ---------------------------------------
# shellcheck source=bench/lib/lightgbm-python.sh
source "$ROOT/bench/lib/lightgbm-python.sh"
wanted peer-lightgbm && setup_lightgbm_python
run_peer() { # library
  local name="peer-$1"
  log "running $name (pandas + $1): iterations $iterations, leaves $leaves"
  set +e
  PYTHONPATH="${lgbm_dir:-}${PYTHONPATH:+:$PYTHONPATH}" /usr/bin/time -v -o "$out/$name.time" \
    "$PYTHON" bench/peer/peer.py --library "$1" --data "$data" --out "$out/$name" --json --iterations "$iterations" --max-leaves "$leaves" \
    > "$out/$name.json" 2> "$out/$name.err"
  echo $? > "$out/$name.rc"
  set -e
  log "$name exit code $(cat "$out/$name.rc")"
}
wanted peer-xgboost && run_peer xgboost
wanted peer-lightgbm && run_peer lightgbm

# ---- report -------------------------------------------------------------------------------
"$PYTHON" bench/report.py --out "$out" --solution "$solution" --mode "$mode" --data "$data" | tee "$out/summary.txt"
log "results in $out"
