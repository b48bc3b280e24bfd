/*
 * Tests of the story (story.h) on canned histories shaped like the real
 * runs of the bug cells: what each line says, on which lanes it is drawn,
 * and what it concludes from the packets and faults. A lost answer that
 * carries no token (an HTTP 200) must still appear, dropped at the router
 * by the fault acting on its flow; a TCP retransmission is not an attempt;
 * a half-open connection's detection time is explained by the resends; a
 * push before the write is a copy the store does not have; a message is
 * told attempt by attempt beside the stack that survived.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../harness/story.h"
#include "util.h"

#define MS 1000000LL
#define T0 5000000000LL

static void add(struct history *h, const char *role, double ms, json_t *o)
{
	assert_non_null(o);
	assert_non_null(history_add(h, role, o, T0 + (long long)(ms * MS)));
}

static void send_entry(struct history *h, double ms, const char *id)
{
	char token[64], text[128];

	snprintf(token, sizeof token, "acklab-7-%s", id);
	snprintf(text, sizeof text, "%s: message %s (%s)", id, id, token);
	add(h, "acklab", ms, json_pack("{s:s,s:s,s:s,s:s,s:s}", "ev", "send", "id", id, "token", token,
				       "channel", "general", "text", text));
}

/* A packet carrying id's token at the router: in on one side, and (unless out_frame is 0) out on the other. */
static void packet(struct history *h, double ms, const char *id, const char *src, int sport, const char *dst,
		   int dport, const char *nat_src, const char *nat_dst, long in_frame, long out_frame)
{
	char token[64];

	snprintf(token, sizeof token, "acklab-7-%s", id);
	add(h, "router", ms, json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:i,s:s,s:b,s:I}", "ev", "packet", "id", id,
				       "token", token, "src", src, "sport", sport, "dst", dst, "dport", dport,
				       "ifname", "x0", "outgoing", 0, "frame", (json_int_t)in_frame));
	if (out_frame)
		add(h, "router", ms + 0.01, json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:i,s:s,s:b,s:I}", "ev", "packet",
						      "id", id, "token", token, "src", nat_src, "sport", sport,
						      "dst", nat_dst, "dport", dport, "ifname", "y0", "outgoing", 1,
						      "frame", (json_int_t)out_frame));
}

static json_t *server_ev(const char *ev, const char *id, const char *key)
{
	char text[128];

	snprintf(text, sizeof text, "%s: message %s (acklab-7-%s)", id, id, id);
	return json_pack("{s:s,s:s,s:s,s:o}", "ev", ev, "text", text, "channel", "general", "client_msg_id",
			 key ? json_string(key) : json_null());
}

static json_t *with(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v);
	return o;
}

static void stored(struct history *h, double ms, const char *id, const char *ts)
{
	char text[128];

	snprintf(text, sizeof text, "%s: message %s (acklab-7-%s)", id, id, id);
	add(h, "store", ms, json_pack("{s:s,s:s,s:s}", "ev", "stored", "ts", ts, "text", text));
}

static json_t *fault_ev(const char *ev, const char *name, const char *a, const char *b, long packets, int flows)
{
	return json_pack("{s:s,s:s,s:[s,s],s:s,s:s,s:{s:I,s:i,s:i,s:i}}", "ev", ev, "fault", name, "args", a, b,
			 "what", "as described", "trigger", "step at line 24", "touched", "packets",
			 (json_int_t)packets, "flows", flows, "signalled", 0, "started", 0);
}

/* A lost ack over HTTP without a key: the 200 OK carries no token, the fault dropped it. */
static struct history *lost_ack_history(const char *key)
{
	struct history *h = history_new();

