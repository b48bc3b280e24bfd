#!/usr/bin/env bash
# socketio.sh: acklab on Socket.IO 4, real software nobody here wrote
# (fixtures/socketio, the sio-*.stack columns). Two parts:
#  - the fixture on loopback, no acklab: the adapter's events follow
#    docs/protocol.md (every `t` is CLOCK_MONOTONIC, read between two reads
#    of that clock; Sent with the stored ts; an unknown channel Failed after
#    one attempt); the server deduplicates a resent client_msg_id; the store
#    survives a SIGKILL with a torn last line (cut off) and keeps appending;
#    a failed store write (failpoint persist=fail@1) is not acknowledged, so
#    Socket.IO's retries resend it;
#  - the Socket.IO cells through acklab: every applicable scenario on the
#    send stacks, each cell's verdict the one Socket.IO's documentation
#    promises (at most once with emit, at least once with retries, so a lost
#    ack is a DUP without a key and clean with one), the recipient with connection state
#    recovery shown m2 again after a partition (recovered: true), the
#    push-only recipient never shown it (GAP); and a stack whose `requires`
#    names something missing comes out n/a, not failed.
# Needs: ACKLAB_BIN, ACKLAB_SRC (set by tests/run-tests.sh). Exits 77 (skip)
# without Node or the npm packages (./run.sh or `make socketio-deps` installs
# them), or when the machine cannot make namespaces.
set -u
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
src=${ACKLAB_SRC:-$(pwd)}
acklab="$bin/acklab"
fx="$bin/socketio"    # the copy make puts beside acklab, which the stacks run
command -v node >/dev/null 2>&1 || { echo "skipped: node is not installed (./run.sh installs it)"; exit 77; }
for p in socket.io socket.io-client; do
	[ -f "$fx/node_modules/$p/package.json" ] ||
		{ echo "skipped: npm package $p is not installed in $fx (make socketio-deps, then make)"; exit 77; }
