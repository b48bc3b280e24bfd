/*
 * chatc_ws: chatc's WebSocket modes and the listen catch-up against a real
 * chatd on 127.0.0.1, with chatd crashing and restarting on the same
 * database and port.
 *
 * Two-sided: after a crash between persist and ack, ws-ack-key resends m2
 * with its key and the store holds one m2; ws-ack resends without one and
 * the store holds two. ws-naive shows Sent without waiting for a server
 * that is slow to store. A listen client that lost its connection reports
 * what was stored meanwhile with "via":"history". A send whose id is still
 * in flight is refused with duplicate_id, as in the HTTP modes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "chatc_fixture.h"

/*
 * chatd (ws-mode wsmode) crashes after persisting the 2nd message and before
 * acking it; restart it on the same port and db; the client resends. Returns
 * how many rows hold m2's token.
 */
static int crash_after_persist(struct fx_ctx *c, const char *wsmode, const char *clientmode)
{
	static struct spawn client;
	static struct fx_events evs;
	int port, port2, i, m2_rows = -1, rows;
	const char *ids[] = { "m1", "m2", "m3" };
	char text[64];

	port = fx_chatd(&c->chatd, c->dir, 0, "--ws-mode", wsmode, "--failpoints", "after_persist=crash@2", NULL);
	assert_true(port > 0);
	assert_int_equal(fx_chatc(&client, port, clientmode, "--timeout-ms", "500", "--attempts", "20",
	    "--backoff-base-ms", "20", "--backoff-cap-ms", "100", "--connect-timeout-ms", "300",
	    "--heartbeat-ms", "200", NULL), 0);
	assert_non_null(fx_wait_ev(&client, &evs, "connected", NULL, 5000));
	for (i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "%s: crash (acklab-tcrash-%s)", ids[i], ids[i]);
		fx_send(&client, ids[i], "general", text);
	}
	fx_close_stdin(&client);
	assert_non_null(fx_wait_ev(&client, &evs, "disconnected", NULL, 5000));
	/* chatd died at the failpoint; reap it and bring it back on the same port and store */
	assert_int_equal(spawn_wait(&c->chatd, 5000), 0);
	port2 = fx_chatd(&c->chatd, c->dir, port, "--ws-mode", wsmode, NULL);
	assert_int_equal(port2, port);
	assert_int_equal(fx_drain(&client, &evs, 10000), 0);
	for (i = 0; i < 3; i++) {
		json_t *sent = fx_find(&evs, "sent", ids[i]);

		assert_non_null(sent);
		assert_non_null(json_object_get(sent, "ts"));
	}
	assert_non_null(fx_find(&evs, "connected", NULL));
	assert_true(json_integer_value(json_object_get(fx_find(&evs, "sent", "m2"), "attempts")) >= 2);
	assert_int_equal(fx_count(&evs, "failed", NULL), 0);
	rows = fx_history(port, "acklab-tcrash-m2", &m2_rows);
	assert_true(rows >= 3);
	fx_events_free(&evs);
	return m2_rows;
}

static void test_ws_ack_key_dedups_resend(void **state)
{
	assert_int_equal(crash_after_persist(*state, "ack-key", "ws-ack-key"), 1);
}

static void test_ws_ack_without_key_duplicates(void **state)
{
	assert_int_equal(crash_after_persist(*state, "ack", "ws-ack"), 2);
}

static void test_ws_naive_does_not_wait(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn client;
	static struct fx_events evs;
	json_t *sending, *sent;
	int64_t waited;
	int port, match;

	/* the server takes 600 ms to store; a naive client shows Sent long before */
	port = fx_chatd(&c->chatd, c->dir, 0, "--ws-mode", "naive", "--failpoints", "persist=delay:600", NULL);
	assert_true(port > 0);
	assert_int_equal(fx_chatc(&client, port, "ws-naive", "--timeout-ms", "2000", NULL), 0);
	assert_non_null(fx_wait_ev(&client, &evs, "connected", NULL, 5000));
	fx_send(&client, "m1", "general", "m1: fire and forget (acklab-tnaive-m1)");
	sent = fx_wait_ev(&client, &evs, "sent", "m1", 5000);
	assert_non_null(sent);
	sending = fx_find(&evs, "sending", "m1");
	assert_non_null(sending);
	waited = json_integer_value(json_object_get(sent, "t")) - json_integer_value(json_object_get(sending, "t"));
	printf("ws-naive: sending -> sent in %.2f ms\n", (double)waited / 1e6);
	assert_true(waited < 300 * 1000000LL);
	assert_null(json_object_get(sent, "ts"));
	assert_int_equal(json_integer_value(json_object_get(sent, "attempts")), 1);
	fx_close_stdin(&client);
	assert_int_equal(fx_drain(&client, &evs, 5000), 0);
	/* it did arrive, later */
	assert_int_equal(fx_history(port, "acklab-tnaive-m1", &match) >= 1, 1);
	assert_int_equal(match, 1);
	fx_events_free(&evs);
}

