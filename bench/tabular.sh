#!/usr/bin/env bash
# Esteira's tabular profile vs. the Python peer (pandas + LightGBM's own Python package, bench/peer/tabular_peer.py)
# on the two bundled tabular competitions, one after the other, with Esteira's defaults on both sides:
#   samples/bike-sharing-demand   regression, RMSLE on count, time column datetime (time-block CV); test RMSLE
#                                 against its solution.csv.gz
#   samples/adult-income          binary income_gt_50k, AUC, stratified K-fold (no test labels here: CV only)
# Each process runs under /usr/bin/time -v (wall time, peak RSS) in a fresh temporary working folder, so Esteira's
# cache (.esteira/) cannot help. Prints one table with the peer/Esteira ratios.
#
# Options:
#   --out DIR       results folder (default /tmp/esteira-bench-out/tabular-<UTC time>)
#   --only LIST     bike, adult (comma-separated; default both)
#   --passive       export OMP_WAIT_POLICY=PASSIVE (fairer when the 2 cores are shared)
#   --no-build      do not (re)build Esteira
# Environment: ESTEIRA_DLL, PYTHON (default /usr/bin/python3; needs pandas), and LightGBM's Python package as in
# bench/run.sh (BENCH_LGBM_DIR, LIGHTGBM_PYTHON, LGBM_NATIVE; see bench/lib/lightgbm-python.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ESTEIRA_DLL="${ESTEIRA_DLL:-$ROOT/src/Esteira.Cli/bin/Release/net10.0/esteira.dll}"
PYTHON="${PYTHON:-/usr/bin/python3}"

out="" only="bike,adult" build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift ;;
    --only) only="$2"; shift ;;
    --passive) export OMP_WAIT_POLICY=PASSIVE ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
out="${out:-/tmp/esteira-bench-out/tabular-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

log() { printf '[bench] %s\n' "$*" >&2; }

if [[ $build == 1 ]]; then
  log "building src/Esteira.Cli (Release)"
  dotnet build src/Esteira.Cli -c Release -nologo -v quiet
fi
[[ -f "$ESTEIRA_DLL" ]] || { echo "Esteira CLI not found at $ESTEIRA_DLL (set ESTEIRA_DLL)" >&2; exit 1; }
"$PYTHON" -c 'import pandas, numpy' 2>/dev/null || { echo "$PYTHON needs pandas and numpy (apt-get install -y python3-pandas)" >&2; exit 1; }
# shellcheck source=bench/lib/lightgbm-python.sh
source "$ROOT/bench/lib/lightgbm-python.sh"
setup_lightgbm_python

# one process under /usr/bin/time -v in a fresh working folder: name, command...
measure() {
  local name="$1"; shift
  local work; work="$(mktemp -d "${TMPDIR:-/tmp}/esteira-bench-tabular.XXXXXX")"
  log "running $name"
  set +e
  (cd "$work" && /usr/bin/time -v -o "$out/$name.time" "$@" > "$out/$name.json" 2> "$out/$name.err")
  echo $? > "$out/$name.rc"
  set -e
  log "$name exit code $(cat "$out/$name.rc")"
  rm -rf "$work"
}

sets=()
for set in ${only//,/ }; do
  case "$set" in
    bike) data="$ROOT/samples/bike-sharing-demand"; metric=(--metric rmsle) ;;
    adult) data="$ROOT/samples/adult-income"; metric=() ;;
    *) echo "unknown set: $set (bike, adult)" >&2; exit 2 ;;
  esac
  sets+=("$set")
  measure "$set-esteira" dotnet "$ESTEIRA_DLL" run --data "$data" --out "$out/$set-esteira" --json "${metric[@]}"
  measure "$set-peer" env PYTHONPATH="$lgbm_dir${PYTHONPATH:+:$PYTHONPATH}" \
    "$PYTHON" "$ROOT/bench/peer/tabular_peer.py" --data "$data" --out "$out/$set-peer" --json "${metric[@]}"
done

# ---- report -------------------------------------------------------------------------------
"$PYTHON" - "$out" "$ROOT" "${sets[@]}" <<'EOF' | tee "$out/summary.txt"
import json, os, re, sys
import numpy as np
import pandas as pd

out, root, sets = sys.argv[1], sys.argv[2], sys.argv[3:]
DATA = {"bike": "bike-sharing-demand", "adult": "adult-income"}

def timed(name):
    text = open(os.path.join(out, name + ".time")).read()
    clock = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", text).group(1).split(":")
    wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(clock)))
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    return wall, peak

def test_score(submission, solution):
    """RMSLE (overall, Public, Private) of a submission against a solution with the same id and target header."""
    sol = pd.read_csv(solution)
    sub = pd.read_csv(submission)
    idc, target = sol.columns[0], sol.columns[1]
    m = sol.merge(sub[[idc, target]], on=idc, how="left", suffixes=("", "_p"), validate="one_to_one")
    if len(sub) != len(sol) or m[target + "_p"].isna().any():
        return None
    d2 = (np.log1p(np.clip(m[target + "_p"].to_numpy(float), 0, None)) - np.log1p(m[target].to_numpy(float))) ** 2
    parts = {"all": d2.mean() ** 0.5}
    if "Usage" in m:
        for u in ("Public", "Private"):
            parts[u] = d2[(m["Usage"] == u).to_numpy()].mean() ** 0.5
    return parts

rows, summary = [], {}
for s in sets:
    solution = next((p for p in (os.path.join(root, "samples", DATA[s], f) for f in ("solution.csv.gz", "solution.csv")) if os.path.exists(p)), None)
    res = {}
    for tool in ("esteira", "peer"):
        name = f"{s}-{tool}"
        rc = int(open(os.path.join(out, name + ".rc")).read())
        wall, peak = timed(name)
        j = json.load(open(os.path.join(out, name + ".json"))) if rc == 0 else {}
        sub = os.path.join(out, name, "submission.csv.gz")
        score = test_score(sub, solution) if solution and rc == 0 else None
        res[tool] = {"rc": rc, "wall_s": round(wall, 2), "peak_mib": round(peak, 1), "metric": j.get("metric"), "cv": j.get("cv"), "test": score}
    summary[s] = res
    e, p = res["esteira"], res["peer"]
    for tool, label in (("esteira", "Esteira"), ("peer", "pandas + LightGBM")):
        r = res[tool]
        t = r["test"]
        test = "n/a (no test labels)" if solution is None else "failed" if t is None else \
            f"{t['all']:.4f}" + (f" (Public {t['Public']:.4f}, Private {t['Private']:.4f})" if "Public" in t else "")
        cv = "failed" if r["cv"] is None else f"{r['metric']} {r['cv']:.4f}"
        rows.append(f"| {DATA[s]} | {label} | {r['wall_s']:.1f} | {r['peak_mib']:.0f} | {cv} | {test} |")
    rows.append(f"| {DATA[s]} | **peer / Esteira** | **{p['wall_s'] / e['wall_s']:.2f}×** | **{p['peak_mib'] / e['peak_mib']:.2f}×** | | |")
print("| data | tool | wall s | peak MiB | CV | test RMSLE |")
print("|---|---|---:|---:|---|---|")
print("\n".join(rows))
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
EOF
log "results in $out"