	add(h, "server", 10, json_pack("{s:s,s:s}", "ev", "ready", "listen", "198.18.2.2:8080"));
	add(h, "acklab", 100, fault_ev("fault", "drop-replies", "client", "server", 0, 1));
	send_entry(h, 100.1, "m3");
	add(h, "client", 100.2, json_pack("{s:s,s:s,s:i}", "ev", "sending", "id", "m3", "attempt", 1));
	packet(h, 100.3, "m3", "198.18.1.2", 5000, "198.18.2.2", 8080, "198.18.2.1", "198.18.2.2", 10, 11);
	add(h, "server", 100.5, with(server_ev("recv", "m3", key), "via", json_string("http")));
	add(h, "server", 101, with(with(server_ev("persisted", "m3", key), "ts", json_string("1.000001")),
				   "duplicate", json_false()));
	add(h, "server", 101.1, with(with(with(server_ev("replied", "m3", key), "ts", json_string("1.000001")),
					  "status", json_integer(200)), "via", json_string("http")));
	packet(h, 300, "m3", "198.18.1.2", 5000, "198.18.2.2", 8080, "198.18.2.1", "198.18.2.2", 20, 21);
	add(h, "client", 420, json_pack("{s:s,s:s,s:i,s:s}", "ev", "sending", "id", "m3", "attempt", 2,
					"after", "timeout"));
	packet(h, 420.1, "m3", "198.18.1.2", 5002, "198.18.2.2", 8080, "198.18.2.1", "198.18.2.2", 30, 31);
	add(h, "server", 420.3, with(server_ev("recv", "m3", key), "via", json_string("http")));
	if (key)
		add(h, "server", 421, with(with(server_ev("persisted", "m3", key), "ts", json_string("1.000001")),
					   "duplicate", json_true()));
	else
		add(h, "server", 421, with(with(server_ev("persisted", "m3", key), "ts", json_string("1.000002")),
					   "duplicate", json_false()));
	add(h, "server", 421.1, with(with(with(server_ev("replied", "m3", key), "ts",
					       json_string(key ? "1.000001" : "1.000002")), "status", json_integer(200)),
				     "via", json_string("http")));
	add(h, "client", 421.5, json_pack("{s:s,s:s,s:s,s:i}", "ev", "sent", "id", "m3", "ts",
					  key ? "1.000001" : "1.000002", "attempts", 2));
	add(h, "acklab", 422, fault_ev("heal", "drop-replies", "client", "server", 2, 1));
	add(h, "store", 890, json_pack("{s:s}", "ev", "started"));
	stored(h, 900, "m3", "1.000001");
	if (!key)
		stored(h, 900, "m3", "1.000002");
	add(h, "acklab", 901, json_pack("{s:s,s:[{s:s,s:[s,s],s:s,s:{s:i,s:i}}]}", "ev", "faults", "applied",
					"fault", "drop-replies", "args", "client", "server", "trigger", "step",
					"touched", "packets", 2, "flows", 1));
	return h;
}

static void cell_init(struct cell_result *c, struct history *h, const char *scenario, const char *stack,
		      int recipients)
{
	char err[256];

	memset(c, 0, sizeof *c);
	str_copy(c->scenario, scenario, sizeof c->scenario);
	str_copy(c->stack, stack, sizeof c->stack);
	c->history = h;
	c->t0_ns = T0;
	c->ran = true;
	assert_int_equal(checker_run_at(h, NULL, recipients, T0, &c->chk, err, sizeof err), 0);
	c->status = c->chk.pass ? CELL_MET : CELL_UNMET;
}

static void cell_done(struct cell_result *c)
{
	chk_result_free(&c->chk);
	history_free(c->history);
	json_decref(c->extra);
	json_decref(c->client);
}

/* The first line at t whose sentence holds needle; fails the test when there is none. */
static const struct story_line *line_at(const struct story *s, double t, const char *needle)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->lines[i].t_ms > t - 0.001 && s->lines[i].t_ms < t + 0.001 && strstr(s->lines[i].what, needle))
			return &s->lines[i];
	for (size_t i = 0; i < s->n; i++)
		print_message("  %+.2f %s %s\n", s->lines[i].t_ms, s->lines[i].role, s->lines[i].what);
	fail_msg("no line at %+.2f ms says \"%s\"", t, needle);
	return NULL;
}

