/*
 * story: the timeline of a cell's affected messages, extracted from its
 * checked result once, for every reporter (summary.md prints it as an
 * ASCII sequence diagram; report.html draws the same lines as SVG). A line
 * is one history entry told as a sentence, with its time relative to the
 * cell's start, the role that did it, and its place on the diagram; the
 * story ends with the rows the store holds of each affected message, each
 * with the time the server wrote it.
 *
 * Which entries belong: every entry that carries an affected message (by
 * id, token or text), every fault and heal, the server's lifecycle,
 * process exits, the connection lifecycle (a dead connection noticed, a
 * reconnection), and the start of acklab's own store read-back. Each is
 * said with what caused it where the history shows it: why an attempt was
 * retried, whether it carried a client_msg_id, whether a write was a
 * duplicate, which fault dropped a packet (story_wire.c), and, for an
 * answer that never reached the client, the fault acting on its flow.
 */
#include "story_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_table.h"
#include "token.h"
#include "util.h"

#define STORY_NEVER 1e18


static void story_line_init(struct story_line *l, double t, const char *role, int msg, enum story_kind kind,
			    int from, int to)
{
	memset(l, 0, sizeof *l);
	l->t_ms = t;
	str_copy(l->role, role, sizeof l->role);
	l->msg = msg;
	l->kind = kind;
	l->from = from;
	l->to = to;
}

/* " with client_msg_id 652622cd…", " without a client_msg_id", or "" when the server did not say. */
static void story_key(json_t *e, char *buf, size_t len)
{
	json_t *k = json_object_get(e, "client_msg_id");

	if (json_is_string(k))
		snprintf(buf, len, "client_msg_id %.8s…", json_string_value(k));
	else if (json_is_null(k))
		snprintf(buf, len, "no client_msg_id");
	else
		buf[0] = '\0';
}

static long story_setting(const struct story_ctx *x, const char *key)
{
	return (long)json_integer_value(json_object_get(x->c->client, key));
}

/* The client's next verdict on msg after history index k: "sent" (with ts), "failed", or a new "sending". */
static json_t *story_client_next(const struct story_ctx *x, size_t k, int msg)
{
	size_t n = history_len(x->c->history);

	for (size_t j = k + 1; j < n; j++) {
		json_t *e = history_at(x->c->history, j);
		const char *role = story_str(e, "role"), *ev = story_str(e, "ev"), *id = story_str(e, "id");

		if (role && ev && id && strcmp(role, "client") == 0 && strcmp(id, x->r->msgs[msg].id) == 0 &&
		    (strcmp(ev, "sent") == 0 || strcmp(ev, "failed") == 0 || strcmp(ev, "sending") == 0))
			return e;
	}
	return NULL;
}

static bool story_row_has(const struct story *s, int msg, const char *ts)
{
	for (size_t i = 0; ts && i < s->nrows; i++)
		if (s->rows[i].msg == msg && strcmp(s->rows[i].ts, ts) == 0)
			return true;
	return false;
}

