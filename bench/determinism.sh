#!/usr/bin/env bash
# determinism.sh [N] [-- acklab run args]: runs the whole matrix N times
# (default 20, at acklab's default -j unless the args give one) and compares
# the per-message outcome of every cell across runs:
# for each cell, the list "id=class" of its messages must be identical in
# every run. Prints one line per run and a verdict; exits 0 when all N runs
# agree, 1 when any cell's outcome differed (and shows how, and keeps the
# runs' folders for a look at the histories).
#
# The runs are written under BENCH_DIR, by default /dev/shm (a tmpfs) where
# there is one. The reference server fsyncs every message it stores; on a
# disk shared with other work one fsync can stall for 400-600 ms, longer than
# the scenarios' 300 ms client timeouts, and a retry after a stalled answer
# stores a message twice whatever acklab does. Measuring acklab, not the
# disk, wants the store in memory; BENCH_DIR=/tmp puts the disk back in.
set -u
cd "$(dirname "$0")/.."
n=${1:-20}; shift || true
[ "${1:-}" = "--" ] && shift
make -s all || exit 1
command -v jq >/dev/null || { echo "determinism.sh needs jq (apt-get install jq)"; exit 2; }
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=/tmp
out=$(mktemp -d "$base/acklab-determinism.XXXXXX")
echo "runs in $out ($(df --output=fstype "$out" | tail -1)); load average now $(cut -d' ' -f1-3 /proc/loadavg)"
keep=0
trap '[ "$keep" -eq 1 ] || rm -rf "$out"' EXIT
for i in $(seq 1 "$n"); do
	load=$(cut -d' ' -f1 /proc/loadavg)
	bin/acklab run --out "$out/run$i" "$@" >"$out/run$i.log" 2>&1
	rc=$?
	if [ "$rc" -ge 2 ] || [ ! -s "$out/run$i/results.json" ]; then
		echo "run $i: acklab exited $rc without results; nothing to compare:"
		tail -5 "$out/run$i.log"
		exit 1
	fi
	jq -r '.cells[] | "\(.scenario) \(.stack) \(.verdict) :: \([.messages[] | "\(.id)=\(.class)"] | join(" "))"' \
		"$out/run$i/results.json" | sort >"$out/outcome$i.txt"
	if cmp -s "$out/outcome1.txt" "$out/outcome$i.txt"; then same=same; else same=DIFFERENT; fi
	jobs=$(sed -n 's/.*, \([0-9]*\) at a time.*/\1/p' "$out/run$i.log" | head -1)
	echo "run $i: load average $load, -j $jobs, exit $rc, $(wc -l <"$out/outcome$i.txt") cells, outcome $same as run 1"
done
[ -s "$out/outcome1.txt" ] || { echo "no cells ran: nothing to compare"; exit 1; }
differ=0
for i in $(seq 2 "$n"); do
	if ! cmp -s "$out/outcome1.txt" "$out/outcome$i.txt"; then
		differ=1
		echo "--- run 1 vs run $i:"
		diff "$out/outcome1.txt" "$out/outcome$i.txt"
	fi
done
echo
if [ "$differ" -eq 0 ]; then
	echo "deterministic: $n runs, identical per-message outcomes in every cell:"
	sed 's/^/  /' "$out/outcome1.txt"
else
	echo "NOT deterministic: see the differences above; the runs are kept in $out"
	keep=1
fi
exit "$differ"
