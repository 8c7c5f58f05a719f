#!/usr/bin/env bash
# Times `verity check` on generated flows of 12,500, 25,000 and 50,000 lines (median of
# 3 runs each; hyperfine when installed, else a loop over `date +%s.%N`), and prints
# seconds and microseconds per line, so linear growth shows as a constant last column.
#
#   bash bench/check_bench.sh [VERITY_BINARY]      (default: build/verity)
#
# Build in release mode first (bash scripts/dev.sh build); a sanitizer or Debug build
# measures the instrumentation, not Verity.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VERITY=${1:-build/verity}
RUNS=3
SIZES=(12500 25000 50000)
[ -x "$VERITY" ] || { echo "check_bench: no verity binary at $VERITY (build first)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# time_runs FILE: prints the median wall time of RUNS checks, in seconds.
time_runs() {
  local flow=$1
  if command -v hyperfine >/dev/null; then
    hyperfine --runs "$RUNS" --warmup 1 --style none -N --export-json "$tmp/h.json" \
      "$VERITY check $flow" >/dev/null 2>&1 || true
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$tmp/h.json"
  else
    "$VERITY" check "$flow" >/dev/null 2>&1 || true     # warm-up
    for _ in $(seq "$RUNS"); do
      local a b
      a=$(date +%s.%N)
      "$VERITY" check "$flow" >/dev/null 2>&1 || true
      b=$(date +%s.%N)
      awk -v a="$a" -v b="$b" 'BEGIN {print b - a}'
    done | median
  fi
}

printf '%8s %10s %12s %s\n' lines seconds "us/line" findings
for n in "${SIZES[@]}"; do
  flow="$tmp/bench-$n.flow"
  python3 bench/gen_flow.py "$n" >"$flow"
  # The generated flow must check clean, or the timing would measure an early stop.
  findings=$("$VERITY" check --format json "$flow" 2>/dev/null | grep -c '"code":' || true)
  s=$(time_runs "$flow")
  awk -v n="$n" -v s="$s" -v f="$findings" 'BEGIN {printf "%8d %10.3f %12.2f %s\n", n, s, s * 1e6 / n, f}'
done
