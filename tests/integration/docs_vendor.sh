#!/usr/bin/env bash
# docs/vendor.md walks a vendor through evaluating a system of their own, and
# every step of it must work as written. This test takes the page apart:
#  - each block fenced as ```LANG PATH is a file: written to PATH in a fresh
#    folder outside the repository (executable when it starts with #!);
#  - each block fenced as ```sh (or ```sh exit=N) is a step: run there, in
#    order, with acklab's programs on PATH, and must exit 0 (or N);
#  - each table after a line <!-- verdicts: RUN --> says what the reader will
#    see in the run folder RUN: per scenario a verdict followed by ✓ (met),
#    ✗ (not met), or n/a, checked against RUN/results.json. A scenario the
#    page does not know yet (added since) is only noted, unless its cell is
#    an error or its fault touched nothing: no shipped scenario may do that
#    on a black-box stack.
# Needs: ACKLAB_BIN, ACKLAB_SRC (set by tests/run-tests.sh). Exits 77 when the
# machine cannot make namespaces.
set -u
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
src=${ACKLAB_SRC:-$(pwd)}
doc="$src/docs/vendor.md"
bin=$(cd "$bin" && pwd)
work=$(mktemp -d /tmp/acklab-vendor-doc.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
fails=0
ok()  { echo "ok   $*"; }
bad() { fails=$((fails+1)); echo "FAIL $*"; }

"$bin/acklab" doctor >/dev/null 2>&1
[ $? -eq 4 ] && { echo "this machine cannot make the namespaces acklab needs"; exit 77; }

# The page, taken apart: files, steps (step-N.sh with its wanted exit), verdict tables (verdicts-RUN).
mkdir "$work/.doc"
awk -v dir="$work" '
	/^```sh( exit=[0-9]+)?$/ { n++; file = dir "/.doc/step-" sprintf("%02d", n) ".sh"
		want = ($2 ~ /^exit=/) ? substr($2, 6) : 0; print want > (file ".exit"); close(file ".exit"); next }
	/^```[a-z]+ [^ ]+$/ { file = dir "/" $2; system("mkdir -p \"$(dirname \"" file "\")\""); next }
	/^```/ { file = ""; next }
	/^<!-- verdicts: [^ ]+ -->$/ { table = dir "/.doc/verdicts-" $3; next }
	table != "" && /^\| `/ { print > table; next }
	table != "" && /^$/ { table = "" }
	file != "" { print > file }
' "$doc"
for f in $(find "$work" -path "$work/.doc" -prune -o -type f -print); do
	head -c 2 "$f" | grep -q '^#!' && chmod 755 "$f"
done
steps=$(ls "$work"/.doc/step-*.sh 2>/dev/null | wc -l)
files=$(find "$work" -path "$work/.doc" -prune -o -type f -print | wc -l)
[ "$steps" -ge 3 ] && [ "$files" -ge 3 ] && ok "the page holds $files files and $steps steps" ||
	bad "the page holds $files files and $steps steps (want at least 3 of each)"

# The steps, in order, as a reader runs them: in their own folder, acklab on PATH (the system's python3 first).
cd "$work" || exit 1
for step in "$work"/.doc/step-*.sh; do
	want=$(cat "$step.exit")
	PATH="$bin:/usr/bin:/bin:$PATH" bash -u "$step" >"$step.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$(basename "$step"): $(grep -v '^$' "$step" | head -1 | cut -c1-80) (exit $rc)"
	else
		bad "$(basename "$step") exited $rc, the page says $want:"; sed 's/^/     | /' "$step.out" | tail -25
	fi
done

# What the page says you will see, against what the runs wrote.
for table in "$work"/.doc/verdicts-*; do
	run=${table##*/verdicts-}
	results="$work/$run/results.json"
	[ -s "$results" ] || { bad "the page shows verdicts of $run, which no step made"; continue; }
	while IFS='|' read -r _ scenario said _; do
		scenario=$(sed 's/[` ]//g' <<<"$scenario")
		said=$(sed 's/^ *//; s/ *$//' <<<"$said")
		case $said in
		n/a)   want_status=n/a; want_verdict= ;;
		*' ✓') want_status=met; want_verdict=${said% ✓} ;;
		*' ✗') want_status=unmet; want_verdict=${said% ✗} ;;
		*)     bad "$run: $scenario: '$said' is neither n/a nor a verdict with ✓ or ✗"; continue ;;
		esac
		got=$(jq -r --arg s "$scenario" '.cells[] | select(.scenario == $s) | "\(.status)|\(.verdict)"' "$results")
		if [ -z "$got" ]; then
			bad "$run: the page shows $scenario, the run has no such cell"
		elif [ "${got%%|*}" != "$want_status" ] || { [ -n "$want_verdict" ] && [ "${got#*|}" != "$want_verdict" ]; }; then
			bad "$run: $scenario: the page says '$said', the run says ${got%%|*} '${got#*|}'"
		else
			ok "$run: $scenario: $said"
		fi
	done <"$table"
	# A scenario added since the page was written: a black-box stack may find it n/a or not as
	# expected, but never an error or a fault that touched nothing (a vacuous clean).
	jq -r '.cells[] | "\(.scenario)|\(.status)|\(.verdict)"' "$results" | while IFS='|' read -r s status verdict; do
		grep -q "^| \`$s\` |" "$table" && continue
		case "$status|$verdict" in
		error*|*UNTOUCHED*) echo "FAIL $run: $s (not on the page): $status $verdict" ;;
		*) echo "note $run: $s is not on the page yet ($status $verdict)" ;;
		esac
	done >"$table.extra"
	cat "$table.extra"
	grep -q '^FAIL' "$table.extra" && fails=$((fails+1))
	ok "$run: checked every cell of the run"
done

# The page's own claims about where the expectation shows.
grep -qF 'Expected DUP m3 (`mychat/mychat-nokey.stack:13`), observed DUP m3.' "$work/run-3/summary.md" 2>/dev/null &&
	ok "summary.md names the stack's expect line, as the page says" ||
	bad "summary.md: $(grep Expected "$work/run-3/summary.md" 2>&1 | head -2)"
grep -qF '(mychat/mychat-nokey.stack:13)' "$doc" && ok "and the page quotes that line" || bad "the page quotes another line"
exit $((fails > 0))