static void test_listen_catches_up_via_history(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn listener, sender, other;
	static struct fx_events levs, sevs;
	json_t *r;
	int port, port_b;

	port = fx_chatd(&c->chatd, c->dir, 0, NULL);
	assert_true(port > 0);
	/* chatd's death is seen by the socket closing; a slow heartbeat cannot cut m1's push off */
	assert_int_equal(fx_chatc(&listener, port, "listen", "--heartbeat-ms", "5000", "--timeout-ms", "2000",
	    "--backoff-base-ms", "40", "--backoff-cap-ms", "100", "--connect-timeout-ms", "300", NULL), 0);
	assert_non_null(fx_wait_ev(&listener, &levs, "ready", NULL, 5000));

	assert_int_equal(fx_chatc(&sender, port, "http", "--timeout-ms", "2000", NULL), 0);
	fx_send(&sender, "m1", "general", "m1: live (acklab-tlisten-m1)");
	fx_close_stdin(&sender);
	assert_int_equal(fx_drain(&sender, &sevs, 5000), 0);
	r = fx_wait_ev(&listener, &levs, "received", NULL, 5000);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "via")), "ws");

	/* the server dies; while the listener is cut off, a second server on the same store takes m2 */
	spawn_stop(&c->chatd, SIGKILL, 0);
	assert_non_null(fx_wait_ev(&listener, &levs, "disconnected", NULL, 5000));
	port_b = fx_chatd(&other, c->dir, 0, NULL);
	assert_true(port_b > 0);
	fx_events_free(&sevs);
	assert_int_equal(fx_chatc(&sender, port_b, "http", "--timeout-ms", "2000", NULL), 0);
	fx_send(&sender, "m2", "general", "m2: while you were away (acklab-tlisten-m2)");
	fx_close_stdin(&sender);
	assert_int_equal(fx_drain(&sender, &sevs, 5000), 0);
	assert_non_null(fx_find(&sevs, "sent", "m2"));
	spawn_stop(&other, SIGTERM, 2000);

	/* the first server comes back where the listener looks for it */
	assert_int_equal(fx_chatd(&c->chatd, c->dir, port, NULL), port);
	r = fx_wait_ev(&listener, &levs, "received", NULL, 5000);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "via")), "history");
	assert_non_null(strstr(json_string_value(json_object_get(r, "text")), "acklab-tlisten-m2"));
	fx_close_stdin(&listener);
	assert_int_equal(fx_drain(&listener, &levs, 5000), 0);
	/* m1 was shown once, not again after the catch-up */
	assert_int_equal(fx_count(&levs, "received", NULL), 2);
	assert_true(fx_count(&levs, "connected", NULL) >= 2);
	fx_events_free(&levs);
	fx_events_free(&sevs);
}

/*
 * A frozen server (SIGSTOP: its TCP stays up, nothing answers) is what a
 * half-open connection looks like to the client. The heartbeat must notice.
 */
static void test_heartbeat_detects_silent_server(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn client;
	static struct fx_events evs;
	json_t *d;
	int port;

	port = fx_chatd(&c->chatd, c->dir, 0, NULL);
	assert_true(port > 0);
	assert_int_equal(fx_chatc(&client, port, "listen", "--heartbeat-ms", "100", "--timeout-ms", "1000",
	    "--backoff-base-ms", "20", "--backoff-cap-ms", "50", "--connect-timeout-ms", "200", NULL), 0);
	assert_non_null(fx_wait_ev(&client, &evs, "ready", NULL, 5000));
	kill(c->chatd.pid, SIGSTOP);
	d = fx_wait_ev(&client, &evs, "disconnected", NULL, 2000);
	kill(c->chatd.pid, SIGCONT);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "reason")), "heartbeat");
	/* back on its feet: the recipient reconnects */
	assert_non_null(fx_wait_ev(&client, &evs, "connected", NULL, 5000));
	fx_close_stdin(&client);
	assert_int_equal(fx_drain(&client, &evs, 5000), 0);
	fx_events_free(&evs);
}

