#!/usr/bin/env bash
# browser_cells.sh: the browser cells end to end. A real headless Chromium
# (Debian's chromium, driven by bin/browserc over the DevTools pipe) is the
# client: its page's WebSocket.send() shows Sent at once and loses m3 when
# the server dies before reading it or the NAT forgets the flow, while its
# fetch() POST with a client_msg_id stays clean. What the browser said is
# checked too: m3 was shown Sent while its frame still sat in the
# browser's own buffer (bufferedAmount), and every fetch() retry of m3
# carried the one key the server saw. A stack whose browser is missing is
# n/a with the reason, beside a reference cell that still runs and passes;
# that part runs on any machine. The browser cells run as root and, where
# setpriv exists, as nobody (acklab's user namespace, rootless). Exit 77
# (skip) with the reason when Chromium, or acklab's namespaces, are not
# available here. A page that stays silent after its start (not even ready)
# is looked at and gets one fresh browser, and the client says ready once.
# Needs ACKLAB_BIN and ACKLAB_SRC (tests/run-tests.sh).
set -u
fails=0; passes=0
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
src=${ACKLAB_SRC:-.}
acklab="$bin/acklab"
work=$(mktemp -d /tmp/acklab-browser-test.XXXXXX)
chmod 0711 "$work"   # nobody's run folder is made inside it
trap '[ "$fails" -eq 0 ] && rm -rf "$work" || echo "kept $work for a look"' EXIT
ok()  { passes=$((passes+1)); echo "ok   $*"; }
bad() { fails=$((fails+1)); echo "FAIL $*"; }
profiles() { find /tmp -maxdepth 1 -name 'browserc-profile-*' 2>/dev/null | wc -l; }
cell() { # run, scenario, stack: the cell's entry in results.json
	jq -c --arg s "$2" --arg k "$3" '.cells[] | select(.scenario == $s and .stack == $k)' "$1/results.json"
}
profiles_before=$(profiles)

# --- a browser that is not there: n/a with the reason, never a failure -----------
mkdir "$work/stacks"
sed -e 's/^stack .*/stack browser-absent/' \
    -e 's|^requires .*|requires {bin}/browserc --probe --browser /nonexistent/chromium|' \
	"$src/scenarios/stacks/browser-ws.stack" >"$work/stacks/browser-absent.stack"
"$acklab" run crash-before-read --stack ws-naive,"$work/stacks/browser-absent.stack" --out "$work/absent" \
	>"$work/absent.log" 2>&1
rc=$?
if [ "$rc" -eq 4 ] && ! [ -s "$work/absent/results.json" ]; then
	echo "acklab cannot run here: $(tail -n 1 "$work/absent.log")"
	exit 77
fi
[ "$rc" -eq 0 ] && ok "a run with a missing browser still passes (exit 0)" || { bad "exit $rc"; tail -5 "$work/absent.log"; }
na=$(cell "$work/absent" crash-before-read browser-absent)
case $(jq -r .status <<<"$na") in
n/a) ok "the cell without its browser is n/a: $(jq -r .na <<<"$na")" ;;
*)   bad "the cell without its browser: $na" ;;
esac
jq -r .na <<<"$na" | grep -q 'requires .*browserc.*failed here: exit 1: .*/nonexistent/chromium' ||
	bad "the n/a reason does not say which program failed and why"
[ "$(jq -r .status <<<"$(cell "$work/absent" crash-before-read ws-naive)")" = met ] &&
	ok "the reference cell beside it ran and met its expectation" || bad "ws-naive did not meet its expectation"

browser=$(command -v chromium || true)
[ -n "$browser" ] || { echo "no chromium here (Debian's chromium package; ./run.sh installs it)"; exit 77; }
if ! "$bin/browserc" --probe >"$work/probe.log" 2>&1; then
	echo "chromium cannot run here: $(tail -n 1 "$work/probe.log")"
	exit 77
fi

# --- a page that says nothing gets one fresh browser, and says ready once ------------
# On loopback: a server that accepts and never answers, so the page's first
# read waits out its 5 s, while --silent-ms 1000 looks at the page after 1 s.
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True); time.sleep(40)' >"$work/mute.port" &
mute=$!
for _ in $(seq 1 50); do [ -s "$work/mute.port" ] && break; sleep 0.1; done
(sleep 15; echo) | timeout 60 "$bin/browserc" --server "http://127.0.0.1:$(cat "$work/mute.port")" --mode fetch \
	--silent-ms 1000 >"$work/mute.out" 2>"$work/mute.err"