static void story_client(struct story_ctx *x, json_t *e, const char *ev, int m, struct story_line *l)
{
	struct story_msg_state *s = m >= 0 ? &x->ms[m] : NULL;
	const char *ts = story_str(e, "ts"), *after = story_str(e, "after"), *err = story_str(e, "error");
	long long attempts = json_integer_value(json_object_get(e, "attempts"));
	char sts[32];

	if (strcmp(ev, "sending") == 0 && s) {
		long long k = json_integer_value(json_object_get(e, "attempt"));

		k = k ? k : 1;
		s->prev_attempt_t = s->attempt_t;
		s->attempt = (int)k;
		s->attempt_t = l->t_ms;
		s->flow[0] = '\0';           /* the new attempt's first bytes name its flow */
		l->kind = STORY_SHOWN;
		l->from = l->to = STORY_LANE_SCREEN;
		snprintf(l->label, sizeof l->label, "Sending… #%lld", k);
		if (k == 1)
			snprintf(l->what, sizeof l->what, "showed Sending (attempt 1)");
		else
			snprintf(l->what, sizeof l->what, "showed Sending (attempt %lld, %.0f ms after attempt "
				 "%lld, which %s%s)", k, l->t_ms - s->prev_attempt_t, k - 1,
				 after || s->cause[0] ? "failed: " : "got no answer the client acted on",
				 after ? after : s->cause);
		s->cause[0] = '\0';
	} else if (strcmp(ev, "sent") == 0) {
		l->kind = STORY_SHOWN;
		l->from = l->to = STORY_LANE_SCREEN;
		if (ts)
			snprintf(l->label, sizeof l->label, "Sent ts %s", story_short_ts(ts, sts, sizeof sts));
		else
			snprintf(l->label, sizeof l->label, "Sent");
		snprintf(l->what, sizeof l->what, "showed Sent (attempt %lld%s%s)", attempts ? attempts : 1,
			 ts ? ", ts " : "", ts ? ts : "");
		if (s)
			s->cause[0] = '\0';
	} else if (strcmp(ev, "failed") == 0) {
		l->kind = STORY_SHOWN;
		l->from = l->to = STORY_LANE_SCREEN;
		snprintf(l->label, sizeof l->label, "Failed: %s", err ? err : "?");
		snprintf(l->what, sizeof l->what, "showed Failed (attempt %lld): %s", attempts ? attempts : 1,
			 err ? err : "no reason given");
	} else {
		snprintf(l->what, sizeof l->what, "%s", ev);
		snprintf(l->label, sizeof l->label, "%s", ev);
	}
}

/* Why a dead connection took as long as it did to notice, when the kernel had to notice it. */
static void story_detection(struct story_ctx *x, double t, struct story_line *l)
{
	json_t *d = x->c->extra ? json_object_get(x->c->extra, "detect_ms") : NULL;
	long uto = story_setting(x, "tcp-user-timeout-ms");
	double times[8];

	if (json_is_number(d))
		story_cat(l->what, sizeof l->what, "; %.0f ms after the fault", json_number_value(d));
	for (int m = 0; m < x->r->nmsgs; m++) {
		struct story_msg_state *s = &x->ms[m];
		int n;

		if (!x->out->affected[m] || s->first_unacked < 0 || !s->flow[0])
			continue;
		n = story_retransmissions(x, m, s->flow, s->first_unacked, t, times, 8);
		story_cat(l->what, sizeof l->what, ". %s's bytes went unanswered from %+.1f ms", x->r->msgs[m].id,
			  s->first_unacked);
		if (n) {
			story_cat(l->what, sizeof l->what, "; the kernel resent them at");
			for (int i = 0; i < n; i++)
				story_cat(l->what, sizeof l->what, "%s %+.1f", i ? (i + 1 == n ? " and" : ",") : "",
					  times[i]);
			story_cat(l->what, sizeof l->what, " ms");
		}
		if (uto > 0)
			story_cat(l->what, sizeof l->what, ". TCP_USER_TIMEOUT is %ld ms, but the kernel checks it "
				  "only when its retransmission timer fires, so it gave up %.0f ms after the bytes "
				  "first went out", uto, t - s->first_unacked);
		s->first_unacked = -1;
		break;
	}
}

static void story_disconnected(struct story_ctx *x, json_t *e, const char *role, struct story_line *l)
{
	const char *reason = story_str(e, "reason");
	bool client = strcmp(role, "client") == 0;

	reason = reason && *reason ? reason : "closed";
	snprintf(l->label, sizeof l->label, "dead: %s", reason);
	if (strcmp(reason, "ack timeout") == 0)
		snprintf(l->what, sizeof l->what, "found its connection dead: no ack within its %ld ms timeout, "
			 "so it gave the connection up", story_setting(x, "timeout-ms"));
	else if (strcmp(reason, "heartbeat") == 0 && client)
		snprintf(l->what, sizeof l->what, "found its connection dead: no answer to its heartbeat ping "
			 "(one every %ld ms)", story_setting(x, "heartbeat-ms"));
	else if (strcmp(reason, "heartbeat") == 0)        /* the timers at hand are the client's */
		snprintf(l->what, sizeof l->what, "found its connection dead: no answer to its heartbeat ping");
	else if (strcmp(reason, "closed by peer") == 0)
		snprintf(l->what, sizeof l->what, "found its connection closed (its WebSocket library says only "
			 "\"closed by peer\")");
	else
		snprintf(l->what, sizeof l->what, "found its connection dead: %s", reason);
	if (client) {
		/* The retry that follows was caused by this. */
		for (int m = 0; m < x->r->nmsgs; m++)
			if (x->out->affected[m] && !x->ms[m].cause[0])
				snprintf(x->ms[m].cause, sizeof x->ms[m].cause, "its connection was found dead (%s)",
					 reason);
		if (strcmp(reason, "ack timeout") != 0 && strcmp(reason, "heartbeat") != 0)
			story_detection(x, l->t_ms, l);
	}
}

