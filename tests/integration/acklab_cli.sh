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
netns_count() { find /proc/[0-9]*/ns/net -maxdepth 0 -printf '%l\n' 2>/dev/null | sort -u | wc -l; }
roles_alive() { ps -eo comm= | grep -cE '^(chatd|chatc|acklab)$'; }

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

before_view=$(machine_view); before_ns=$(netns_count); before_roles=$(roles_alive)

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

# --- killed in the middle of a run --------------------------------------------
for sig in INT KILL; do
	"$acklab" run lost-ack --stack ws-ack --out "$work/killed-$sig" >"$work/killed.out" 2>&1 &
	pid=$!
	# wait (bounded) until the cell is in the middle: its server store exists
	for _ in $(seq 1 100); do
		[ -e "$work/killed-$sig/lost-ack/ws-ack/chat.db" ] && break
		sleep 0.05
	done
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	# the kernel tears namespaces down asynchronously; give it a bounded moment
	for _ in $(seq 1 40); do
		[ "$(roles_alive)" -eq "$before_roles" ] && [ "$(netns_count)" -eq "$before_ns" ] && break
		sleep 0.05
	done
	[ "$(roles_alive)" -eq "$before_roles" ] && ok "SIG$sig mid-run: no process left" ||
		bad "SIG$sig mid-run: processes left: $(ps -eo pid=,comm= | grep -E ' (chatd|chatc|acklab)$')"
	[ "$(netns_count)" -eq "$before_ns" ] && ok "SIG$sig mid-run: no network namespace left" ||
		bad "SIG$sig mid-run: $(netns_count) network namespaces, $before_ns before"
done

after_view=$(machine_view)
[ "$before_view" = "$after_view" ] && ok "the machine's interfaces, routes, sysctls and ruleset are unchanged" ||
	{ bad "the machine's network view changed"; diff <(echo "$before_view") <(echo "$after_view") | head; }
[ "$(roles_alive)" -eq "$before_roles" ] && ok "no chatd/chatc/acklab left at the end" || bad "processes left at the end"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