static void test_lost_answer_without_token(void **state)
{
	struct cell_result c;
	struct story s;
	const struct story_line *l;

	(void)state;
	cell_init(&c, lost_ack_history(NULL), "lost-ack", "http-nokey", 0);
	assert_int_equal(c.chk.msgs[0].cls, CHK_DUPLICATE);
	assert_int_equal(story_build(&c, &s), 0);
	assert_int_equal(s.nlanes, STORY_LANE_RECIPIENT + 0);

	l = line_at(&s, 100, "fault drop-replies client server");
	assert_int_equal(l->kind, STORY_FAULT);
	assert_int_equal(l->from, STORY_LANE_ROUTER);
	l = line_at(&s, 100.3, "m3's bytes (attempt 1) left the client on 198.18.1.2:5000 for the server; the "
		    "router forwarded them (as 198.18.2.1:5000 after NAT)");
	assert_int_equal(l->kind, STORY_REQUEST);
	assert_int_equal(l->from, STORY_LANE_CLIENT);
	assert_int_equal(l->to, STORY_LANE_SERVER);
	assert_false(l->dropped);
	assert_string_equal(l->frames, "frames 10, 11");
	l = line_at(&s, 100.5, "read m3 (the client's attempt 1, over http, no client_msg_id)");
	assert_int_equal(l->from, STORY_LANE_SERVER);
	l = line_at(&s, 101, "stored m3 as a new row, ts 1.000001 (duplicate: false; no client_msg_id)");
	assert_int_equal(l->kind, STORY_WRITE);
	assert_int_equal(l->to, STORY_LANE_STORE);
	/* The answer carries no token: it is tied to m3 by the server's event and to its flow by the request. */
	l = line_at(&s, 101.1, "answered m3: HTTP 200 OK, ts 1.000001; the router dropped it on flow "
		    "198.18.1.2:5000: drop-replies client server was acting there (it dropped 2 packets in all)");
	assert_int_equal(l->kind, STORY_REPLY);
	assert_int_equal(l->from, STORY_LANE_SERVER);
	assert_int_equal(l->to, STORY_LANE_CLIENT);
	assert_true(l->dropped);
	l = line_at(&s, 300, "the client's kernel resent m3's bytes on 198.18.1.2:5000 (a TCP retransmission, "
		    "not a new attempt");
	assert_true(l->resent);
	l = line_at(&s, 420, "showed Sending (attempt 2, 320 ms after attempt 1, which failed: timeout)");
	assert_int_equal(l->kind, STORY_SHOWN);
	assert_int_equal(l->from, STORY_LANE_SCREEN);
	line_at(&s, 420.1, "m3's bytes (attempt 2) left the client on 198.18.1.2:5002");
	l = line_at(&s, 421.1, "answered m3: HTTP 200 OK, ts 1.000002");
	assert_false(l->dropped);
	assert_null(strstr(l->what, "dropped"));
	line_at(&s, 421.5, "showed Sent (attempt 2, ts 1.000002)");
	line_at(&s, 890, "acklab reads the store back");
	assert_int_equal(s.nrows, 2);
	assert_true(s.rows[0].written_ms > 100.99 && s.rows[0].written_ms < 101.01);
	assert_int_equal(s.rows[0].attempt, 1);
	assert_int_equal(s.rows[1].attempt, 2);
	assert_string_equal(s.store[0], "the store holds 2 rows of m3: ts 1.000001 (written at +101.0 ms, attempt 1), "
			    "ts 1.000002 (written at +421.0 ms, attempt 2)");
	assert_non_null(strstr(s.legend, "client 198.18.1.2; server 198.18.2.2"));
	story_free(&s);
	cell_done(&c);
}

static void test_contrast(void **state)
{
	struct cell_result cells[3];
	char buf[1200];

	(void)state;
	cell_init(&cells[0], lost_ack_history(NULL), "lost-ack", "http-nokey", 0);
	cell_init(&cells[1], lost_ack_history("6f1c2a90-aaaa"), "lost-ack", "ws-ack-key", 0);
	cell_init(&cells[2], lost_ack_history("6f1c2a90-bbbb"), "lost-ack", "http", 0);
	assert_true(cell_met(&cells[1]) && cell_met(&cells[2]));
	/* The survivor whose name is closest: http for http-nokey. */
	assert_ptr_equal(story_contrast_cell(&cells[0], "m3", cells, 3), &cells[2]);
	assert_null(story_contrast_cell(&cells[0], "m9", cells, 3));
	assert_int_equal(story_account(&cells[0], "m3", buf, sizeof buf), 0);
	assert_string_equal(buf, "http-nokey: 2 attempts. Attempt 1: the server read it without a client_msg_id, "
			    "stored a new row, ts 1.000001 (duplicate: false), and answered ts 1.000001. Attempt 2: "
			    "the server read it without a client_msg_id, stored a new row, ts 1.000002 (duplicate: "
			    "false), and answered ts 1.000002. The client showed Sent with ts 1.000002. The store "
			    "holds 2 rows of it.");
	assert_int_equal(story_account(&cells[2], "m3", buf, sizeof buf), 0);
	assert_string_equal(buf, "http: 2 attempts. Attempt 1: the server read it with client_msg_id 6f1c2a90…, "
			    "stored a new row, ts 1.000001 (duplicate: false), and answered ts 1.000001. Attempt 2: "
			    "the server read it with client_msg_id 6f1c2a90…, found the row it had stored "
			    "(duplicate: true), ts 1.000001, and answered ts 1.000001. The client showed Sent with ts "
			    "1.000001. The store holds 1 row of it.");
	assert_int_equal(story_account(&cells[2], "m9", buf, sizeof buf), -1);
	for (int i = 0; i < 3; i++)
		cell_done(&cells[i]);
}