static void story_reply(struct story_ctx *x, size_t k, json_t *e, int m, struct story_line *l)
{
	const char *via = story_str(e, "via"), *ts = story_str(e, "ts"), *err = story_str(e, "error");
	long long status = json_integer_value(json_object_get(e, "status"));
	bool http = via && strcmp(via, "http") == 0;
	json_t *next = story_client_next(x, k, m);
	const char *nev = next ? story_str(next, "ev") : NULL, *nts = next ? story_str(next, "ts") : NULL;
	const struct story_fault *f;
	char sts[32], fname[128];

	l->kind = STORY_REPLY;
	l->from = STORY_LANE_SERVER;
	l->to = STORY_LANE_CLIENT;
	story_short_ts(ts, sts, sizeof sts);
	if (http && !err)
		snprintf(l->label, sizeof l->label, "%lld OK ts %s", status, sts);
	else if (http)
		snprintf(l->label, sizeof l->label, "%lld %s", status, err);
	else
		snprintf(l->label, sizeof l->label, err ? "ack: %s" : "ack ts %s", err ? err : sts);
	if (http)
		snprintf(l->what, sizeof l->what, "answered %s: HTTP %lld %s%s%s", x->r->msgs[m].id, status,
			 err ? err : "OK", err ? "" : ", ts ", err ? "" : ts ? ts : "?");
	else
		snprintf(l->what, sizeof l->what, "answered %s with an ack frame: %s%s", x->r->msgs[m].id,
			 err ? "error " : "ok, ts ", err ? err : ts ? ts : "?");
	if (err)
		snprintf(x->ms[m].cause, sizeof x->ms[m].cause, "the server answered %s%s%s",
			 http ? "" : "an error ack, ", http ? "HTTP " : "", l->label);
	if (nev && (strcmp(nev, "failed") == 0 || (strcmp(nev, "sent") == 0 && (!ts || (nts && strcmp(nts, ts) == 0)))))
		return;               /* it got through: the client acted on it */
	l->dropped = true;
	f = story_fault_blocking(x, "server", "client", l->t_ms,
				 story_flow_first_seen(x, x->ms[m].flow, l->t_ms));
	if (f && strcmp(f->name, "evict-nat") == 0)
		story_cat(l->what, sizeof l->what, "; the router dropped it%s%s: %s had removed the flow's NAT "
			  "state", x->ms[m].flow[0] ? " on flow " : "", x->ms[m].flow,
			  story_fault_name(f, fname, sizeof fname));
	else if (f)
		story_cat(l->what, sizeof l->what, "; the router dropped it%s%s: %s was acting there (it "
			  "dropped %lld packet%s in all)", x->ms[m].flow[0] ? " on flow " : "", x->ms[m].flow,
			  story_fault_name(f, fname, sizeof fname), f->packets, f->packets == 1 ? "" : "s");
	else
		story_cat(l->what, sizeof l->what, "; it never reached the client (the client did not act on it)");
}

