#!/usr/bin/env bash
# acklab check warns when two scenarios share a title (the matrix names its
# rows by title, so they would read alike), and stays quiet on the project's
# own scenarios, whose titles differ.
set -u
bin=${ACKLAB_BIN:-bin}
src=${ACKLAB_SRC:-.}
work=$(mktemp -d /tmp/acklab-check-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0

cp "$src/scenarios/lost-ack.scn" "$work/a.scn"
sed 's/^scenario lost-ack$/scenario lost-ack-again/' "$src/scenarios/lost-ack.scn" >"$work/b.scn"
"$bin/acklab" check "$work/a.scn" "$work/b.scn" >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" -eq 0 ] && echo "ok   a shared title is a warning, not an error" || { echo "FAIL exit $rc"; fail=1; }
grep -qF "warning: $work/b.scn: title \"lost ack\" is also $work/a.scn's" "$work/err" &&
	echo "ok   the warning names both files and the title" || { echo "FAIL no warning: $(cat "$work/err")"; fail=1; }

"$bin/acklab" check >"$work/out" 2>"$work/err"
grep -q 'title' "$work/err" && { echo "FAIL the project's scenarios share a title: $(cat "$work/err")"; fail=1; } ||
	echo "ok   the project's scenarios have titles of their own"
exit $fail
