#!/usr/bin/env bash
# run-tests.sh BIN SUITE...: runs every test program of the named suites
# (unit, integration) and, for the suite "matrix", the whole acklab matrix once.
# The suite "fuzz" builds the libFuzzer programs of tests/fuzz (make fuzz,
# into build/fuzz) and runs each for FUZZ_SECONDS (default 5) from its seed
# corpus; without clang and libFuzzer it is one SKIP, never a failure.
# Each program's output goes to BIN/tests/logs/<name>.log and is shown when it
# fails. Exit status 77 from a test program means "skipped here" (with the
# reason on its last output line). Ends with one line "N passed, N failed, N skipped".
set -u
bin=$1; shift
logs="$bin/tests/logs"
mkdir -p "$logs"
export ACKLAB_BIN="$(cd "$bin" && pwd)"
export ACKLAB_SRC="$(pwd)"
pass=0; fail=0; skip=0; failed=()

run_one() { # name, command...
	local name=$1; shift
	local log="$logs/${name//\//_}.log" start end rc
	start=$(date +%s.%N)
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	last_rc=$rc
	end=$(date +%s.%N)
	local secs
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
	case $rc in
	0)  pass=$((pass+1)); printf 'PASS  %-40s %5ss\n' "$name" "$secs" ;;
	77) skip=$((skip+1)); printf 'SKIP  %-40s %s\n' "$name" "$(tail -n 1 "$log")" ;;
	*)  fail=$((fail+1)); failed+=("$name"); printf 'FAIL  %-40s %5ss (exit %d)\n' "$name" "$secs" "$rc"
	    sed 's/^/      | /' "$log" | tail -n 40 ;;
	esac
}

for suite in "$@"; do
	case $suite in
	unit|integration)
		for t in "$bin/tests/$suite"/*; do
			[ -f "$t" ] && [ -x "$t" ] || continue
			run_one "$suite/$(basename "$t")" "$t"
		done
		for t in tests/"$suite"/*.sh; do
			[ -f "$t" ] || continue
			run_one "$suite/$(basename "$t")" bash "$t"
		done ;;
	fuzz)
		# A fresh corpus folder per run: the seed corpus (regressions included)
		# is replayed every time, and what the run finds stays under $bin.
		run_one "fuzz/build" bash -c 'tests/fuzz/probe.sh || exit 77
			exec env -u MAKEFLAGS -u MAKELEVEL make --no-print-directory -j"$(nproc)" fuzz'
		[ "$last_rc" -eq 0 ] || continue
		for src in tests/fuzz/*.c; do
			name=$(basename "$src" .c)
			rm -rf "$bin/tests/fuzz/$name"
			run_one "fuzz/$name" tests/fuzz/run-target.sh "build/fuzz/bin/$name" \
				"${FUZZ_SECONDS:-5}" "$bin/tests/fuzz/$name" 2000000
		done ;;
	matrix)
		run_one "matrix/acklab-run" "$bin/acklab" run --out "$bin/tests/matrix-report" --force
		# Every role of every cell must have ended without a sanitizer report
		# (this matters under `make asan`, where the roles are instrumented too).
		run_one "matrix/roles-clean" bash -c '! grep -l -E "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|LeakSanitizer has encountered" -r "$0" --include="*.stderr.log"' "$bin/tests/matrix-report" ;;
	esac
done

[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