/* Half-open: the router drops m3's bytes on an evicted flow; only the kernel notices, late. */
static void test_half_open(void **state)
{
	struct history *h = history_new();
	struct cell_result c;
	struct story s;
	const struct story_line *l;

	(void)state;
	add(h, "client", 40, json_pack("{s:s}", "ev", "connected"));
	send_entry(h, 49, "m1");
	packet(h, 50, "m1", "198.18.1.2", 6000, "198.18.2.2", 8080, "198.18.2.1", "198.18.2.2", 5, 6);
	add(h, "client", 50.1, json_pack("{s:s,s:s,s:i}", "ev", "sent", "id", "m1", "attempts", 1));
	add(h, "acklab", 100, fault_ev("fault", "evict-nat", "client", "server", 0, 1));
	send_entry(h, 100.4, "m3");
	packet(h, 100.5, "m3", "198.18.1.2", 6000, "198.18.2.2", 8080, NULL, NULL, 40, 0);
	add(h, "client", 100.6, json_pack("{s:s,s:s,s:i}", "ev", "sent", "id", "m3", "attempts", 1));
	packet(h, 310, "m3", "198.18.1.2", 6000, "198.18.2.2", 8080, NULL, NULL, 41, 0);
	packet(h, 520, "m3", "198.18.1.2", 6000, "198.18.2.2", 8080, NULL, NULL, 42, 0);
	packet(h, 930, "m3", "198.18.1.2", 6000, "198.18.2.2", 8080, NULL, NULL, 43, 0);
	add(h, "client", 1130, json_pack("{s:s,s:s}", "ev", "disconnected", "reason", "closed by peer"));
	add(h, "client", 1140, json_pack("{s:s}", "ev", "connected"));
	add(h, "store", 1500, json_pack("{s:s}", "ev", "started"));
	stored(h, 1510, "m1", "1.1");
	add(h, "acklab", 1600, json_pack("{s:s,s:[{s:s,s:[s,s],s:s,s:{s:i,s:i}}]}", "ev", "faults", "applied",
					 "fault", "evict-nat", "args", "client", "server", "trigger", "step",
					 "touched", "packets", 0, "flows", 1));
	cell_init(&c, h, "half-open-nat-no-heartbeat", "ws-naive", 0);
	c.extra = json_pack("{s:f}", "detect_ms", 1030.0);
	c.client = json_pack("{s:i,s:i}", "tcp-user-timeout-ms", 600, "heartbeat-ms", 0);
	assert_int_equal(c.chk.msgs[1].cls, CHK_LOST);
	assert_int_equal(story_build(&c, &s), 0);
	l = line_at(&s, 100.5, "m3's bytes (attempt 1) left the client on 198.18.1.2:6000 for the server; the "
		    "router dropped them: evict-nat client server had removed this flow's NAT state, so its "
		    "packets are invalid");
	assert_true(l->dropped);
	assert_false(l->resent);
	assert_string_equal(l->frames, "frame 40");
	l = line_at(&s, 310, "the client's kernel resent m3's bytes on 198.18.1.2:6000 (a TCP retransmission");
	assert_true(l->dropped && l->resent);
	l = line_at(&s, 1130, "found its connection closed (its WebSocket library says only \"closed by peer\"); "
		    "1030 ms after the fault. m3's bytes went unanswered from +100.5 ms; the kernel resent them at "
		    "+310.0, +520.0 and +930.0 ms. TCP_USER_TIMEOUT is 600 ms, "
		    "but the kernel checks it only when its retransmission timer fires, so it gave up 1030 ms "
		    "after the bytes first went out");
	assert_int_equal(l->from, STORY_LANE_CLIENT);
	line_at(&s, 1140, "opened a new connection");
	line_at(&s, 1600, "in all, evict-nat client server evicted 1 flow");
	/* m1 is ok: its packets are not part of the story */
	for (size_t i = 0; i < s.n; i++)
		assert_null(strstr(s.lines[i].what, "m1"));
	assert_string_equal(s.store[1], "the store holds no row of m3");
	story_free(&s);
	cell_done(&c);
}

