#!/usr/bin/env bash
# acklab_stack_setup.sh: a stack's setup command (users, sessions, channels)
# runs once per cell, in the server's host, after the server is ready and
# before the client starts, with its output in setup.*.log in the cell's
# folder. A setup that fails, or outlives setup-timeout-ms, makes the cell an
# error that quotes the end of its stderr, and the workload never starts.
# cell.json records every role's command line as it ran (a stack's own
# timers in it, over the scenario's), and the reports show them.
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
mkstack good ok "timers client timeout-ms 1500"
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

# Every role's command line, expanded; the stack's timeout-ms (1500) over the scenario's (300).
for role in server setup recipient1 client; do
	jq -e --arg r "$role" '[.commands[] | select(.role == $r)] | length == 1' "$cell/cell.json" >/dev/null ||
		bad "cell.json has not one command of $role: $(jq -c '[.commands[].role]' "$cell/cell.json")"
done
# The store is read once per channel the scenario sent to: general, and the channel that does not exist.
jq -e '[.commands[] | select(.role == "store") | .argv | index("--channel") as $i | .[$i + 1]] == ["general", "nowhere"]' \
	"$cell/cell.json" >/dev/null && ok "cell.json: one store command per channel read back" ||
	bad "store commands: $(jq -c '[.commands[] | select(.role == "store") | .command]' "$cell/cell.json")"
jq -e --arg w "$work" --arg d "$cell" '.commands[] | select(.role == "setup") |
	.host == "server" and .command == "\($w)/setup.sh ok \($d) \(.argv[3]) http://198.18.2.2:8080"' \
	"$cell/cell.json" >/dev/null && ok "cell.json: setup's command, expanded, in the server's host" ||
	bad "setup command: $(jq -c '.commands[] | select(.role == "setup")' "$cell/cell.json")"
jq -e '.commands[] | select(.role == "client") | .argv | index("--timeout-ms") as $i | .[$i + 1] == "1500"' \
	"$cell/cell.json" >/dev/null && ok "the stack's timeout-ms reached the client, over the scenario's" ||
	bad "client command: $(jq -r '.commands[] | select(.role == "client") | .command' "$cell/cell.json")"
jq -e '.timers_from.client["timeout-ms"] == "stack" and .timers_from.client.attempts == "scenario"' \
	"$cell/plan.json" >/dev/null && ok "plan.json says which timer came from where" || bad "timers_from: $(jq -c .timers_from "$cell/plan.json")"

"$acklab" run unknown-channel --stack "$work/bad.stack" --out "$work/bad" >"$work/bad.out" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "a failing setup fails the run (exit 1)" || { bad "run exit $rc"; tail -20 "$work/bad.out"; }
err=$(jq -r '.cells[0].error' "$work/bad/results.json")
line=$(grep -n '^setup' "$work/bad.stack" | cut -d: -f1)
[ "$(jq -r '.cells[0].status' "$work/bad/results.json")" = error ] && ok "the cell is an error" || bad "status: $(jq -c '.cells[0].status' "$work/bad/results.json")"
grep -qF "$work/bad.stack:$line: setup failed (exit 3): its stderr ends: \"creating user alice|error: admin token rejected (401)\"" <<<"$err" &&
	ok "the error names the setup line, its exit and the end of its stderr" || bad "error: $err"
[ ! -e "$work/bad/unknown-channel/bad/client.stderr.log" ] && ok "the client never started" || bad "the client started"
grep -qF "setup (in server): $work/setup.sh fail $work/bad/unknown-channel/bad " "$work/bad/summary.md" &&
	ok "summary.md shows the command lines of the cell that failed" || bad "summary.md: no setup command line"
grep -qF "setup (in server): $work/setup.sh fail $work/bad/unknown-channel/bad " "$work/bad/report.html" &&
	ok "and so does report.html" || bad "report.html: no setup command line"

start=$(date +%s%N)
"$acklab" run unknown-channel --stack "$work/slow.stack" --out "$work/slow" >"$work/slow.out" 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
err=$(jq -r '.cells[0].error' "$work/slow/results.json")
grep -qF "setup failed (still running after 300 ms, stopped): its stderr ends" <<<"$err" ||
	grep -qF "setup failed (still running after 300 ms, stopped): it wrote nothing on stderr" <<<"$err" &&
	ok "a setup that outlives setup-timeout-ms is stopped and said" || bad "error: $err"
[ "$ms" -lt 10000 ] && ok "and the run does not wait for it ($ms ms)" || bad "the run took $ms ms"
exit $((fails > 0))
