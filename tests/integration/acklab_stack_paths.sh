#!/usr/bin/env bash
# acklab_stack_paths.sh: a stack's commands find their own files and the
# cell's folder from anywhere. {stackdir} is the stack file's folder and {dir}
# the cell's folder, both absolute, also when the stack was named by a
# relative path and the run folder is the relative reports/ of an installed
# acklab; a cell rerun from its plan.json in another working folder gets the
# same {stackdir}.
# Needs: ACKLAB_BIN, ACKLAB_SRC (set by tests/run-tests.sh). Exits 77 when the
# machine cannot make namespaces.
set -u
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
src=${ACKLAB_SRC:-$(pwd)}
acklab="$bin/acklab"
work=$(mktemp -d /tmp/acklab-stack-paths.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
fails=0
ok()  { echo "ok   $*"; }
bad() { fails=$((fails+1)); echo "FAIL $*"; }

"$acklab" doctor >/dev/null 2>&1
[ $? -eq 4 ] && { echo "this machine cannot make the namespaces acklab needs"; exit 77; }

# The vendor's folder: a stack whose client is a script beside it, which says what it was given.
mkdir -p "$work/vendor" "$work/elsewhere" "$work/third"
cat >"$work/vendor/client.sh" <<'SH'
#!/bin/sh
# say where we were pointed, then be the reference client
echo "stackdir=$1 dir=$2" >&2
shift 2
exec "$@"
SH
chmod 755 "$work/vendor/client.sh"
sed -e 's/^stack .*/stack   paths/' -e 's/^default .*/default no/' \
	-e 's|^client  |client  {stackdir}/client.sh {stackdir} {dir} |' \
	"$src/scenarios/stacks/http.stack" >"$work/vendor/paths.stack"

# An installed acklab writes to ./reports; the stack is named by a relative path.
cd "$work/elsewhere" || exit 1
ACKLAB_SCENARIOS="$src/scenarios" "$acklab" run unknown-channel --stack ../vendor/paths.stack >"$work/run.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "a stack named by a relative path runs (exit 0)" || { bad "run exit $rc"; tail -20 "$work/run.out"; }
log=$(ls "$work"/elsewhere/reports/*/unknown-channel/paths/client.stderr.log 2>/dev/null | head -1)
[ -n "$log" ] || bad "no client log under $work/elsewhere/reports"
cell=$(dirname "$log")
grep -qx "stackdir=$work/vendor dir=$cell" "$log" &&
	ok "{stackdir} and {dir} are absolute" || bad "the client was given: $(head -1 "$log") (want stackdir=$work/vendor dir=$cell)"
jq -e --arg d "$work/vendor" '.stackdir == $d' "$cell/plan.json" >/dev/null &&
	ok "plan.json records {stackdir}" || bad "plan.json stackdir: $(jq .stackdir "$cell/plan.json")"

# Rerun from the plan in another working folder: the same script is found.
cd "$work/third" || exit 1
"$acklab" run --plan "$cell/plan.json" --out "$work/rerun" >"$work/rerun.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "a rerun from plan.json elsewhere finds the stack's script (exit 0)" ||
	{ bad "rerun exit $rc"; tail -20 "$work/rerun.out"; }
grep -q "^stackdir=$work/vendor dir=$work/rerun/unknown-channel/paths$" "$work/rerun/unknown-channel/paths/client.stderr.log" &&
	ok "and gives it the same {stackdir}" || bad "rerun client got: $(head -1 "$work/rerun/unknown-channel/paths/client.stderr.log")"
exit $((fails > 0))
