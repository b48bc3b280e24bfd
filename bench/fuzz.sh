#!/usr/bin/env bash
# fuzz.sh [MINUTES]: the long fuzzing run. Builds the libFuzzer programs of
# tests/fuzz (make fuzz) and runs them one after the other, MINUTES in total
# (default 10) split evenly, one core at a time (run it under `nice` on a
# shared machine). Each program keeps the corpus it grows in
# build/fuzz/bench/NAME/corpus, outside the repository, so the next run
# starts where this one stopped; the seed corpus in tests/fuzz/corpus is
# only read. Prints per program: runs, runs per second, coverage (edges and
# features), corpus size and crashes, then the total time.
#
# Exit status: 0 when nothing was found, 1 when a program crashed, leaked,
# hit undefined behaviour, timed out or broke a contract check (each
# reproducer's path is printed; replay it with build/fuzz/bin/NAME PATH),
# 2 on a usage error, 4 when this machine cannot build libFuzzer programs.
set -u
cd "$(dirname "$0")/.."
minutes=${1:-10}
case $minutes in
'' | *[!0-9]*) echo "usage: $0 [MINUTES]" >&2; exit 2 ;;
esac
if ! why=$(tests/fuzz/probe.sh); then
	echo "fuzz.sh: $why" >&2
	exit 4
fi
env -u MAKEFLAGS -u MAKELEVEL make --no-print-directory -s -j"$(nproc)" fuzz || exit 1

names=()
for src in tests/fuzz/*.c; do
	names+=("$(basename "$src" .c)")
done
[ ${#names[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz programs in tests/fuzz" >&2; exit 1; }
each=$(( minutes * 60 / ${#names[@]} ))
[ "$each" -ge 1 ] || each=1
echo "fuzzing ${#names[@]} programs for ${each}s each (${minutes} min in total)"

start=$(date +%s)
summaries=() reproducers=()
for name in "${names[@]}"; do
	work="build/fuzz/bench/$name"
	out=$(tests/fuzz/run-target.sh "build/fuzz/bin/$name" "$each" "$work")
	rc=$?
	summary=$(grep "^fuzz $name: [0-9?]* runs" <<<"$out" | tail -n 1)
	summaries+=("${summary:-fuzz $name: no summary (exit $rc)}")
	echo "${summary:-fuzz $name: no summary (exit $rc)}"
	if [ "$rc" -ne 0 ]; then
		grep '^why: ' <<<"$out" | sed 's/^why: /    /'
		while read -r line; do
			reproducers+=("${line#reproducer: }")
		done < <(grep '^reproducer: ' <<<"$out")
		[ "$rc" -eq 1 ] || reproducers+=("(fuzz $name did not run, exit $rc; log: $work/fuzz.log)")
	fi
done
end=$(date +%s)

echo
printf '%-18s %12s %9s %9s %9s %8s %8s\n' program runs "runs/s" edges features corpus crashes
for s in "${summaries[@]}"; do
	sed -n 's/^fuzz \([^:]*\): \([0-9?]*\) runs in [0-9?]* s (\([0-9?]*\)\/s), coverage \([0-9?]*\) edges \([0-9?]*\) features, corpus \([0-9?]*\), crashes \([0-9]*\)$/\1 \2 \3 \4 \5 \6 \7/p' <<<"$s" |
		while read -r n r x c f k z; do printf '%-18s %12s %9s %9s %9s %8s %8s\n' "$n" "$r" "$x" "$c" "$f" "$k" "$z"; done
done
echo "fuzzed for $(( (end - start) / 60 )) min $(( (end - start) % 60 )) s; corpora in build/fuzz/bench/*/corpus"
if [ ${#reproducers[@]} -gt 0 ]; then
	echo "found:"
	printf '  %s\n' "${reproducers[@]}"
	exit 1
fi
echo "found: nothing"
exit 0
