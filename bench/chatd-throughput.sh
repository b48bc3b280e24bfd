#!/usr/bin/env bash
# chatd-throughput.sh: how fast chatd acks durable sends, and what durability
# costs. For each transport (keyed HTTP POSTs, WebSocket ack-key frames) and
# each number of concurrent senders (1, 8, 64) it starts a fresh chatd on a
# database on disk, drives it with bench/chatd_load (an independent C client
# on loopback: each sender waits for its 200 or ack before the next message),
# stops it, and does the same with the database on tmpfs (/dev/shm), where
# fsync costs nothing. It prints messages/s, p50 and p99 latency, fsyncs per
# message and the disk/tmpfs ratio, plus the load average around each run
# (the machine is shared: read figures with it). A benchmark, not a test: it
# prints figures and exits 0 (1 when a run failed to ack every message).
#
# What the disk allows: before each disk run bench/flush_probe times a 4 KiB
# overwrite + fdatasync in the same folder ("flush ms": the median of 100;
# their mean goes into the bound), and chatd reports the mean time of its
# group commits' fsyncs ("chatd fsync ms"; from a chatd without
# group_sync_ms_mean, the mean of all its syncs, checkpoints included). A
# second table shows where a batch's time went on disk (chatd --stats). Two columns read the ratio against them:
#   bound    n / (flush mean + t1) / (tmpfs msgs/s), t1 = 1 / (tmpfs msgs/s
#            with 1 sender): no server with chatd's cost per message passes
#            it on this disk. Each of n closed-loop senders has one message
#            in flight; its ack waits for a whole flush begun after the
#            message came, and the rest of its turn costs at least what a
#            lone sender's whole turn costs on tmpfs. (The 1-sender tmpfs
#            run is made for it when SENDERS has no 1.) Generous: under load
#            a flush takes longer than the idle probe's.
#   schedule max(n / (Fidle + n / T), (n / 2) / Fbusy) / T, T = tmpfs
#            msgs/s: the better of the two ways to share flushes among n
#            closed-loop senders when one flush runs at a time, on this disk
#            at this moment, whatever the server. One batch of all n waits
#            for them all to send again (n / T at best, the tmpfs turn) while
#            the disk idles, then for its flush with the cores idle (Fidle:
#            the probe's flush after a 0.4 ms sleep); a batch started
#            without them leaves them to the next flush, so each sender is
#            in every second flush at best, n / 2 a flush, and the disk
#            flushes back to back while the cores work on the other half
#            (Fbusy: the probe's flush beside a spinning core). Mixing the
#            two lies in between; overlapping flushes (2 or 3 at once) made
#            each flush slower here than it saved. Nothing but flushes is on
#            its critical path: a server's own stages come on top.
#
# fsyncs come from the store's own counter (chatd --stats prints a final
# {"ev":"stats",...,"syncs":N} line; every xSync SQLite asks for and every fdatasync
# of the sync thread is counted),
# or with SYNCS=strace from strace counting fsync and fdatasync, which works
# for a chatd without --stats too (slower: the tracer stops on each sync).
#
# Settings (environment):
#   CHATD=bin/chatd        the server to measure (e.g. an older build, for a before/after)
#   CHATD_ARGS=""          extra chatd options, e.g. "--commit immediate"
#   SENDERS="1 8 64"  TRANSPORTS="http ws"  MESSAGES=4096 (measured, per run)  SECONDS_MAX=20
#   WARMUP=2048            messages sent first, unmeasured: the figures are those of a running
#                          server (SQLite's WAL has reached its working size; while it is still
#                          growing each fsync also commits the file's new size, about twice the cost)
#   REPEAT=1               runs per cell; the table shows the median and the spread
#   DISK_DIR=/var/tmp      where the on-disk database goes (a fresh folder inside)
#   SYNCS=store|strace
set -u
cd "$(dirname "$0")/.."
make -s bin/chatd bin/bench/chatd_load bin/bench/flush_probe || exit 1

