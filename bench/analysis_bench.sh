#!/usr/bin/env bash
# Times `verity check` (parse, resolve and every static analysis check) on the generated
# flow of bench/gen_analysis_flow.py: 200 states, 2,000 transitions, 500 segments and
# 100 workflows. Prints the median wall time of 5 runs and the number of findings, and
# exits 1 when the median is over the 1 s target (docs/performance.md).
#
#   bash bench/analysis_bench.sh [VERITY_BINARY]      (default: build/verity)
#
# Build in release mode first; a sanitizer or Debug build measures the instrumentation.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VERITY=${1:-build/verity}
RUNS=5
TARGET=1.0
[ -x "$VERITY" ] || { echo "analysis_bench: no verity binary at $VERITY (build first)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flow="$tmp/analysis.flow"
python3 bench/gen_analysis_flow.py >"$flow"

findings=$("$VERITY" check --format json "$flow" 2>/dev/null | grep -c '"code":' || true)
"$VERITY" check "$flow" >/dev/null 2>&1 || true     # warm-up
median=$(for _ in $(seq "$RUNS"); do
  a=$(date +%s.%N)
  "$VERITY" check "$flow" >/dev/null 2>&1 || true
  b=$(date +%s.%N)
  awk -v a="$a" -v b="$b" 'BEGIN {print b - a}'
done | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')

printf 'states 200, transitions 2000, segments 500, workflows 100: %.3f s (median of %d), %s findings\n' \
  "$median" "$RUNS" "$findings"
awk -v m="$median" -v t="$TARGET" 'BEGIN {exit !(m < t)}' || { echo "over the ${TARGET} s target" >&2; exit 1; }
