#!/usr/bin/env bash
# determinism-explore.sh [SEEDS] [REPEATS] [SCENARIO]: the same seed gives
# the same fault schedule and, on the reference stacks (http, ws-ack-key),
# the same per-message outcome. Runs `acklab explore SCENARIO --seed 1 --runs
# SEEDS` REPEATS times (default 20 seeds x 5 repeats, scenarios/explore/
# soak.scn), then compares, per seed: the drawn scenario (its steps: every
# fault, heal, send and wait; the comment lines, which name the run folder,
# are left out) and, per cell, the list "id=class" of every message, as
# `acklab report` classifies it from the cell's folder. Exits 0 when every
# repeat agrees with the first, 1 when one differs (shown, runs kept).
#
# Runs go under BENCH_DIR (default /dev/shm, a tmpfs: see determinism.sh for
# why the store belongs in memory when measuring acklab, not the disk).
set -u
cd "$(dirname "$0")/.."
seeds=${1:-20}; repeats=${2:-5}; scn=${3:-scenarios/explore/soak.scn}
make -s all || exit 1
command -v jq >/dev/null || { echo "determinism-explore.sh needs jq (apt-get install jq)"; exit 2; }
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=/tmp
out=$(mktemp -d "$base/acklab-determinism-explore.XXXXXX")
keep=0
trap '[ "$keep" -eq 1 ] || rm -rf "$out"' EXIT
echo "$seeds seeds x $repeats repeats of $scn on http and ws-ack-key, in $out"
for r in $(seq 1 "$repeats"); do
	start=$(date +%s.%N)
	bin/acklab explore "$scn" --stack http,ws-ack-key --seed 1 --runs "$seeds" -j 2 --out "$out/r$r" >"$out/r$r.log" 2>&1
	rc=$?
	: >"$out/outcome$r.txt"
	for s in $(seq 1 "$seeds"); do
		d="$out/r$r/s$s"
		[ -d "$d" ] || continue
		{ echo "seed $s schedule $(grep -v '^#' "$d"/*.scn | sha256sum | cut -c1-16)"
		  bin/acklab report "$d" --out "$out/rep$r-$s" >/dev/null 2>&1
		  jq -r '.cells[] | "seed '"$s"' \(.stack) \(.verdict) :: \([.messages[] | "\(.id)=\(.class)"] | join(" "))"' \
			"$out/rep$r-$s/results.json" 2>/dev/null | sort; } >>"$out/outcome$r.txt"
		rm -rf "$out/rep$r-$s"
	done
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b-a}')
	if cmp -s "$out/outcome1.txt" "$out/outcome$r.txt"; then same=same; else same=DIFFERENT; fi
	echo "repeat $r: exit $rc, $(grep -c '::' "$out/outcome$r.txt") cells, ${secs}s, outcome $same as repeat 1"
done
differ=0
for r in $(seq 2 "$repeats"); do
	cmp -s "$out/outcome1.txt" "$out/outcome$r.txt" && continue
	differ=1
	echo "--- repeat 1 vs repeat $r:"
	diff "$out/outcome1.txt" "$out/outcome$r.txt" | cut -c1-300 | head -20
done
if [ "$differ" -eq 0 ]; then
	echo "deterministic: $seeds seeds x $repeats repeats, the same schedules and per-message outcomes"
	grep -v '::' "$out/outcome1.txt" | head -3 | sed 's/^/  /'
	grep '::' "$out/outcome1.txt" | cut -d: -f1 | sort | uniq -c | head -5 | sed 's/^/  /'
else
	echo "NOT deterministic: see above; the runs are kept in $out"
	keep=1
fi
exit "$differ"