static void story_server(struct story_ctx *x, size_t k, json_t *e, const char *ev, int m, struct story_line *l)
{
	const char *ts = story_str(e, "ts"), *s;
	char key[64], sts[32];
	const char *id = m >= 0 ? x->r->msgs[m].id : "";

	story_key(e, key, sizeof key);
	story_short_ts(ts, sts, sizeof sts);
	if (strcmp(ev, "recv") == 0 && m >= 0) {
		snprintf(l->label, sizeof l->label, "read %s%s%s", id, key[0] ? ", " : "", key);
		s = story_str(e, "via");
		snprintf(l->what, sizeof l->what, "read %s (the client's attempt %d%s%s%s%s)", id,
			 x->ms[m].attempt ? x->ms[m].attempt : 1, s ? ", over " : "", s ? s : "",
			 key[0] ? ", " : "", key);
	} else if (strcmp(ev, "failpoint") == 0) {
		const char *action = story_str(e, "action");

		l->kind = STORY_FAULT;
		snprintf(l->label, sizeof l->label, "failpoint %s=%s@%lld", story_str(e, "name"),
			 action ? action : "?", (long long)json_integer_value(json_object_get(e, "hit")));
		snprintf(l->what, sizeof l->what, "hit %s on %s: %s", l->label, id,
			 action && strcmp(action, "crash") == 0 ? "the server kills itself here, as an OOM kill "
			 "would" : action && strcmp(action, "fail") == 0 ? "this step fails" : "as armed");
	} else if (strcmp(ev, "persisted") == 0 && m >= 0) {
		bool dup = json_is_true(json_object_get(e, "duplicate"));

		l->kind = STORY_WRITE;
		l->to = STORY_LANE_STORE;
		snprintf(l->label, sizeof l->label, dup ? "found: ts %s" : "INSERT ts %s", sts);
		if (dup)
			snprintf(l->what, sizeof l->what, "found %s already stored under its client_msg_id: no new "
				 "row, and the first ts %s is the answer (duplicate: true)", id, ts ? ts : "?");
		else
			snprintf(l->what, sizeof l->what, "stored %s as a new row, ts %s (duplicate: false%s%s)", id,
				 ts ? ts : "?", key[0] ? "; " : "", key);
		for (size_t i = 0; !dup && ts && i < x->out->nrows; i++)
			if (x->out->rows[i].msg == m && strcmp(x->out->rows[i].ts, ts) == 0 &&
			    x->out->rows[i].written_ms < 0) {
				x->out->rows[i].written_ms = l->t_ms;
				x->out->rows[i].attempt = x->ms[m].attempt;
			}
	} else if (strcmp(ev, "persist_failed") == 0 && m >= 0) {
		l->kind = STORY_WRITE;
		l->to = STORY_LANE_STORE;
		l->dropped = true;
		snprintf(l->label, sizeof l->label, "INSERT failed");
		snprintf(l->what, sizeof l->what, "could not store %s: %s", id,
			 (s = story_str(e, "error")) ? s : "no reason given");
	} else if (strcmp(ev, "fanout") == 0 && m >= 0) {
		bool stored = false;

		for (size_t i = 0; ts && i < x->out->nrows; i++)
			stored |= x->out->rows[i].msg == m && strcmp(x->out->rows[i].ts, ts) == 0 &&
				  x->out->rows[i].written_ms >= 0;
		snprintf(l->label, sizeof l->label, "fan out %s", id);
		snprintf(l->what, sizeof l->what, "pushed %s (ts %s) to %lld subscriber%s%s", id, ts ? ts : "?",
			 (long long)json_integer_value(json_object_get(e, "recipients")),
			 json_integer_value(json_object_get(e, "recipients")) == 1 ? "" : "s",
			 stored ? "" : ", before storing it");
	} else if (strcmp(ev, "replied") == 0 && m >= 0) {
		story_reply(x, k, e, m, l);
	} else if (strcmp(ev, "started") == 0) {
		snprintf(l->label, sizeof l->label, "started");
		snprintf(l->what, sizeof l->what, json_is_false(json_object_get(e, "first_life")) ?
			 "started again" : "started");
	} else if (strcmp(ev, "ready") == 0) {
		snprintf(l->label, sizeof l->label, "ready");
		s = story_str(e, "listen");
		snprintf(l->what, sizeof l->what, "ready%s%s", s ? ", listening on " : "", s ? s : "");
	} else {
		snprintf(l->what, sizeof l->what, "%s", ev);
		snprintf(l->label, sizeof l->label, "%s", ev);
		if ((s = story_str(e, "error")))
			story_cat(l->what, sizeof l->what, ": %s", s);
	}
}

