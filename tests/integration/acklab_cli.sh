#!/usr/bin/env bash
# acklab_cli.sh: the acklab command line as a user meets it, end to end.
# Exit codes of run/check/list/doctor, exact scenario error messages, a run as
# an unprivileged user giving the same verdicts, and nothing left behind
# (processes, network namespaces, interfaces, routes, rules) after a normal
# exit, after SIGINT and after SIGKILL in the middle of a run.
# Needs: ACKLAB_BIN (set by tests/run-tests.sh). Exits 77 when the machine
# cannot make namespaces (acklab doctor exits 4).
set -u
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
src=${ACKLAB_SRC:-$(pwd)}
acklab="$bin/acklab"
work=$(mktemp -d /tmp/acklab-cli-test.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
fails=0; passes=0

ok()   { passes=$((passes+1)); echo "ok   $*"; }
bad()  { fails=$((fails+1)); echo "FAIL $*"; }
expect_rc() { # want, description, command...
	local want=$1 what=$2; shift 2
	"$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$what (exit $rc)"; else
		bad "$what: exit $rc, wanted $want"; sed 's/^/     | /' "$work/out" "$work/err" | tail -20; fi
}

# what the machine's own network looks like; must not change
machine_view() {
	{ ip -o link show | sed 's/ qlen [0-9]*//' | awk '{print $2}'; ip -o addr; ip route; ip -6 route
	  cat /proc/sys/net/ipv4/ip_forward
	  nft list ruleset 2>/dev/null; } | sort
}
# Processes of one run: acklab is started in a session of its own, and every
# process it makes stays in that session, so what is left of a run is exactly
# what is left in its session (other acklab runs on the machine do not count).
session_left() { ps -eo sid=,pid=,comm= | awk -v s="$1" '$1 == s' | wc -l; }
wait_session_empty() { # sid: bounded wait for the kernel to reap a killed run
	for _ in $(seq 1 100); do [ "$(session_left "$1")" -eq 0 ] && return 0; sleep 0.05; done
	return 1
}

# --- usage and checking -------------------------------------------------------
expect_rc 0 "acklab --help" "$acklab" --help
expect_rc 0 "acklab run --help" "$acklab" run --help
expect_rc 2 "acklab with an unknown command" "$acklab" frobnicate
grep -q "unknown command 'frobnicate'" "$work/err" && ok "names the unknown command" || bad "unknown command message: $(cat "$work/err")"
expect_rc 0 "acklab check (every shipped file)" "$acklab" check
expect_rc 0 "acklab list" "$acklab" list
grep -q '| lost-ack |' "$work/out" && ok "list shows the scenarios" || bad "list output lacks lost-ack"

cat >"$work/bad.scn" <<'SCN'
scenario bad
send m1
fault drop-reply client server
expect * clean
SCN
expect_rc 2 "check rejects a misspelt fault" "$acklab" check "$work/bad.scn"
grep -qF "$work/bad.scn:3:7: unknown fault 'drop-reply' (did you mean 'drop-replies'?)" "$work/err" &&
	ok "error names file:line:col and suggests" || bad "error text was: $(cat "$work/err")"
expect_rc 2 "run with an unknown scenario" "$acklab" run no-such-scenario
mkdir -p "$work/empty"
expect_rc 2 "run with zero scenarios is an error" env ACKLAB_SCENARIOS="$work/empty" "$acklab" run
expect_rc 2 "run with an unknown stack" "$acklab" run lost-ack --stack ws-nope

# --- can this machine run it at all? --------------------------------------------
"$acklab" doctor >"$work/doctor.out" 2>&1
drc=$?
if [ "$drc" -eq 4 ]; then
	cat "$work/doctor.out"
	echo "skipped: this machine cannot make the namespaces acklab needs"
	exit 77
fi
[ "$drc" -eq 0 ] && ok "doctor: every primitive holds" || { bad "doctor exit $drc"; sed 's/^/     | /' "$work/doctor.out"; }

before_view=$(machine_view)

# --- a normal run, as root and as an unprivileged user ---------------------------
expect_rc 0 "run lost-ack on ws-ack and http" "$acklab" run lost-ack --stack ws-ack,http --out "$work/root"
jq -r '.cells[] | "\(.stack) \(.verdict)"' "$work/root/results.json" | sort >"$work/root.verdicts"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	expect_rc 0 "doctor as nobody" setpriv --reuid=65534 --regid=65534 --clear-groups "$acklab" doctor
	mkdir "$work/user" && chown 65534 "$work/user"
	expect_rc 0 "the same run as nobody" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$acklab" run lost-ack --stack ws-ack,http --out "$work/user/run"
	jq -r '.cells[] | "\(.stack) \(.verdict)"' "$work/user/run/results.json" | sort >"$work/user.verdicts"
	cmp -s "$work/root.verdicts" "$work/user.verdicts" && ok "same verdicts as root and as nobody: $(tr '\n' ';' <"$work/root.verdicts")" ||
		bad "verdicts differ: root $(cat "$work/root.verdicts") / nobody $(cat "$work/user.verdicts")"
fi

# --- a report that cannot be written ---------------------------------------------
mkdir -p "$work/noreport/summary.md"
expect_rc 1 "a run whose summary.md cannot be written exits 1" \
	"$acklab" run lost-ack --stack http --out "$work/noreport"
grep -qF "acklab: report markdown: cannot write $work/noreport/summary.md: Is a directory" "$work/err" &&
	ok "says which report and why" || bad "report failure message: $(cat "$work/err")"
grep -q "Reports: " "$work/out" && bad "claims the reports were written: $(tail -1 "$work/out")" ||
	ok "does not claim the reports were written"
[ -s "$work/noreport/results.json" ] && ok "the reports that could be written are there" ||
	bad "results.json missing"

# --- killed in the middle of a run --------------------------------------------
for sig in INT KILL; do
	setsid "$acklab" run lost-ack --stack ws-ack --out "$work/killed-$sig" >"$work/killed.out" 2>&1 &
	pid=$!
	# wait (bounded) until the cell is in the middle: its server store exists
	for _ in $(seq 1 100); do
		[ -e "$work/killed-$sig/lost-ack/ws-ack/chat.db" ] && break
		sleep 0.05
	done
	[ "$(session_left "$pid")" -ge 3 ] && ok "SIG$sig: the run is going ($(session_left "$pid") processes)" ||
		bad "SIG$sig: the run was not going when killed"
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	rc=$?
	if wait_session_empty "$pid"; then ok "SIG$sig mid-run: no process, and so no namespace, is left"; else
		bad "SIG$sig mid-run: left: $(ps -eo sid=,pid=,stat=,comm= | awk -v s="$pid" '$1 == s')"; fi
	if [ "$sig" = INT ]; then
		[ "$rc" -eq 130 ] && ok "SIGINT: exit 130" || bad "SIGINT: exit $rc, wanted 130"
		grep -q "interrupted" "$work/killed.out" && ok "SIGINT: says the run was interrupted" ||
			bad "SIGINT: output does not say interrupted"
	fi
done

after_view=$(machine_view)
[ "$before_view" = "$after_view" ] && ok "the machine's interfaces, routes, sysctls and ruleset are unchanged" ||
	{ bad "the machine's network view changed"; diff <(echo "$before_view") <(echo "$after_view") | head; }

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