/*
 * After a reconnect the kernel still resends the first attempt's bytes into
 * the dead connection: a retransmission of attempt 1, not attempt 2; and the
 * answer to attempt 2, on the new connection, is not the evicted flow's.
 */
static void test_old_flow_resend(void **state)
{
	struct history *h = history_new();
	struct cell_result c;
	struct story s;
	const struct story_line *l;

	(void)state;
	packet(h, 50, "m0", "198.18.1.2", 6000, "198.18.2.2", 8080, "198.18.2.1", "198.18.2.2", 5, 6);
	add(h, "acklab", 100, fault_ev("fault", "evict-nat", "client", "server", 0, 1));
	send_entry(h, 100.4, "m3");
	add(h, "client", 100.5, json_pack("{s:s,s:s,s:i}", "ev", "sending", "id", "m3", "attempt", 1));
	packet(h, 100.6, "m3", "198.18.1.2", 6000, "198.18.2.2", 8080, NULL, NULL, 40, 0);
	add(h, "client", 300, json_pack("{s:s,s:s}", "ev", "disconnected", "reason", "heartbeat"));
	add(h, "client", 300.1, json_pack("{s:s,s:s,s:i,s:s}", "ev", "sending", "id", "m3", "attempt", 2,
					  "after", "connection lost: heartbeat"));
	add(h, "client", 320, json_pack("{s:s}", "ev", "connected"));
	packet(h, 320.1, "m3", "198.18.1.2", 6100, "198.18.2.2", 8080, "198.18.2.1", "198.18.2.2", 50, 51);
	packet(h, 321, "m3", "198.18.1.2", 6000, "198.18.2.2", 8080, NULL, NULL, 52, 0);
	add(h, "server", 322, with(server_ev("recv", "m3", NULL), "via", json_string("ws")));
	add(h, "server", 323, with(with(server_ev("persisted", "m3", NULL), "ts", json_string("2.5")),
				   "duplicate", json_false()));
	add(h, "server", 323.1, with(with(with(server_ev("replied", "m3", NULL), "ts", json_string("2.5")),
					  "status", json_integer(0)), "via", json_string("ws")));
	add(h, "client", 500, json_pack("{s:s,s:s}", "ev", "disconnected", "reason", "heartbeat"));
	add(h, "client", 500.1, json_pack("{s:s,s:s,s:i,s:s}", "ev", "sending", "id", "m3", "attempt", 3,
					  "after", "connection lost: heartbeat"));
	add(h, "client", 600, json_pack("{s:s,s:s,s:s,s:i}", "ev", "sent", "id", "m3", "ts", "2.6", "attempts", 3));
	stored(h, 900, "m3", "2.5");
	stored(h, 900, "m3", "2.6");
	cell_init(&c, h, "half-open-nat", "ws-ack", 0);
	assert_int_equal(story_build(&c, &s), 0);
	l = line_at(&s, 320.1, "m3's bytes (attempt 2) left the client on 198.18.1.2:6100");
	assert_false(l->resent);
	l = line_at(&s, 321, "the client's kernel resent m3's bytes on 198.18.1.2:6000 (a TCP retransmission");
	assert_true(l->resent && l->dropped);
	l = line_at(&s, 323.1, "answered m3 with an ack frame: ok, ts 2.5; it never reached the client");
	assert_true(l->dropped);
	assert_null(strstr(l->what, "evict-nat"));
	story_free(&s);
	cell_done(&c);
}

/* A heartbeat death is told with the client's period for the client only: the recipients' timers differ. */
static void test_heartbeat_periods(void **state)
{
	struct history *h = history_new();
	struct cell_result c;
	struct story s;
	const struct story_line *l;

	(void)state;
	send_entry(h, 100, "m1");
	add(h, "client", 100.5, json_pack("{s:s,s:s,s:i}", "ev", "sending", "id", "m1", "attempt", 1));
	add(h, "recipient1", 200, json_pack("{s:s,s:s}", "ev", "disconnected", "reason", "heartbeat"));
	add(h, "client", 300, json_pack("{s:s,s:s}", "ev", "disconnected", "reason", "heartbeat"));
	add(h, "client", 400, json_pack("{s:s,s:s,s:s,s:i}", "ev", "sent", "id", "m1", "ts", "1.5", "attempts", 1));
	stored(h, 900, "m1", "1.5");
	cell_init(&c, h, "receive-cut", "listen-catchup", 0);
	c.client = json_pack("{s:i}", "heartbeat-ms", 100);
	assert_int_equal(story_build(&c, &s), 0);
	l = line_at(&s, 200, "found its connection dead: no answer to its heartbeat ping");
	assert_null(strstr(l->what, "one every"));
	line_at(&s, 300, "no answer to its heartbeat ping (one every 100 ms)");
	story_free(&s);
	cell_done(&c);
}