static void story_received(struct story_ctx *x, json_t *e, const char *role, int m, struct story_line *l)
{
	const char *ts = story_str(e, "ts"), *via = story_str(e, "via");
	bool push = via && strcmp(via, "ws") == 0;
	char sts[32];

	l->kind = push ? STORY_PUSH : STORY_CATCHUP;
	l->from = STORY_LANE_SERVER;
	story_short_ts(ts, sts, sizeof sts);
	snprintf(l->label, sizeof l->label, "%s %s ts %s", push ? "push" : "catch-up", x->r->msgs[m].id, sts);
	if (push)
		snprintf(l->what, sizeof l->what, "was shown %s (ts %s), pushed over its WebSocket",
			 x->r->msgs[m].id, ts ? ts : "?");
	else
		snprintf(l->what, sizeof l->what, "was shown %s (ts %s), read by a catch-up request (via %s)",
			 x->r->msgs[m].id, ts ? ts : "?", via ? via : "?");
	if (x->readback_t < STORY_NEVER && !story_row_has(x->out, m, ts))
		story_cat(l->what, sizeof l->what, ": a copy the store does not have");
	story_push_frames(x, m, role, l->t_ms, l->frames, sizeof l->frames);
}

static void story_fault_line(struct story_ctx *x, json_t *e, const char *ev, struct story_line *l)
{
	json_t *args = json_object_get(e, "args");
	const char *name = story_str(e, "fault"), *a0 = json_string_value(json_array_get(args, 0));
	const char *a1 = json_string_value(json_array_get(args, 1)), *s;
	int lane = story_lane_of(a0);

	const struct fault_ops *ops;

	name = name ? name : "?";
	ops = fault_lookup(name);
	l->kind = STORY_FAULT;
	/* A fault on a process is a mark on that role's lane; a network fault acts at the router. */
	l->from = l->to = ops && ops->arg_kind == FAULT_ARG_ROLE ? (lane >= 0 ? lane : STORY_LANE_SERVER)
								   : STORY_LANE_ROUTER;
	snprintf(l->label, sizeof l->label, "%s%s %s%s%s", strcmp(ev, "heal") == 0 ? "heal " : "", name,
		 a0 ? a0 : "", a1 ? "→" : "", a1 ? a1 : "");
	snprintf(l->what, sizeof l->what, "%s %s", ev, name);
	for (size_t i = 0; i < json_array_size(args); i++)
		if (json_string_value(json_array_get(args, i)))
			story_cat(l->what, sizeof l->what, " %s", json_string_value(json_array_get(args, i)));
	if ((s = story_str(e, "what")) && *s)
		story_cat(l->what, sizeof l->what, ": %s", s);
	if ((s = story_str(e, "trigger")) && *s)
		story_cat(l->what, sizeof l->what, " (on %s)", s);
}

/* The faults that were never healed, with what each did in all. */
static void story_faults_final(struct story_ctx *x, struct story_line *l)
{
	char name[128];

	for (size_t i = 0; i < x->nfaults; i++) {
		const struct story_fault *f = &x->faults[i];

		if (f->on_role || f->off < STORY_NEVER)
			continue;
		if (strcmp(f->name, "evict-nat") == 0)
			story_cat(l->what, sizeof l->what, "%s%s evicted %d flow%s", l->what[0] ? "; " : "in all, ",
				  story_fault_name(f, name, sizeof name), f->flows, f->flows == 1 ? "" : "s");
		else
			story_cat(l->what, sizeof l->what, "%s%s dropped %lld packet%s", l->what[0] ? "; " : "in all, ",
				  story_fault_name(f, name, sizeof name), f->packets, f->packets == 1 ? "" : "s");
	}
	snprintf(l->label, sizeof l->label, "%s", strncmp(l->what, "in all, ", 8) == 0 ? l->what + 8 : l->what);
}

/* Does e belong in the story although it carries no affected message? */
static bool story_lifecycle(struct story_ctx *x, const char *role, const char *ev, int lane)
{
	if (strcmp(role, "acklab") == 0)
		return strcmp(ev, "fault") == 0 || strcmp(ev, "heal") == 0 || strcmp(ev, "faults") == 0;
	if (strcmp(role, "store") == 0)
		return strcmp(ev, "started") == 0 && x->readback_t < STORY_NEVER;
	if (strcmp(role, "server") == 0 && (strcmp(ev, "ready") == 0 || strcmp(ev, "started") == 0))
		return true;
	if (strcmp(ev, "exit") == 0 || strcmp(ev, "disconnected") == 0)
		return true;
	/* A connection opened again: the first one of each role is no news. */
	return strcmp(ev, "connected") == 0 && lane >= 0 && lane < x->out->nlanes && x->connects[lane]++ > 0;
}

