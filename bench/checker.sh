#!/usr/bin/env bash
# checker.sh [N [RUNS]]: the check stage's speed on a big cell. Builds
# bench/checker_bench, writes a canned cell of N messages (default 1,000,000:
# each sent, shown Sent, pushed and stored; every hundredth stored twice) as
# history.jsonl and store.jsonl in the runner's own line format, then checks
# it RUNS times (default 5) from the files, as `acklab check` reads a cell,
# and prints each run, the median messages per second with the spread (min
# to max), and the peak RSS. It does the same at N/5 first. The machine may
# be shared: "by CPU time" says what the check cost, apart from waiting for
# a core. Target: >= 1,000,000 messages/s at 1,000,000 messages, memory
# linear in the history. CHECKER_JANSSON=1 adds one run of the old way
# (every line parsed by jansson into a history in memory, then checked),
# for comparison: slow and several GB at a million messages.
# Then, end to end, what a user waits for: `acklab report` on a run folder
# whose one cell holds the canned N messages (the cell's plan from a real
# run of lost-ack on http, made first; it needs the namespaces acklab
# needs, and is skipped where they cannot be made): wall time, messages per
# second and peak RSS of the whole re-check, reading the files, classifying
# and writing results.json (every message), junit.xml, summary.md and
# report.html. REPORT=0 leaves it out.
# A benchmark, not a test: it exits 0 (1 only when the checker got the
# classes wrong or failed).
# Measured 2026-12-02 on the 2-core build machine (shared; the same
# binary's speed there moves by up to 2x from one minute to the next):
# 1,000,000 messages (736 MB + 105 MB of files), medians of 5 runs over the
# day: 1,086k (1,006k to 1,167k) and 1,053k messages/s in quiet spells,
# 903k and 842k in slow ones (CPU time per run 1.5 s against 2.1 s);
# single runs from 734 ms (1.36M/s). The history is read and scanned by one
# reader thread per core, the checker's arrays made present ahead of it by
# a prefault thread: against the single reader thread of the morning, 12
# interleaved pairs gave 982 against 1,105 ms (median), 11 of 12 faster.
# Peak RSS 256 MB (268 bytes a message; 290 before, 475 before the ts
# strings were shared). The whole `acklab report` of that cell: 5.7 s and
# 406 MB, results.json 237 MB (24 s and 2.5 GB when results.json was built
# as a JSON tree). The jansson way: 35k messages/s by CPU time at 200,000
# messages, 1254 MB.
set -u
cd "$(dirname "$0")/.."
make -s bin/bench/checker_bench || exit 1
n=${1:-1000000}
runs=${2:-5}
dir=$(mktemp -d "${TMPDIR:-/tmp}/acklab-checker-bench-XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT

# after PREFIX TEXT: the rest of the line of checker_bench's output that starts with PREFIX.
after() { awk -v p="$1" 'index($0, p) == 1 { s = substr($0, length(p) + 1); sub(/^ +/, "", s); print s; exit }' <<<"$2"; }
# median_spread NUMBER...: "median M (spread MIN to MAX)"
median_spread() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)
		printf "median %d (spread %d to %d)", m, v[1], v[NR] }'
}

for size in $((n / 5)) "$n"; do
	store_t=$(bin/bench/checker_bench write "$dir" "$size" | awk '$1 == "store_read_ns" { print $2 }')
	[ -n "$store_t" ] || exit 1
	echo "== $size messages: history.jsonl $(du -m "$dir/history.jsonl" | cut -f1) MB," \
		"store.jsonl $(du -m "$dir/store.jsonl" | cut -f1) MB; $runs runs"
	rates=() cpu_rates=()
	for k in $(seq "$runs"); do
		out=$(bin/bench/checker_bench check "$dir" "$size" "$store_t") || { echo "$out"; exit 1; }
		rate=$(after messages/s: "$out")
		rates+=("${rate%% *}")
		cpu_rates+=("$(grep -o 'by CPU time: [0-9]*' <<<"$out" | grep -o '[0-9]*$')")
		echo "run $k: $rate; $(after 'check time:' "$out"); peak RSS $(after 'peak RSS:' "$out")"
	done
	echo "checker: $size messages: $(median_spread "${rates[@]}") messages/s over $runs runs;" \
		"by CPU time $(median_spread "${cpu_rates[@]}"); peak RSS $(after 'peak RSS:' "$out")"
	if [ "${CHECKER_JANSSON:-0}" = 1 ]; then
		out=$(bin/bench/checker_bench check "$dir" "$size" "$store_t" jansson) || { echo "$out"; exit 1; }
		echo "jansson path: $(after messages/s: "$out") messages/s; peak RSS $(after 'peak RSS:' "$out")"
	fi
	echo
done

# End to end: `acklab report` on a run folder of one cell of $n messages.
[ "${REPORT:-1}" = 1 ] || exit 0
make -s bin/acklab || exit 1
run="$dir/run"
if ! bin/acklab run lost-ack --stack http --out "$run" >"$dir/run.out" 2>&1 && [ ! -s "$run/lost-ack/http/plan.json" ]; then
	echo "acklab report: skipped, this machine cannot run a cell: $(tail -n 1 "$dir/run.out")"
	exit 0
fi
store_t=$(bin/bench/checker_bench write "$run/lost-ack/http" "$n" | awk '$1 == "store_read_ns" { print $2 }')
jq --argjson t "$store_t" '.store_read_ns = $t | .t0_ns = 1000000000 | .error = ""' "$run/lost-ack/http/cell.json" \
	>"$dir/cell.json" && mv "$dir/cell.json" "$run/lost-ack/http/cell.json"
rm -f "$run/lost-ack/http/bot.jsonl"
# Wall time and the child's peak RSS, from the kernel's own accounting.
python3 - "$run" "$n" <<'PY'
import resource, subprocess, sys, time
run, n = sys.argv[1], int(sys.argv[2])
start = time.monotonic()
rc = subprocess.run(["bin/acklab", "report", run], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
wall = time.monotonic() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"acklab report: {n} messages re-checked and reported in {wall:.2f} s wall ({n / wall:.0f} messages/s), "
      f"CPU {ru.ru_utime + ru.ru_stime:.2f} s, peak RSS {ru.ru_maxrss // 1024} MB, exit {rc} "
      "(1: the canned DUPs are not what lost-ack expects of http)")
PY
jq -r '.cells[0] | "  results.json: \(.messages | length) messages, counts \(.counts | tostring)"' "$run/results.json"
echo "  report sizes: results.json $(du -m "$run/results.json" | cut -f1) MB," \
	"report.html $(du -k "$run/report.html" | cut -f1) KB, summary.md $(du -k "$run/summary.md" | cut -f1) KB"