/* Fan out before the write: the recipient's copy is one the store does not have. */
static void test_phantom(void **state)
{
	struct history *h = history_new();
	struct cell_result c;
	struct story s;
	const struct story_line *l;

	(void)state;
	send_entry(h, 10, "m3");
	add(h, "client", 10.1, json_pack("{s:s,s:s,s:i}", "ev", "sent", "id", "m3", "attempts", 1));
	add(h, "server", 11, with(server_ev("recv", "m3", NULL), "via", json_string("ws")));
	add(h, "server", 11.1, with(with(server_ev("fanout", "m3", NULL), "ts", json_string("7.000003")),
				    "recipients", json_integer(2)));
	add(h, "server", 11.2, with(with(with(server_ev("failpoint", "m3", NULL), "name", json_string("persist")),
					 "action", json_string("fail")), "hit", json_integer(3)));
	add(h, "server", 11.3, with(server_ev("persist_failed", "m3", NULL), "error",
				    json_string("failpoint persist=fail")));
	packet(h, 11.4, "m3", "198.18.2.2", 8080, "198.18.2.1", 7000, "198.18.2.2", "198.18.11.2", 50, 51);
	add(h, "recipient1", 11.6, json_pack("{s:s,s:s,s:s,s:s}", "ev", "received", "ts", "7.000003", "text",
					     "m3: message m3 (acklab-7-m3)", "via", "ws"));
	add(h, "store", 500, json_pack("{s:s}", "ev", "started"));
	cell_init(&c, h, "fanout-before-persist", "ws-naive", 1);
	assert_int_equal(c.chk.msgs[0].cls, CHK_PHANTOM);
	assert_int_equal(story_build(&c, &s), 0);
	assert_int_equal(s.nlanes, STORY_LANE_RECIPIENT + 1);
	line_at(&s, 11.1, "pushed m3 (ts 7.000003) to 2 subscribers, before storing it");
	l = line_at(&s, 11.2, "hit failpoint persist=fail@3 on m3: this step fails");
	assert_int_equal(l->kind, STORY_FAULT);
	assert_int_equal(l->from, STORY_LANE_SERVER);
	l = line_at(&s, 11.3, "could not store m3: failpoint persist=fail");
	assert_int_equal(l->kind, STORY_WRITE);
	assert_true(l->dropped);
	l = line_at(&s, 11.6, "was shown m3 (ts 7.000003), pushed over its WebSocket: a copy the store does not have");
	assert_int_equal(l->kind, STORY_PUSH);
	assert_int_equal(l->from, STORY_LANE_SERVER);
	assert_int_equal(l->to, STORY_LANE_RECIPIENT);
	assert_string_equal(l->frames, "frames 50, 51");
	/* the forwarded push is told by the display, not as a line of its own */
	for (size_t i = 0; i < s.n; i++)
		assert_string_not_equal(s.lines[i].role, "router");
	story_free(&s);
	cell_done(&c);
}

static void test_names(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(story_lane_name(STORY_LANE_SCREEN, buf, sizeof buf), "screen");
	assert_string_equal(story_lane_name(STORY_LANE_ROUTER, buf, sizeof buf), "router");
	assert_string_equal(story_lane_name(STORY_LANE_RECIPIENT + 2, buf, sizeof buf), "recipient3");
	assert_string_equal(story_short_ts("1796192850.026825", buf, sizeof buf), "…026825");
	assert_string_equal(story_short_ts("5.2", buf, sizeof buf), "5.2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lost_answer_without_token),
		cmocka_unit_test(test_contrast),
		cmocka_unit_test(test_half_open),
		cmocka_unit_test(test_old_flow_resend),
		cmocka_unit_test(test_heartbeat_periods),
		cmocka_unit_test(test_phantom),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