done
command -v python3 >/dev/null 2>&1 || { echo "skipped: python3 is needed to read CLOCK_MONOTONIC"; exit 77; }
work=$(mktemp -d /tmp/acklab-socketio-test.XXXXXX)
chmod 755 "$work"
server_pid=
cleanup() { [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fails=0; passes=0
ok()  { passes=$((passes+1)); echo "ok   $*"; }
bad() { fails=$((fails+1)); echo "FAIL $*"; }
mono() { python3 -c 'import time; print(time.monotonic_ns())'; }

# Start server.js on a free loopback port; waits (at most 10 s) for its ready line.
start_server() { # data-dir, extra args...
	local data=$1; shift
	: >"$work/server.out"
	node "$fx/server.js" --listen 127.0.0.1:0 --data "$data" "$@" >"$work/server.out" 2>"$work/server.err" &
	server_pid=$!
	for _ in $(seq 1 200); do
		url=$(jq -r 'select(.ev=="ready") | "http://" + .listen' "$work/server.out" 2>/dev/null | head -n 1)
		[ -n "$url" ] && return 0
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.05
	done
	bad "server.js did not print its ready line: $(cat "$work/server.err")"
	return 1
}
stop_server() { kill -9 "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=; }
history() { node "$fx/client.js" --server "$url" --mode history --page-limit 1 "$@"; }

# ---- 1. the fixture on loopback ------------------------------------------------
mkdir -p "$work/d1"
if start_server "$work/d1" --dedup; then
	before=$(mono)
	printf '%s\n' '{"op":"send","id":"m1","channel":"general","text":"m1 (acklab-t-m1)"}' \
		'{"op":"send","id":"m2","channel":"nowhere","text":"m2 (acklab-t-m2)"}' \
		'{"op":"send"}' \
		'{"op":"send","id":"m3","channel":"general","text":"m3 (acklab-t-m3)"}' |
		timeout 20 node "$fx/client.js" --server "$url" --mode sio-retries-key --timeout-ms 1000 \
			--attempts 3 >"$work/c1.out" 2>"$work/c1.err"
	rc=$?
	after=$(mono)
	[ $rc -eq 0 ] && ok "the adapter exits 0 at the end of its input" || bad "adapter exit $rc: $(cat "$work/c1.err")"
	n=$(jq -s --argjson a "$before" --argjson b "$after" '[.[] | select(.t < $a or .t > $b)] | length' "$work/c1.out")
	total=$(jq -s length "$work/c1.out")
	[ "$n" = 0 ] && [ "$total" -ge 8 ] &&
		ok "every event's t ($total) lies between two CLOCK_MONOTONIC reads around the run" ||
		bad "$n of $total events have a t outside [$before, $after]"
	sent_ts=$(jq -r 'select(.ev=="sent" and .id=="m1") | .ts' "$work/c1.out")
	stored_ts=$(history | jq -r 'select(.text|test("acklab-t-m1")) | .ts')
	[ -n "$sent_ts" ] && [ "$sent_ts" = "$stored_ts" ] &&
		ok "m1 is shown Sent with the ts the store holds ($sent_ts)" || bad "m1 sent ts '$sent_ts', stored '$stored_ts'"
	jq -e -s 'map(select(.id=="m2" and .ev=="failed"))[0] | .error=="channel_not_found" and .attempts==1' \
		"$work/c1.out" >/dev/null && ok "m2 to an unknown channel: Failed (channel_not_found) after one attempt" ||
		bad "m2: $(grep '"m2"' "$work/c1.out")"
	jq -e -s 'map(select(.ev=="error" and .error=="bad_command")) | length == 1' "$work/c1.out" >/dev/null &&
		ok "a send without an id is a bad_command, and the client keeps going" || bad "no bad_command event"
	[ "$(history | jq -s 'map(.text) == ["m1 (acklab-t-m1)", "m3 (acklab-t-m3)"]')" = true ] &&
		ok "the store holds m1 and m3, paged one row at a time" || bad "history: $(history)"
	[ "$(history --channel nowhere | wc -l)" = 0 ] && ok "an unknown channel reads back empty (exit 0)" ||
		bad "unknown channel read back"

	# The same client_msg_id twice (a resend): one row, one ts for both acks.
	NODE_PATH="$fx/node_modules" timeout 20 node -e '
		const { io } = require("socket.io-client");
		const s = io(process.argv[1], { transports: ["websocket"] });
		const m = { channel: "general", text: "k1 (acklab-t-k1)", client_msg_id: "key-1" };
		s.timeout(5000).emit("message", m, (e1, a) => s.timeout(5000).emit("message", m, (e2, b) => {
			console.log(JSON.stringify({ a, b })); s.close(); }));' "$url" >"$work/dedup.out" 2>&1
	[ "$(history | grep -c acklab-t-k1)" = 1 ] &&
		jq -e '.a.ts == .b.ts and .b.duplicate == true' "$work/dedup.out" >/dev/null &&
		ok "a resent client_msg_id is stored once and answered with the first ts" ||
		bad "dedup: $(cat "$work/dedup.out"); $(history | grep -c acklab-t-k1) rows"

	# SIGKILL, then a torn last line as a crash mid-write leaves: cut off at restart.
	stop_server
	printf '{"channel":"general","ts":"9' >>"$work/d1/socketio-chat.jsonl"
	if start_server "$work/d1" --dedup; then
		[ "$(history | jq -s length)" = 3 ] && ok "after SIGKILL and a torn line the store reads back its 3 whole rows" ||
			bad "after restart: $(history)"
		printf '%s\n' '{"op":"send","id":"m4","channel":"general","text":"m4 (acklab-t-m4)"}' |
			timeout 20 node "$fx/client.js" --server "$url" --mode sio-retries --timeout-ms 1000 >/dev/null 2>&1
		tail -c 1 "$work/d1/socketio-chat.jsonl" | od -c | grep -q '\\n' &&
			[ "$(history | jq -s 'map(.text) | last')" = '"m4 (acklab-t-m4)"' ] &&
			[ "$(jq -s length "$work/d1/socketio-chat.jsonl" 2>/dev/null)" = 4 ] &&
			ok "the next message is appended after the last whole line" || bad "append after torn line: $(cat "$work/d1/socketio-chat.jsonl")"
		stop_server
	fi
fi

# A store write that fails is not acknowledged: Socket.IO's retries resend it after ackTimeout.
mkdir -p "$work/d2"
if start_server "$work/d2" --events --failpoints persist=fail@1; then
	printf '%s\n' '{"op":"send","id":"m1","channel":"general","text":"m1 (acklab-t-m1)"}' |
		timeout 20 node "$fx/client.js" --server "$url" --mode sio-retries --timeout-ms 300 --attempts 3 \
			>"$work/c2.out" 2>&1
	jq -e -s 'map(select(.ev=="sent" and .id=="m1"))[0].attempts == 2' "$work/c2.out" >/dev/null &&
		[ "$(jq -r -s 'map(select(.ev=="persist_failed" or .ev=="persisted" or .ev=="failpoint") | .ev) | join(",")' \
			"$work/server.out")" = "failpoint,persist_failed,persisted" ] &&
		[ "$(history | grep -c acklab-t-m1)" = 1 ] &&
		ok "persist=fail@1: not acknowledged, resent after ackTimeout, stored once, Sent after 2 attempts" ||
		bad "persist=fail@1: $(cat "$work/c2.out"; cat "$work/server.out")"
	stop_server
fi

# ---- 2. the Socket.IO cells through acklab ------------------------------------
"$acklab" doctor >/dev/null 2>&1
if [ $? -eq 4 ]; then
	echo "the acklab cells need namespaces, which this machine cannot make"
	echo "$passes passed, $fails failed"
	[ $fails -eq 0 ] && { echo "skipped: namespaces"; exit 77; }
	exit 1
fi
verdict() { jq -r --arg s "$2" --arg k "$3" '.cells[] | select(.scenario==$s and .stack==$k) | .verdict' "$1/results.json"; }
status() { jq -r --arg s "$2" --arg k "$3" '.cells[] | select(.scenario==$s and .stack==$k) | .status' "$1/results.json"; }
start=$(date +%s)

# Three runs side by side (the machine has few cores, and each waits on its slowest cell):
#  - every scenario that can run on a black box, on the stacks that wait for an ack;
#  - sio-emit on the rows whose outcome does not depend on the machine's speed (see its stack file);
#  - the receive side: recovery replays what a partition hid; push alone never shows it.
send_rows="crash-before-persist crash-before-read crash-after-persist fanout-before-persist lost-ack half-open-nat disk-full power-loss unknown-channel shaped-network partition-recipient"
emit_rows="crash-before-persist crash-before-read crash-after-persist lost-ack half-open-nat unknown-channel shaped-network partition-recipient"
"$acklab" run $send_rows --stack sio-retries,sio-retries-key --out "$work/retries" -j 4 >"$work/retries.out" 2>&1 &
pid_retries=$!
"$acklab" run $emit_rows --stack sio-emit --out "$work/emit" -j 2 >"$work/emit.out" 2>&1 &
pid_emit=$!
"$acklab" run partition-recipient --stack sio-listen-recovery,sio-listen-push --out "$work/recv" -j 2 \
	>"$work/recv.out" 2>&1
wait $pid_retries
wait $pid_emit

# What Socket.IO's documentation promises, cell by cell: the verdict acklab
# must observe (the stack files' expect lines say the same, so `acklab run
# --stack ...` reports these cells as expected). "clean|UNTOUCHED": sio-emit
# asks for no answer on lost-ack, so the fault may find nothing to drop.
cells=0; wrong=0
while read -r run scenario stack want; do
	got=$(verdict "$work/$run" "$scenario" "$stack")
	cells=$((cells + 1))
	case "|$want|" in
	*"|$got|"*) ;;
	*) wrong=$((wrong + 1))
	   bad "$scenario × $stack: observed '$got', Socket.IO promises '$want'"
	   jq -r --arg s "$scenario" --arg k "$stack" '.cells[] | select(.scenario==$s and .stack==$k) |
		"     \(.error // .reason // "")"' "$work/$run/results.json";;
	esac
done <<'EOF_TABLE'
retries crash-before-persist  sio-retries      clean
retries crash-before-read     sio-retries      clean
retries crash-after-persist   sio-retries      DUP m3
retries fanout-before-persist sio-retries      clean
retries lost-ack              sio-retries      DUP m3
retries half-open-nat         sio-retries      clean
retries disk-full             sio-retries      clean
retries power-loss            sio-retries      clean
retries unknown-channel       sio-retries      FAILED m2
retries shaped-network        sio-retries      clean
retries partition-recipient   sio-retries      clean
retries crash-before-persist  sio-retries-key  clean
retries crash-before-read     sio-retries-key  clean
retries crash-after-persist   sio-retries-key  clean
retries fanout-before-persist sio-retries-key  clean
retries lost-ack              sio-retries-key  clean
retries half-open-nat         sio-retries-key  clean
retries disk-full             sio-retries-key  clean
retries power-loss            sio-retries-key  clean
retries unknown-channel       sio-retries-key  FAILED m2
retries shaped-network        sio-retries-key  clean
retries partition-recipient   sio-retries-key  clean
emit    crash-before-persist  sio-emit         LOST m3
emit    crash-before-read     sio-emit         LOST m3
emit    crash-after-persist   sio-emit         clean
emit    lost-ack              sio-emit         clean|clean, UNTOUCHED
emit    half-open-nat         sio-emit         LOST m3
emit    unknown-channel       sio-emit         LOST m2
emit    shaped-network        sio-emit         clean
emit    partition-recipient   sio-emit         clean
recv    partition-recipient   sio-listen-recovery clean
EOF_TABLE
[ "$wrong" -eq 0 ] && ok "$cells Socket.IO cells show what its documentation promises (at most once with emit, at least once with retries, once in the store with a key)"
for row in lost-ack crash-after-persist; do
	a=$(jq -r --arg s "$row" '.cells[] | select(.scenario==$s and .stack=="sio-retries-key") | .messages[] | select(.id=="m3") | .attempts' "$work/retries/results.json")
	[ "${a:-0}" -ge 2 ] && ok "$row on sio-retries-key: clean after $a attempts (the key made the resends safe)" ||
		bad "$row × sio-retries-key: m3 took ${a:-no} attempts: the fault did not make Socket.IO resend"
done
n=$(jq -r '.cells[] | select(.scenario=="crash-after-persist" and .stack=="sio-emit") | .messages[] | select(.id=="m3") | .attempts' "$work/emit/results.json")
[ "$n" = 1 ] && ok "crash-after-persist on sio-emit: m3 sent once, never resent" || bad "sio-emit resent m3 ($n attempts)"

[ "$(status "$work/recv" partition-recipient sio-listen-recovery)" = met ] &&
	grep -q '"recovered":true' "$work/recv/partition-recipient/sio-listen-recovery/history.jsonl" &&
	ok "partition on sio-listen-recovery: clean, the reconnection recovered (m2 replayed by Socket.IO)" ||
	bad "partition × sio-listen-recovery: $(verdict "$work/recv" partition-recipient sio-listen-recovery)"
gap=$(jq -r '.cells[] | select(.scenario=="partition-recipient" and .stack=="sio-listen-push") | .messages[] | select(.id=="m2") | .class' "$work/recv/results.json")
[ "$gap" = gap ] && ok "partition on sio-listen-push: m2 never shown (gap; the scenario's wait for it cannot end)" ||
	bad "partition × sio-listen-push: m2 is '$gap' ($(jq -r '.cells[] | select(.stack=="sio-listen-push") | .error' "$work/recv/results.json"))"

# A stack whose requires names what this machine lacks: n/a, the missing file
# named, and the run beside it still exits 0 (n/a is not a failure).
mkdir -p "$work/stacks"
sed -e 's/^stack .*/stack    sio-missing/' -e 's|^requires .*|requires node {bin}/socketio/probe.js no-such-package|' \
	"$src/scenarios/stacks/sio-retries.stack" >"$work/stacks/sio-missing.stack"
"$acklab" run half-open-nat --stack "sio-retries,$work/stacks/sio-missing.stack" --out "$work/na" -j 2 \
	>"$work/na.out" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(status "$work/na" half-open-nat sio-missing)" = "n/a" ] &&
	[ "$(status "$work/na" half-open-nat sio-retries)" = met ] &&
	grep -q 'npm package no-such-package is not installed' "$work/na.out" &&
	ok "a stack whose requires is missing: n/a with the missing package named; the run exits 0" ||
	bad "missing requires: exit $rc, status $(status "$work/na" half-open-nat sio-missing): $(head -5 "$work/na.out")"

echo "the Socket.IO cells took $(( $(date +%s) - start )) s"
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