/*
 * A server killed outright: its kernel closes the connection with a FIN, and
 * the client says so (the kernel's reason, not a bare "closed").
 */
static void test_killed_server_is_a_fin(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn client;
	static struct fx_events evs;
	json_t *d;
	int port;

	port = fx_chatd(&c->chatd, c->dir, 0, NULL);
	assert_true(port > 0);
	assert_int_equal(fx_chatc(&client, port, "ws-naive", "--heartbeat-ms", "0", "--timeout-ms", "300",
	    "--backoff-base-ms", "20", "--backoff-cap-ms", "50", "--connect-timeout-ms", "200", NULL), 0);
	assert_non_null(fx_wait_ev(&client, &evs, "connected", NULL, 5000));
	kill(c->chatd.pid, SIGKILL);
	d = fx_wait_ev(&client, &evs, "disconnected", NULL, 2000);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "reason")), "peer closed it (FIN)");
	fx_close_stdin(&client);
	assert_int_equal(fx_drain(&client, &evs, 5000), 0);
	fx_events_free(&evs);
}

/*
 * ws-ack-key against a frozen server: the ack times out, the connection is
 * condemned, and once the server thaws the resend (same key) is acked. The
 * first frame, still in the dead connection's buffer, is stored too, once.
 */
static void test_ack_timeout_resends_with_key(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn client;
	static struct fx_events evs;
	json_t *d, *sent;
	int port, match;

	port = fx_chatd(&c->chatd, c->dir, 0, "--ws-mode", "ack-key", NULL);
	assert_true(port > 0);
	assert_int_equal(fx_chatc(&client, port, "ws-ack-key", "--heartbeat-ms", "0", "--timeout-ms", "200",
	    "--attempts", "30", "--backoff-base-ms", "20", "--backoff-cap-ms", "50",
	    "--connect-timeout-ms", "200", NULL), 0);
	assert_non_null(fx_wait_ev(&client, &evs, "connected", NULL, 5000));
	kill(c->chatd.pid, SIGSTOP);
	fx_send(&client, "m1", "general", "m1: frozen (acklab-tfrozen-m1)");
	fx_close_stdin(&client);
	d = fx_wait_ev(&client, &evs, "disconnected", NULL, 2000);
	kill(c->chatd.pid, SIGCONT);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "reason")), "ack timeout");
	assert_int_equal(fx_drain(&client, &evs, 10000), 0);
	for (int i = 0; i < evs.n; i++)
		if (fx_is(evs.ev[i], "sending", "m1") &&
		    json_integer_value(json_object_get(evs.ev[i], "attempt")) == 2)
			assert_string_equal(json_string_value(json_object_get(evs.ev[i], "after")),
			    "ack timeout: no ack within 200 ms, so the connection was given up");
	sent = fx_find(&evs, "sent", "m1");
	assert_non_null(sent);
	assert_true(json_integer_value(json_object_get(sent, "attempts")) >= 2);
	assert_true(fx_history(port, "acklab-tfrozen-m1", &match) >= 1);
	assert_int_equal(match, 1);
	fx_events_free(&evs);
}

static void test_duplicate_id_refused_while_in_flight(void **state)
{
	fx_check_duplicate_id(*state, "ws-ack-key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX_TEST(test_ws_ack_key_dedups_resend),
		FX_TEST(test_ws_ack_without_key_duplicates),
		FX_TEST(test_ws_naive_does_not_wait),
		FX_TEST(test_listen_catches_up_via_history),
		FX_TEST(test_heartbeat_detects_silent_server),
		FX_TEST(test_killed_server_is_a_fin),
		FX_TEST(test_ack_timeout_resends_with_key),
		FX_TEST(test_duplicate_id_refused_while_in_flight),
	};

	return FX_RUN(tests);
}
