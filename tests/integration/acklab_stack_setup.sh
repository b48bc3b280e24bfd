#!/usr/bin/env bash
# acklab_stack_setup.sh: a stack's setup command (users, sessions, channels)
# runs once per cell, in the server's host, after the server is ready and
# before the client starts, with its output in setup.*.log in the cell's
# folder. A setup that fails, or outlives setup-timeout-ms, makes the cell an
# error that quotes the end of its stderr, and the workload never starts.
# Needs: ACKLAB_BIN, ACKLAB_SRC (set by tests/run-tests.sh). Exits 77 when the
# machine cannot make namespaces.
set -u
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
src=${ACKLAB_SRC:-$(pwd)}
acklab="$bin/acklab"
work=$(mktemp -d /tmp/acklab-stack-setup.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
fails=0
ok()  { echo "ok   $*"; }
bad() { fails=$((fails+1)); echo "FAIL $*"; }

"$acklab" doctor >/dev/null 2>&1
[ $? -eq 4 ] && { echo "this machine cannot make the namespaces acklab needs"; exit 77; }

cat >"$work/setup.sh" <<'SH'
#!/bin/sh
# setup.sh MODE DIR BIN URL: reads the server (it must be up), leaves a mark for the client
mode=$1 dir=$2 bin=$3 url=$4
"$bin/chatc" --server "$url" --mode history --channel general >/dev/null || { echo "the server is not up" >&2; exit 1; }
echo "setup: made 1 user"
case $mode in
fail) echo "creating user alice" >&2; echo "error: admin token rejected (401)" >&2; exit 3 ;;
hang) exec sleep 30 ;;
esac
: >"$dir/setup-done"
SH
cat >"$work/client.sh" <<'SH'
#!/bin/sh
# client.sh DIR CMD...: the reference client, only once setup has run
[ -f "$1/setup-done" ] || { echo "the client started before setup was done" >&2; exit 5; }
shift
exec "$@"
SH
chmod 755 "$work/setup.sh" "$work/client.sh"
mkstack() { # name, setup mode, extra statement
	sed -e "s/^stack .*/stack   $1/" -e 's/^default .*/default no/' \
		-e 's|^client  |client  {stackdir}/client.sh {dir} |' \
		"$src/scenarios/stacks/http.stack" >"$work/$1.stack"
	echo "setup   {stackdir}/setup.sh $2 {dir} {bin} http://{server}:{port}" >>"$work/$1.stack"
	[ -n "${3:-}" ] && echo "$3" >>"$work/$1.stack"
	return 0
}
mkstack good ok
mkstack bad fail
mkstack slow hang "setup-timeout-ms 300"
"$acklab" check "$work/good.stack" >/dev/null 2>&1 && ok "check accepts setup and setup-timeout-ms" || bad "check refuses setup"

"$acklab" run unknown-channel --stack "$work/good.stack" --out "$work/good" >"$work/good.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "with setup done first, the cell is as expected (exit 0)" || { bad "run exit $rc"; tail -20 "$work/good.out"; }
cell="$work/good/unknown-channel/good"
grep -qx "setup: made 1 user" "$cell/setup.stdout.log" && ok "setup's output is in setup.stdout.log" || bad "setup.stdout.log: $(cat "$cell/setup.stdout.log" 2>&1)"
jq -e '.exits | map(select(.role == "setup" and .status == "exit 0")) | length == 1' "$cell/cell.json" >/dev/null &&
	ok "cell.json records setup's one exit" || bad "exits: $(jq -c .exits "$cell/cell.json")"

"$acklab" run unknown-channel --stack "$work/bad.stack" --out "$work/bad" >"$work/bad.out" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "a failing setup fails the run (exit 1)" || { bad "run exit $rc"; tail -20 "$work/bad.out"; }
err=$(jq -r '.cells[0].error' "$work/bad/results.json")
line=$(grep -n '^setup' "$work/bad.stack" | cut -d: -f1)
[ "$(jq -r '.cells[0].status' "$work/bad/results.json")" = error ] && ok "the cell is an error" || bad "status: $(jq -c '.cells[0].status' "$work/bad/results.json")"
grep -qF "$work/bad.stack:$line: setup failed (exit 3): its stderr ends: \"creating user alice|error: admin token rejected (401)\"" <<<"$err" &&
	ok "the error names the setup line, its exit and the end of its stderr" || bad "error: $err"
[ ! -e "$work/bad/unknown-channel/bad/client.stderr.log" ] && ok "the client never started" || bad "the client started"

start=$(date +%s%N)
"$acklab" run unknown-channel --stack "$work/slow.stack" --out "$work/slow" >"$work/slow.out" 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
err=$(jq -r '.cells[0].error' "$work/slow/results.json")
grep -qF "setup failed (still running after 300 ms, stopped): its stderr ends" <<<"$err" ||
	grep -qF "setup failed (still running after 300 ms, stopped): it wrote nothing on stderr" <<<"$err" &&
	ok "a setup that outlives setup-timeout-ms is stopped and said" || bad "error: $err"
[ "$ms" -lt 10000 ] && ok "and the run does not wait for it ($ms ms)" || bad "the run took $ms ms"
exit $((fails > 0))
