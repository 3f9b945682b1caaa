#!/usr/bin/env bash
# The GEPIII submission's write and check (src/Esteira.Pipeline/SubmissionFile.cs) against the single-stream code they
# replaced and against gzip itself, on the same SYNTHETIC rows (bench/submission/Program.cs), in one run:
#   write / check, before and after: seconds, rows/s, MB/s of uncompressed text, CPU seconds (user + system)
#   peers on the same text: gzip -1, gzip -6 (compressing it, to /dev/null), zcat | wc -l (reading the new file)
#
#   bench/submission.sh                      41,697,600 rows (GEPIII's test set)
#   bench/submission.sh --rows N --out DIR --no-build
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
rows=41697600 dir="${BENCH_SUBMISSION_DIR:-/tmp/esteira-bench-submission}" build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows="$2"; shift ;;
    --out) dir="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$dir"
[[ $build == 1 ]] && dotnet build bench/submission -c Release -nologo -v quiet >&2
dotnet "$ROOT/bench/submission/bin/Release/net10.0/Esteira.Bench.Submission.dll" --rows "$rows" --out "$dir"

gz="$dir/submission.csv.gz" plain="$dir/submission.csv"
zcat "$gz" > "$plain"
bytes=$(stat -c %s "$plain")
peer() { # name, command...
  local name="$1"; shift
  /usr/bin/time -f "%e %U %S" -o "$dir/time" "$@"
  read -r t user sys < "$dir/time"
  awk -v n="$name" -v t="$t" -v c="$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" -v r="$rows" -v b="$bytes" \
    'BEGIN { printf "%-28s %7.2f s %12.0f rows/s %8.1f MB/s  cpu %6.2f s\n", n, t, r / t, b / 1e6 / t, c }'
}
peer "gzip -1 (peer)" sh -c "gzip -1 -c '$plain' > /dev/null"
peer "gzip -6 (peer)" sh -c "gzip -6 -c '$plain' > /dev/null"
lines=""
peer "zcat | wc -l (peer)" sh -c "zcat '$gz' | wc -l > '$dir/lines'"
lines=$(cat "$dir/lines")
[[ "$lines" == "$((rows + 1))" ]] || { echo "zcat | wc -l counted $lines lines, expected $((rows + 1))" >&2; exit 1; }
rm -f "$plain" "$dir/lines" "$dir/time"
