#!/usr/bin/env bash
# matrix-time.sh [RUNS] [-- acklab run args]: the speed benchmark. Runs the
# whole matrix RUNS times (default 3) at acklab's default -j (unless the args
# give one), then once more with -j 1, and prints figures; a benchmark, not a
# test: it exits 0 whatever they are (1 only if acklab itself failed).
#
# For every run: the load average before it, the -j used, the wall time, the
# longest cell, and wall / longest (target at the default -j: at most 2).
# Per cell of the -j 1 run: its wall time, the scenario's own time and the
# harness overhead; then the median overhead per cell, of the -j 1 run (each
# cell alone: target at most 60 ms) and of the default -j runs (where cells
# also wait for each other's CPU).
#
# How the overhead is computed, per cell, from the run's own files:
#   wall      duration_ms in results.json: the whole cell, from building its
#             network to its checked result
#   scenario  in history.jsonl, from the "workload" entry to the "settled"
#             entry (the scenario's sends, awaits, waits and its settle as
#             they really ran), less the time acklab spent applying faults
#             inside that span (took_ms of its fault and heal entries)
#   overhead  wall - scenario: building the network, opening the capture,
#             starting the roles, applying faults, healing, letting the
#             client finish, reading the store back, tearing down, writing
#             the history, checking
#
# The runs are written under BENCH_DIR, by default /dev/shm (a tmpfs) where
# there is one: the reference server fsyncs every message, and on a disk
# shared with other work those fsyncs stall now and then for hundreds of ms,
# which is the disk's time, not acklab's. BENCH_DIR=/tmp puts the disk back in.
set -u
cd "$(dirname "$0")/.."
runs=${1:-3}; shift || true
[ "${1:-}" = "--" ] && shift
make -s all || exit 1
command -v jq >/dev/null || { echo "matrix-time.sh needs jq (apt-get install jq)"; exit 1; }
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=/tmp
out=$(mktemp -d "$base/acklab-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

# The scenario's own time in one cell's history, in ms ("-" when it never reached its settle).
scenario_ms() {
	jq -rs '
		(map(select(.role == "acklab" and .ev == "workload"))[0].t_ms) as $w |
		(map(select(.role == "acklab" and .ev == "settled"))[0].t_ms) as $s |
		if $w == null or $s == null then "-" else
			([.[] | select(.role == "acklab" and (.ev == "fault" or .ev == "heal") and
			               .t_ms >= $w and .t_ms <= $s) | .took_ms // 0] | add // 0) as $f |
			($s - $w - $f) end' "$1"
}

# One line per cell of a run: scenario stack wall scenario overhead (ms).
cell_figures() { # run folder
	jq -r '.cells[] | "\(.scenario) \(.stack) \(.duration_ms) \(.artifacts.history // "")"' "$1/results.json" |
	while read -r scn stack wall hist; do
		s=-
		[ -n "$hist" ] && [ -s "$1/$hist" ] && s=$(scenario_ms "$1/$hist")
		if [ "$s" = "-" ]; then echo "$scn $stack $wall - -"; else
			awk -v a="$wall" -v b="$s" -v n="$scn" -v k="$stack" \
				'BEGIN { printf "%s %s %.1f %.1f %.1f\n", n, k, a, b, a - b }'
		fi
	done
}

median_overhead() { # label, figure files...
	local label=$1; shift
	cat "$@" | awk '$5 != "-" { print $5 }' | sort -n | awk -v label="$label" '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { printf "%s: no cell reached its settle\n", label; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%s: median %.1f ms over %d cells (min %.1f, max %.1f)\n", label, m, NR, v[1], v[NR]
		}'
}

one_run() { # name, acklab run args...
	local name=$1; shift
	local load start end rc jobs
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	start=$(date +%s.%N)
	bin/acklab run --out "$out/$name" "$@" >"$out/$name.log" 2>&1
	rc=$?
	end=$(date +%s.%N)
	[ "$rc" -le 1 ] && [ -s "$out/$name/results.json" ] || { cat "$out/$name.log"; exit 1; }
	cell_figures "$out/$name" >"$out/$name.cells"
	jobs=$(sed -n 's/.*, \([0-9]*\) at a time.*/\1/p' "$out/$name.log" | head -1)
	awk -v a="$start" -v b="$end" -v rc="$rc" -v name="$name" -v load="$load" -v j="$jobs" '
		$3 > longest { longest = $3; which = $1 " x " $2 }
		END {
			wall = (b - a) * 1000
			printf "%s: load average %s; -j %s; wall %.2f s; longest cell %.2f s (%s); wall / longest %.2f; exit %d\n",
				name, load, j, wall / 1000, longest / 1000, which, wall / longest, rc
			printf "%.2f\n", wall / longest > "/dev/stderr"
		}' "$out/$name.cells" 2>"$out/$name.ratio"
}

echo "machine: $(nproc) cores; acklab's default -j: $(bin/acklab run --help | sed -n 's/.*here \(.*\)$/\1/p');" \
	"runs in $out ($(df --output=fstype "$out" | tail -1))"
for i in $(seq 1 "$runs"); do
	one_run "run$i" "$@"
done
one_run "alone" "$@" -j 1

echo
echo "per cell at -j 1, ms (scenario = workload to settled, less fault application; overhead = wall - scenario):"
{ echo "scenario stack wall scenario overhead"; cat "$out/alone.cells"; } | column -t | sed 's/^/  /'
echo
echo "harness overhead per cell:"
median_overhead "  each cell alone (-j 1; target <= 60 ms)" "$out/alone.cells"
median_overhead "  at the runs' -j, cells sharing the cores" "$out"/run*.cells
cat "$out"/run*.ratio | sort -n | awk '
	{ v[NR] = $1 }
	END { printf "full matrix at the runs\047 -j: wall / longest cell best %.2f, worst %.2f over %d runs (target <= 2)\n", v[1], v[NR], NR }'
