#!/usr/bin/env bash
# docs/scenarios.md shows whole files in blocks marked scn and stack: each
# must be one that `acklab check` accepts, so the reference cannot drift
# from the parser. Every statement of the language must have its row too.
set -u
bin=${ACKLAB_BIN:-bin}
src=${ACKLAB_SRC:-.}
doc="$src/docs/scenarios.md"
work=$(mktemp -d /tmp/acklab-docs-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0

# Each fenced block of a kind into its own file: scn-1.scn, stack-1.stack, ...
awk -v dir="$work" '
	/^```(scn|stack)$/ { kind = substr($0, 4); n[kind]++; file = dir "/" kind "-" n[kind] "." kind; next }
	/^```/ { file = ""; next }
	file != "" { print > file }
' "$doc"
blocks=$(ls "$work" | wc -l)
[ "$blocks" -ge 2 ] || { echo "FAIL: docs/scenarios.md holds $blocks whole files (want a scenario and a stack)"; exit 1; }
for f in "$work"/*; do
	if out=$("$bin/acklab" check "$f" 2>&1); then
		echo "ok   $(basename "$f") checks"
	else
		echo "FAIL $(basename "$f"): $out"
		fail=1
	fi
done
# Every statement named in scenario.h's reference has an example row.
for stmt in scenario title order recipients servers channel "server failpoints" client listen sysctl rate on \
	    send await wait fault heal settle expect workload nemesis; do
	grep -q "^| \`$stmt" "$doc" || { echo "FAIL no row for '$stmt'"; fail=1; }
done
exit $fail
