#!/usr/bin/env bash
# matrix-time.sh [RUNS] [-- acklab run args]: the speed benchmark. Runs the whole
# matrix RUNS times (default 3) and prints the wall time of every cell and of
# each run, then the best and worst totals. A benchmark, not a test: it prints
# figures and exits 0 whatever they are (1 only if acklab itself failed).
set -u
cd "$(dirname "$0")/.."
runs=${1:-3}; shift || true
[ "${1:-}" = "--" ] && shift
make -s all || exit 1
out=$(mktemp -d /tmp/acklab-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
totals=()
for i in $(seq 1 "$runs"); do
	start=$(date +%s.%N)
	bin/acklab run --out "$out/run$i" "$@" >"$out/run$i.log" 2>&1
	rc=$?
	end=$(date +%s.%N)
	total=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')
	totals+=("$total")
	echo "run $i: ${total}s (exit $rc)"
	[ "$rc" -le 1 ] && [ -s "$out/run$i/results.json" ] || { cat "$out/run$i.log"; exit 1; }
done
echo
echo "per cell (run 1), seconds:"
jq -r '.cells[] | "  \(.scenario)\t\(.stack)\t\(.duration_ms/1000|.*100|round/100)"' "$out/run1/results.json" 2>/dev/null |
	column -t -s $'\t' || grep -E '^\[' "$out/run1.log"
printf '%s\n' "${totals[@]}" | sort -n | awk '{a[NR]=$1} END {printf "\ntotal wall time over %d runs: best %.2fs, worst %.2fs (target: 60s)\n", NR, a[1], a[NR]}'