CHATD=${CHATD:-bin/chatd}
CHATD_ARGS=${CHATD_ARGS:-}
SENDERS=${SENDERS:-"1 8 64"}
TRANSPORTS=${TRANSPORTS:-"http ws"}
MESSAGES=${MESSAGES:-4096}
WARMUP=${WARMUP:-2048}
SECONDS_MAX=${SECONDS_MAX:-20}
REPEAT=${REPEAT:-1}
SYNCS=${SYNCS:-store}
disk_root=$(mktemp -d "${DISK_DIR:-/var/tmp}/chatd-bench.XXXXXX") || exit 1
shm_root=$(mktemp -d /dev/shm/chatd-bench.XXXXXX) || exit 1
results=$(mktemp) || exit 1
chatd_pid=
cleanup() {
	[ -n "$chatd_pid" ] && kill -KILL "$chatd_pid" 2>/dev/null
	rm -rf "$disk_root" "$shm_root" "$results"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

stats=()
[ "$SYNCS" = store ] && "$CHATD" --help | grep -q -- '--stats' && stats=(--stats)
fstype=$(df --output=fstype "$disk_root" | tail -n 1)
echo "chatd: $CHATD $CHATD_ARGS; disk store on $fstype ($disk_root), tmpfs store in /dev/shm"
echo "cpus: $(nproc); $MESSAGES messages per run after $WARMUP unmeasured; fsyncs from ${SYNCS}"

# run_one STORE_NAME DIR TRANSPORT SENDERS: one fresh chatd, one load run; appends a result line.
run_one() {
	local name=$1 dir=$2 transport=$3 senders=$4
	local out="$dir/chatd.out" db="$dir/chat.db" port= deadline load_before load_after line rc
	local syncs=- batch= pid= i flush= sync_ms= turn= k v
	rm -f "$db" "$db-wal" "$db-shm" "$out" "$dir/strace.txt"
	# The disk's own floor under a durable ack, just before the run: one 4 KiB overwrite + fdatasync.
	[ "$name" != tmpfs ] &&
		flush=$(bin/bench/flush_probe "$dir" 100 | grep -o '\(flush_p50\|flush_mean\|idle_gap_mean\|busy_core_mean\)_ms=[0-9.]*' | tr '\n' ' ')
	local cmd=("$CHATD" --listen 127.0.0.1:0 --db "$db" "${stats[@]}")
	# shellcheck disable=SC2206
	cmd+=($CHATD_ARGS)
	if [ "$SYNCS" = strace ]; then
		cmd=(strace -f -qq --seccomp-bpf -c -e trace=fsync,fdatasync -o "$dir/strace.txt" "${cmd[@]}")
	fi
	"${cmd[@]}" >"$out" 2>"$dir/chatd.err" &
	chatd_pid=$!
	deadline=$((SECONDS + 5))
	while [ -z "$port" ] && [ $SECONDS -le $deadline ] && kill -0 "$chatd_pid" 2>/dev/null; do
		port=$(sed -n 's/.*"ev":"ready".*"listen":"127.0.0.1:\([0-9]*\)".*/\1/p' "$out")
		pid=$(sed -n 's/.*"ev":"ready".*"pid":\([0-9]*\).*/\1/p' "$out")
		[ -n "$port" ] || sleep 0.02
	done
	if [ -z "$port" ]; then
		echo "chatd did not start: $(cat "$dir/chatd.err")" >&2
		return 1
	fi
	load_before=$(cut -d' ' -f1 /proc/loadavg)
	line=$(bin/bench/chatd_load --port "$port" --transport "$transport" --senders "$senders" \
		--messages "$MESSAGES" --warmup "$WARMUP" --seconds "$SECONDS_MAX")
	rc=$?
	load_after=$(cut -d' ' -f1 /proc/loadavg)
	kill -TERM "$pid" 2>/dev/null
	wait "$chatd_pid"
	chatd_pid=
	if [ "$SYNCS" = strace ]; then
		syncs=$(awk '$NF=="fsync"||$NF=="fdatasync"{n+=$4} END{print n+0}' "$dir/strace.txt")
	elif [ ${#stats[@]} -gt 0 ]; then
		syncs=$(sed -n 's/.*"ev":"stats".*"syncs":\([0-9]*\).*/\1/p' "$out")
		batch=$(sed -n 's/.*"ev":"stats".*"messages":\([0-9]*\),"batches":\([0-9]*\).*/\1 \2/p' "$out" |
			awk '$2 {printf "%.1f", $1 / $2}')
		sync_ms=$(sed -n 's/.*"ev":"stats".*"sync_ms_mean":\([0-9.]*\).*/\1/p' "$out")
		for k in group_sync write wake answer gather; do
			v=$(sed -n "s/.*\"ev\":\"stats\".*\"${k}_ms_mean\":\([0-9.]*\).*/\1/p" "$out")
			[ -n "$v" ] && turn="$turn${k}_ms=$v "
		done
	fi
	# Syncs are counted over the whole life of chatd: per message of the warm-up and the run.
	[ "$syncs" != - ] && [ -n "$syncs" ] &&
		syncs=$(awk -v s="$syncs" -v m="$line" -v w="$WARMUP" \
			'BEGIN{match(m, /acked=[0-9]+/); a = substr(m, RSTART + 6, RLENGTH - 6); printf "%.3f", s / (a + w)}')
	echo "$name $line fsyncs_per_msg=${syncs:--} batch=${batch:--} sync_ms=${sync_ms:--} ${turn}${flush}load=$load_before-$load_after" |
		tee -a "$results"
	return $rc
}

status=0
for ((r = 1; r <= REPEAT; r++)); do
	for transport in $TRANSPORTS; do
		for n in $SENDERS; do
			run_one "$fstype" "$disk_root" "$transport" "$n" || status=1
			run_one tmpfs "$shm_root" "$transport" "$n" || status=1
		done
		# The bound needs a lone sender's turn on tmpfs.
		case " $SENDERS " in *" 1 "*) ;; *) run_one tmpfs "$shm_root" "$transport" 1 || status=1 ;; esac
	done
done

# Shared by the tables below: kv(line, key) is key's value in a result line, median(arr, c) of arr[1..c].
awk_lib='
function kv(s, k,   a) { if (match(s, k "=[^ ]*")) { a = substr(s, RSTART + length(k) + 1, RLENGTH - length(k) - 1); return a } return "" }
function median(arr, c,   i, j, x) {
	for (i = 2; i <= c; i++) { x = arr[i]; for (j = i - 1; j >= 1 && arr[j] > x; j--) arr[j + 1] = arr[j]; arr[j + 1] = x }
	return c % 2 ? arr[(c + 1) / 2] : (arr[c / 2] + arr[c / 2 + 1]) / 2
}
'
# table HEADER PROGRAM: a markdown table, one row per transport and number of senders: PROGRAM (awk,
# with awk_lib, t and n set to the cell) reads the result lines and prints the cell's row.
table() {
	local transport n
	echo
	echo "$1"
	echo "$1" | sed 's/[^|]*|/ --- |/g; s/^ --- |/|/'
	for transport in $TRANSPORTS; do
		for n in $SENDERS; do
			awk -v t="$transport" -v n="$n" "$awk_lib$2" "$results"
		done
	done
}

table "| transport | senders | $fstype msgs/s | tmpfs msgs/s | ratio | bound | schedule | flush ms | chatd fsync ms | $fstype p50 ms | $fstype p99 ms | tmpfs p99 ms | fsyncs/msg |" '
		kv($0, "transport") == t && kv($0, "senders") == 1 && $1 == "tmpfs" { one[++oc] = kv($0, "rate") + 0 }
		kv($0, "transport") == t && kv($0, "senders") == n {
			if ($1 == "tmpfs") { tr[++tc] = kv($0, "rate") + 0; tp99[tc] = kv($0, "p99_ms") + 0 }
			else { dr[++dc] = kv($0, "rate") + 0; d50[dc] = kv($0, "p50_ms") + 0; d99[dc] = kv($0, "p99_ms") + 0
			       f = kv($0, "flush_p50_ms"); if (f != "") fl[++fc] = f + 0
			       f = kv($0, "flush_mean_ms"); if (f != "") fmean[++fmc] = f + 0
			       f = kv($0, "idle_gap_mean_ms"); if (f != "") fgap[++fgc] = f + 0
			       f = kv($0, "busy_core_mean_ms"); if (f != "") fbusy[++fbc] = f + 0
			       f = kv($0, "group_sync_ms"); if (f == "") f = kv($0, "sync_ms")
			       if (f != "" && f != "-") cs[++csc] = f + 0
			       s = kv($0, "fsyncs_per_msg"); if (s != "-" && s != "") { sy += s; sc++ } }
		}
		END {
			if (!dc || !tc) exit
			for (i = 1; i <= dc; i++) { dmin = (i == 1 || dr[i] < dmin) ? dr[i] : dmin; dmax = (i == 1 || dr[i] > dmax) ? dr[i] : dmax }
			spread = dc > 1 ? sprintf(" (%d-%d)", dmin, dmax) : ""
			dm = median(dr, dc); tm = median(tr, tc)
			flush = fc ? sprintf("%.3f", median(fl, fc)) : "-"
			# The better of one batch of all n (after an idle gap) and two alternating batches
			# (back to back, beside busy cores), with the flushes the probe got.
			sched = "-"
			if (fgc && fbc && tm) { whole = n / (median(fgap, fgc) + n / tm * 1000); halves = n / 2 / median(fbusy, fbc)
				sched = sprintf("%.2f", (whole > halves ? whole : halves) * 1000 / tm) }
			# A sender turn is at least a whole flush plus a lone sender turn on tmpfs: at most
			# n / (flush + t1) messages a second, whatever the server does.
			bound = "-"
			if (fmc && oc && tm) { t1 = 1000 / median(one, oc); bound = sprintf("%.2f", n / (median(fmean, fmc) + t1) * 1000 / tm) }
			printf "| %s | %d | %.0f%s | %.0f | %.2f | %s | %s | %s | %s | %.2f | %.2f | %.2f | %s |\n", t, n, dm, spread, tm,
				tm ? dm / tm : 0, bound, sched, flush, csc ? sprintf("%.3f", median(cs, csc)) : "-",
				median(d50, dc), median(d99, dc), median(tp99, tc),
				sc ? sprintf("%.3f", sy / sc) : "-"
		}'

# Where a batch's time went on disk (chatd --stats, means in ms, medians over the runs): with
# one batch at a time (8 senders) gather + write + sync + wake + answer is one turn of every
# sender in it, so batch / turn is the rate; with many senders the stages overlap.
if grep -q 'gather_ms=' "$results"; then
	table "| transport | senders | msgs/batch | gather ms | write ms | $fstype fsync ms | wake ms | answer ms | turn ms | batch / turn msgs/s | $fstype msgs/s |" '
		$1 != "tmpfs" && kv($0, "transport") == t && kv($0, "senders") == n && kv($0, "gather_ms") != "" {
			c++; b[c] = kv($0, "batch") + 0; g[c] = kv($0, "gather_ms") + 0; w[c] = kv($0, "write_ms") + 0
			s[c] = kv($0, "group_sync_ms") + 0; k[c] = kv($0, "wake_ms") + 0; a[c] = kv($0, "answer_ms") + 0
			r[c] = kv($0, "rate") + 0; turn[c] = g[c] + w[c] + s[c] + k[c] + a[c]; per[c] = turn[c] ? b[c] / turn[c] * 1000 : 0
		}
		END {
			if (!c) exit
			printf "| %s | %d | %.1f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.0f | %.0f |\n", t, n, median(b, c),
				median(g, c), median(w, c), median(s, c), median(k, c), median(a, c), median(turn, c),
				median(per, c), median(r, c)
		}'
fi
# The same flush three ways (bench/flush_probe, just before each disk run; medians of the means):
# one after the other, after a 0.4 ms sleep, and beside a spinning core; then chatd's own.
if grep -q 'busy_core_mean_ms=' "$results"; then
	table "| transport | senders | flush back to back ms | after 0.4 ms idle ms | beside a busy core ms | chatd fsync ms |" '
		$1 != "tmpfs" && kv($0, "transport") == t && kv($0, "senders") == n && kv($0, "busy_core_mean_ms") != "" {
			c++; b[c] = kv($0, "flush_mean_ms") + 0; g[c] = kv($0, "idle_gap_mean_ms") + 0
			u[c] = kv($0, "busy_core_mean_ms") + 0; f = kv($0, "group_sync_ms"); s[c] = f == "" ? kv($0, "sync_ms") + 0 : f + 0
		}
		END { if (c) printf "| %s | %d | %.3f | %.3f | %.3f | %.3f |\n", t, n, median(b, c), median(g, c), median(u, c), median(s, c) }'
fi
exit $status
