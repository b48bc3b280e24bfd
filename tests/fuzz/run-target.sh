#!/usr/bin/env bash
# run-target.sh PROGRAM SECONDS WORKDIR [RUNS]: fuzz one target for a fixed
# budget and say what happened, on behalf of both the test suite (a short
# run per target) and bench/fuzz.sh (a long one).
#
# libFuzzer writes every input that grows coverage into its first corpus
# folder, so that folder is WORKDIR/corpus, never the seed corpus in the
# repository (tests/fuzz/corpus/NAME, read only) that follows it; crashes go
# to WORKDIR/crashes. The dictionary tests/fuzz/dict/NAME.dict is used when
# there is one. libFuzzer's own exit code for a crash is 77, which the suite
# reads as "skipped", so it is set to 1 here, timeouts too.
#
# Prints libFuzzer's log, then one summary line:
#   fuzz NAME: RUNS runs in SECS s (EXEC/s), coverage COV edges FT features, corpus N, crashes C
# and for a crash "why: ..." lines (the sanitizer's or check's own words)
# and "reproducer: PATH". Exits 0 when the run finished clean,
# 1 on a crash, leak, UB report or timeout, 2 on a usage error.
set -u
if [ $# -lt 3 ]; then
	echo "usage: $0 PROGRAM SECONDS WORKDIR [RUNS]" >&2
	exit 2
fi
prog=$1 secs=$2 work=$3 runs=${4:--1}
name=$(basename "$prog")
src=$(cd "$(dirname "$0")" && pwd)
seeds="$src/corpus/$name"
dict="$src/dict/$name.dict"
if [ ! -x "$prog" ]; then
	echo "$prog: no such fuzz program (make fuzz builds it)"
	exit 2
fi
if [ ! -d "$seeds" ]; then
	echo "$seeds: no seed corpus for $name"
	exit 2
fi
mkdir -p "$work/corpus" "$work/crashes"
log="$work/fuzz.log"
opts=(-max_total_time="$secs" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -max_len=65536
      -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1
      -artifact_prefix="$work/crashes/")
[ -f "$dict" ] && opts+=(-dict="$dict")
before=$(find "$work/crashes" -type f | sort)
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$prog" "${opts[@]}" "$work/corpus" "$seeds" >"$log" 2>&1
rc=$?
cat "$log"

# The last status line ("#123 DONE cov: 456 ft: 789 corp: 12/3Kb ...") and the final stats.
final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
status=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$status")
execs=$(final_stat number_of_executed_units)
rate=$(final_stat average_exec_per_sec)
took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
new=$(comm -13 <(printf '%s\n' "$before") <(find "$work/crashes" -type f | sort) | sed '/^$/d')
crashes=$(printf '%s' "$new" | grep -c '^' || true)
printf 'fuzz %s: %s runs in %s s (%s/s), coverage %s edges %s features, corpus %s, crashes %d\n' \
	"$name" "${execs:-?}" "${took:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
	# What went wrong, again at the end, where a shortened log still shows it.
	grep -E "fuzz check failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|^SUMMARY" \
		"$log" | head -n 5 | sed 's/^/why: /'
	while read -r f; do
		[ -n "$f" ] && echo "reproducer: $f"
	done <<<"$new"
	echo "fuzz $name: FAILED (exit $rc); replay an input with: $prog REPRODUCER"
	exit 1
fi
# A clean exit that ran nothing is no pass.
if [ -z "$execs" ] || [ "$execs" -eq 0 ]; then
	echo "fuzz $name: no inputs were run"
	exit 1
fi
exit 0