static int story_entry(struct story_ctx *x, size_t k, json_t *e)
{
	const char *role = story_str(e, "role"), *ev = story_str(e, "ev"), *s;
	struct story_line l;
	struct story_pkt *p;
	int m, lane;

	if (!role || !ev)
		return 0;
	if (strcmp(role, "router") == 0 && strcmp(ev, "packet") == 0)
		return (p = story_pkt_at(x, k)) ? story_wire_packet(x, p) : 0;
	if (strcmp(role, "store") == 0 && strcmp(ev, "started") != 0)
		return 0;                 /* the rows are told at the end */
	m = story_concerns(x, e);
	lane = story_lane_of(role);
	if (m < 0 && !story_lifecycle(x, role, ev, lane))
		return 0;
	if (strcmp(ev, "faults") == 0) {
		story_line_init(&l, story_t(x, e), role, -1, STORY_NOTE, STORY_LANE_ROUTER, STORY_LANE_ROUTER);
		story_faults_final(x, &l);
		return l.what[0] ? story_push(x->out, &l) : 0;
	}
	story_line_init(&l, story_t(x, e), role, m, STORY_NOTE, lane >= 0 ? lane : STORY_LANE_ROUTER,
			lane >= 0 ? lane : STORY_LANE_ROUTER);
	if (strcmp(role, "acklab") == 0 && strcmp(ev, "send") == 0 && m >= 0) {
		l.from = l.to = STORY_LANE_SCREEN;
		snprintf(l.label, sizeof l.label, "send %s", x->r->msgs[m].id);
		snprintf(l.what, sizeof l.what, "asked the client to send %s on #%s", x->r->msgs[m].id,
			 (s = story_str(e, "channel")) ? s : "?");
		if ((s = story_str(e, "parent")))
			story_cat(l.what, sizeof l.what, ", a reply to %s (ts %s, as a recipient saw it)", s,
				  story_str(e, "parent_ts") ? story_str(e, "parent_ts") : "?");
	} else if (strcmp(role, "acklab") == 0 && (strcmp(ev, "fault") == 0 || strcmp(ev, "heal") == 0)) {
		story_fault_line(x, e, ev, &l);
	} else if (strcmp(role, "store") == 0) {
		l.from = l.to = STORY_LANE_STORE;
		snprintf(l.label, sizeof l.label, "acklab reads the store");
		snprintf(l.what, sizeof l.what, "acklab reads the store back (conversations.history from the client "
			 "host: acklab's own requests, not the client's)");
	} else if (strcmp(ev, "disconnected") == 0) {
		story_disconnected(x, e, role, &l);
	} else if (strcmp(ev, "connected") == 0) {
		snprintf(l.label, sizeof l.label, "new connection");
		snprintf(l.what, sizeof l.what, "opened a new connection");
	} else if (strcmp(ev, "exit") == 0) {
		s = story_str(e, "status");
		snprintf(l.label, sizeof l.label, "exit: %s", s ? s : "?");
		snprintf(l.what, sizeof l.what, "exited: %s", s ? s : "?");
	} else if (strcmp(ev, "received") == 0 && m >= 0 && lane >= STORY_LANE_RECIPIENT) {
		l.to = lane;
		story_received(x, e, role, m, &l);
	} else if (strcmp(role, "client") == 0) {
		story_client(x, e, ev, m, &l);
	} else if (strcmp(role, "server") == 0) {
		story_server(x, k, e, ev, m, &l);
	} else {
		snprintf(l.what, sizeof l.what, "%s", ev);
		snprintf(l.label, sizeof l.label, "%s", ev);
	}
	if (m >= 0 && x->naffected > 1)
		story_cat(l.what, sizeof l.what, " [%s]", x->r->msgs[m].id);
	return story_push(x->out, &l);
}

