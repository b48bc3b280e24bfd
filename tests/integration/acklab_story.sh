#!/usr/bin/env bash
# The stories of real bug cells say what the article needs a reader to see:
# the lost answer itself, dropped at the router on the request's flow by the
# fault acting there, even when it carries no token (an HTTP 200); why each
# retry happened, in the client's words; that no client_msg_id was sent; the
# kernel's reason for a dead connection and why noticing it took longer than
# TCP_USER_TIMEOUT; the pcap frames. `acklab run -v` prints the same story,
# and summary.md and junit.xml point at the expect line and the rerun.
set -u
bin=${ACKLAB_BIN:-bin}
work=$(mktemp -d /tmp/acklab-story-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 failn=0
ok()  { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; failn=$((failn + 1)); }
has() { # file, text, what
	grep -qF -- "$2" "$1" && ok "$3" || bad "$3: no \"$2\" in $1"
}

"$bin/acklab" run lost-ack half-open-nat-no-heartbeat --stack http-nokey,http,ws-ack,ws-naive -v --out "$work/run" \
	>"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 4 ]; then echo "SKIP: acklab cannot run here: $(tail -n 1 "$work/err")"; exit 77; fi
[ "$rc" -eq 0 ] && ok "the cells met their expectations" || bad "acklab run exited $rc: $(tail -n 3 "$work/out")"

out="$work/out"
has "$out" "lost-ack × http-nokey: DUP m3 (as expected)" "-v prints the story of the http-nokey bug"
has "$out" "answered m3: HTTP 200 OK, ts " "the 200 OK answering m3 appears"
grep -E -q "answered m3: HTTP 200 OK, ts [0-9.]+; the router dropped it on flow 198\.18\.1\.2:[0-9]+: drop-replies client server was acting there \(it dropped [1-9][0-9]* packets? in all\)" "$out" &&
	ok "and the router dropped it on the request's flow, by the fault acting there" || bad "no dropped 200 OK with its flow and fault"
has "$out" "which failed: timeout: no answer within 300 ms" "the retry says why: the client's timeout"
has "$out" "over http, no client_msg_id" "each attempt says it carried no client_msg_id"
has "$out" "(duplicate: false; no client_msg_id)" "each write says it was no duplicate to the server"
grep -E -q "the store holds 2 rows of m3: ts [0-9.]+ \(written at \+[0-9.]+ ms, attempt 1\), ts [0-9.]+ \(written at \+[0-9.]+ ms, attempt 2\)" "$out" &&
	ok "the store's two rows, each with when and by which attempt it was written" || bad "the store's rows"
has "$out" "lost-ack × ws-ack: DUP m3 (as expected)" "-v prints the story of the ws-ack bug"
grep -E -q "answered m3 with an ack frame: ok, ts [0-9.]+; the router dropped it on flow" "$out" &&
	ok "the lost ack frame appears, dropped at the router" || bad "no dropped ack frame"
has "$out" "which failed: ack timeout: no ack within 300 ms" "the ws retry says why: its ack timeout"
grep -E -q "\[frames? [0-9]+" "$out" && ok "rows name their pcap frames" || bad "no pcap frames"
has "$out" "half-open-nat-no-heartbeat × ws-naive: LOST m3 (as expected)" "-v prints the half-open story"
has "$out" "found its connection dead: tcp user timeout: data unacknowledged for 600 ms" "a dead connection says the kernel's reason"
has "$out" "TCP_USER_TIMEOUT is 600 ms, but the kernel checks it only when its retransmission timer fires" "and why noticing took longer than TCP_USER_TIMEOUT"
has "$out" "the router dropped them: evict-nat client server had removed this flow's NAT state" "the dropped bytes name the eviction"
has "$out" "(a TCP retransmission, not a new attempt" "retransmissions are not attempts"
has "$out" "acklab reads the store back" "acklab's read-back is its own"
has "$out" "Reports: $work/run/report.html, summary.md" "the run names report.html"

has "$work/run/summary.md" "<a id=\"story-lost-ack-http-nokey\"></a>" "summary.md holds the story"
has "$work/run/summary.md" "[DUP m3 ✓](#story-lost-ack-http-nokey)" "the matrix links to it"
has "$work/run/summary.md" "**Beside a stack that survived the same fault:**" "and sets it beside a stack that survived"
grep -E -q "^- m3 \(ok there\): http: .*with client_msg_id [0-9a-f]{8}…, found the row it had stored \(duplicate: true\)" "$work/run/summary.md" &&
	ok "the survivor's retry carried the key and found the first row" || bad "the contrast with http"
grep -E -q "name=\"lost-ack × http-nokey\" time=\"[0-9.]+\" file=\"[^\"]*scenarios/lost-ack.scn\" line=\"[0-9]+\"" "$work/run/junit.xml" &&
	ok "junit.xml names the expect line" || bad "junit.xml testcase file/line"
has "$work/run/junit.xml" "<property name=\"rerun\" value=\"./run.sh run lost-ack --stack http-nokey -v\"/>" "junit.xml names the rerun command"

echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