rc=$?
kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null
[ $rc -eq 0 ] && [ "$(grep -c 'starting a fresh browser (once)' "$work/mute.err")" = 1 ] &&
	grep -q 'the page said nothing 1000 ms after its start; it says of itself: {.*"readyState":"complete"' \
		"$work/mute.err" && [ "$(grep -c '"ev":"ready"' "$work/mute.out")" = 1 ] &&
	ok "a silent page is looked at, gets one fresh browser, and the client says ready once" ||
	{ bad "silent page: exit $rc"; cat "$work/mute.err" "$work/mute.out"; }

# --- the browser cells ---------------------------------------------------------------
nice "$acklab" run crash-before-read half-open-nat --stack browser-ws,browser-fetch --out "$work/root" -j 2 \
	>"$work/root.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "browser cells: exit 0" || { bad "browser cells: exit $rc"; tail -30 "$work/root.log"; }
for scn in crash-before-read half-open-nat; do
	for pair in "browser-ws:LOST m3" "browser-fetch:clean"; do
		stack=${pair%%:*} want=${pair#*:}
		c=$(cell "$work/root" "$scn" "$stack")
		if [ "$(jq -r .status <<<"$c")" = met ] && [ "$(jq -r .verdict <<<"$c")" = "$want" ]; then
			ok "$scn x $stack: $want, as expected"
		else
			bad "$scn x $stack: $(jq -c '{status, verdict, error}' <<<"$c")"
		fi
	done
done

# What the browser itself said, in the cell's history.
for scn in crash-before-read half-open-nat; do
	h="$work/root/$scn/browser-ws/history.jsonl"
	sent=$(jq -c 'select(.role == "client" and .ev == "sent" and .id == "m3")' "$h")
	if [ -n "$sent" ] &&
	   jq -e '.buffered_amount >= .frame_bytes and .frame_bytes > 0 and (has("ts") | not)' <<<"$sent" >/dev/null; then
		ok "$scn: m3 shown Sent with $(jq .buffered_amount <<<"$sent") bytes still in the browser's buffer (bufferedAmount), no ts"
	else
		bad "$scn: m3's sent event: $sent"
	fi
	ready=$(jq -c 'select(.role == "client" and .ev == "ready")' "$h")
	[ -n "$ready" ] && jq -e '.browser | startswith("Chrome/")' <<<"$ready" >/dev/null &&
		ok "$scn: the client is $(jq -r .browser <<<"$ready"), up in $(jq '.browser_start_ms | floor' <<<"$ready") ms" ||
		bad "$scn: the ready event does not name the browser: $ready"
done
h="$work/root/crash-before-read/browser-fetch/history.jsonl"
keys=$(jq -r 'select(.role == "client" and .ev == "sending" and .id == "m3") | .client_msg_id' "$h" | sort -u)
tries=$(jq -r 'select(.role == "client" and .ev == "sent" and .id == "m3") | .attempts' "$h")
if [ "$(wc -l <<<"$keys")" -eq 1 ] && [ -n "$keys" ] && [ "${tries:-0}" -ge 2 ] &&
   jq -s -e --arg k "$keys" 'any(.[]; .role == "server" and .ev == "persisted" and .client_msg_id == $k)' "$h" >/dev/null; then
	ok "crash-before-read x browser-fetch: m3 sent after $tries fetch() attempts, all with key $keys, stored under it"
else
	bad "crash-before-read x browser-fetch: m3 keys '$keys', attempts '$tries'"
fi

# --- rootless: the same browser in acklab's user namespace, as nobody ----------------
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	mkdir "$work/user" && chown 65534 "$work/user"
	setpriv --reuid=65534 --regid=65534 --clear-groups nice "$acklab" run half-open-nat --stack browser-ws \
		--out "$work/user/run" >"$work/user.log" 2>&1
	rc=$?
	c=$(cell "$work/user/run" half-open-nat browser-ws 2>/dev/null)
	if [ "$rc" -eq 0 ] && [ "$(jq -r .verdict <<<"$c")" = "LOST m3" ]; then
		ok "as nobody (rootless): half-open-nat x browser-ws is LOST m3 too"
	else
		bad "as nobody: exit $rc, $(jq -c '{status, verdict, error}' <<<"$c" 2>/dev/null)"
		tail -5 "$work/user.log"
	fi
fi

[ "$(profiles)" -eq "$profiles_before" ] && ok "no browser profile left in /tmp" ||
	bad "browser profiles left in /tmp: $(find /tmp -maxdepth 1 -name 'browserc-profile-*')"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