/* The store's rows of the affected messages, from the read-back (the store role's entries). */
static int story_rows(struct story_ctx *x)
{
	size_t n = history_len(x->c->history);

	for (size_t k = 0; k < n; k++) {
		json_t *e = history_at(x->c->history, k);
		const char *role = story_str(e, "role"), *ev = story_str(e, "ev"), *ts = story_str(e, "ts");
		struct story_row *v;
		int m;

		if (!role || !ev || strcmp(role, "store") != 0 || strcmp(ev, "stored") != 0 ||
		    (m = story_concerns(x, e)) < 0)
			continue;
		v = realloc(x->out->rows, (x->out->nrows + 1) * sizeof *v);
		if (!v)
			return -1;
		x->out->rows = v;
		v = &v[x->out->nrows++];
		memset(v, 0, sizeof *v);
		v->msg = m;
		str_copy(v->ts, ts ? ts : "?", sizeof v->ts);
		v->written_ms = -1;
	}
	return 0;
}

/* "the store holds 2 rows of m3: ts A (written at +508.6 ms, attempt 1), ts B (...)". */
static void story_store_line(const struct story *s, const struct chk_message *m, int msg, char *buf, size_t len)
{
	int shown = 0;

	if (m->stored == 0) {
		snprintf(buf, len, "the store holds no row of %s", m->id);
		return;
	}
	snprintf(buf, len, "the store holds %d row%s of %s", m->stored, m->stored == 1 ? "" : "s", m->id);
	for (size_t i = 0; i < s->nrows; i++) {
		const struct story_row *r = &s->rows[i];

		if (r->msg != msg)
			continue;
		story_cat(buf, len, "%s ts %s", shown++ ? "," : ":", r->ts);
		if (r->written_ms >= 0 && r->attempt)
			story_cat(buf, len, " (written at %+.1f ms, attempt %d)", r->written_ms, r->attempt);
		else if (r->written_ms >= 0)
			story_cat(buf, len, " (written at %+.1f ms)", r->written_ms);
	}
}

int story_build(const struct cell_result *c, struct story *out)
{
	const struct chk_result *r = &c->chk;
	struct story_ctx x;
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof *out);
	memset(&x, 0, sizeof x);
	if (c->history_events_only)
		return -1;            /* a big cell's history holds no message to tell of */
	x.c = c;
	x.r = r;
	x.out = out;
	x.t0 = c->t0_ns;
	out->kept = c->history != NULL;
	out->affected = calloc((size_t)r->nmsgs + 1, sizeof *out->affected);
	out->store = calloc((size_t)r->nmsgs + 1, sizeof *out->store);
	x.ms = calloc((size_t)r->nmsgs + 1, sizeof *x.ms);
	if (!out->affected || !out->store || !x.ms)
		goto done;
	for (int i = 0; i < r->nmsgs; i++) {
		if (r->msgs[i].cls != CHK_OK)
			out->affected[i] = true, x.naffected++;
		x.ms[i].first_unacked = -1;
	}
	/* A failed cell with nothing to show: the expected bug did not happen; show every message. */
	for (int i = 0; !x.naffected && i < r->nmsgs; i++)
		out->affected[i] = true;
	x.naffected = x.naffected ? x.naffected : r->nmsgs;
	n = c->history ? history_len(c->history) : 0;
	if (!x.t0 && n)
		x.t0 = json_integer_value(json_object_get(history_at(c->history, 0), "t"));
	if (n && (story_wire_scan(&x) == -1 || story_rows(&x) == -1))
		goto done;
	out->nlanes = STORY_LANE_RECIPIENT + x.recipients;
	x.connects = calloc((size_t)out->nlanes, sizeof *x.connects);
	x.push_used = calloc(x.npkts + 1, sizeof *x.push_used);
	if (!x.connects || !x.push_used)
		goto done;
	for (size_t k = 0; k < n; k++)
		if (story_entry(&x, k, history_at(c->history, k)) == -1)
			goto done;
	for (int i = 0; i < r->nmsgs; i++)
		if (out->affected[i])
			story_store_line(out, &r->msgs[i], i, out->store[i], sizeof out->store[i]);
	story_wire_legend(&x);
	rc = 0;
done:
	story_wire_free(&x);
	free(x.ms);
	free(x.connects);
	free(x.push_used);
	if (rc == -1)
		story_free(out);
	return rc;
}

void story_free(struct story *s)
{
	free(s->affected);
	free(s->store);
	free(s->lines);
	free(s->rows);
	s->affected = NULL;
	s->store = NULL;
	s->lines = NULL;
	s->rows = NULL;
	s->n = s->cap = s->nrows = 0;
}
