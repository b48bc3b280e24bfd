/*
 * chatc_listen: what the reference recipient (chatc --mode listen) reports,
 * which is what acklab's checker knows of a recipient's screen.
 *
 * Against a scripted server (chatc_fakechat.h) that pushes one message
 * twice: by default both frames are reported, each with via "ws", its ts
 * and text, so the checker can call the server's double push what it is;
 * --dedup all shows the ts once. Against chatd: a recipient cut off while
 * five messages are stored catches up with --page-limit 2 and reports the
 * five, in store order, once each, with via "history", and nothing it had
 * already shown, then m7 by push. --catchup none shows m1 and m7 alone;
 * --catchup stale shows m1 again, by history, before the five. --page-limit
 * takes 1..1000, --dedup catchup or all, --catchup cursor, none or stale;
 * anything else is a usage error. --heartbeat-misses lets a listener wait
 * out a server that is slow to answer its pings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "chatc_fixture.h"
#include "chatc_fakechat.h"

#define PUSH(ts, text) "{\"type\":\"message\",\"channel\":\"general\",\"ts\":\"" ts "\",\"user\":\"U1\",\"text\":\"" text "\"}"

static const char *const double_push[] = {
	PUSH("1700000000.000001", "m1: once (acklab-tpush-m1)"),
	PUSH("1700000000.000002", "m2: twice (acklab-tpush-m2)"),
	PUSH("1700000000.000002", "m2: twice (acklab-tpush-m2)"),
	/* another channel's message is not this recipient's */
	"{\"type\":\"message\",\"channel\":\"random\",\"ts\":\"1700000000.000003\",\"text\":\"elsewhere\"}",
	PUSH("1700000000.000004", "m4: last (acklab-tpush-m4)"),
	NULL,
};

static const struct fake_route empty_history[] = {
	{ "conversations.history", 200, "{\"ok\":true,\"messages\":[],\"has_more\":false}" },
	{ NULL, 0, NULL },
};

/* Run a listener with extra flags against a server pushing double_push; collect up to m4. */
static void listen_to_double_push(struct fx_ctx *c, struct fx_events *evs, const char *dedup)
{
	const struct fake_script sc = { double_push, empty_history };
	static struct fake_chat fake;
	static struct spawn listener;
	json_t *last;

	assert_int_equal(fake_chat_start(&fake, c->dir, &sc), 0);
	assert_int_equal(fx_chatc(&listener, fake.port, "listen", "--heartbeat-ms", "0", "--timeout-ms", "2000",
	    dedup ? "--dedup" : NULL, dedup, NULL), 0);
	assert_non_null(fx_wait_ev(&listener, evs, "ready", NULL, 5000));
	for (;;) {
		last = fx_wait_ev(&listener, evs, "received", NULL, 5000);
		assert_non_null(last);
		if (strstr(json_string_value(json_object_get(last, "text")) ?: "", "acklab-tpush-m4"))
			break;
	}
	fx_close_stdin(&listener);
	assert_int_equal(fx_drain(&listener, evs, 5000), 0);
	fake_chat_stop(&fake);
	/* one WebSocket, and the baseline read of the history */
	assert_int_equal(fake_chat_requests(&fake, "/ws"), 1);
	assert_int_equal(fake_chat_requests(&fake, "conversations.history"), 1);
}

/* The ts and via of every received event, as "ts/via ts/via ...". */
static void received_summary(const struct fx_events *evs, char *out, size_t outlen)
{
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < evs->n; i++) {
		json_t *e = evs->ev[i];

		if (!fx_is(e, "received", NULL))
			continue;
		assert_string_equal(json_string_value(json_object_get(e, "channel")), "general");
		assert_non_null(json_string_value(json_object_get(e, "text")));
		assert_true(json_is_integer(json_object_get(e, "t")));
		used += (size_t)snprintf(out + used, outlen - used, "%s%s/%s", used ? " " : "",
		    json_string_value(json_object_get(e, "ts")), json_string_value(json_object_get(e, "via")));
		assert_true(used < outlen);
	}
}

static void test_every_push_frame_is_reported(void **state)
{
	static struct fx_events evs;
	char got[512];

	listen_to_double_push(*state, &evs, NULL);
	received_summary(&evs, got, sizeof(got));
	assert_string_equal(got, "1700000000.000001/ws 1700000000.000002/ws 1700000000.000002/ws "
	    "1700000000.000004/ws");
	fx_events_free(&evs);
}

static void test_dedup_all_shows_a_ts_once(void **state)
{
	static struct fx_events evs;
	char got[512];

	listen_to_double_push(*state, &evs, "all");
	received_summary(&evs, got, sizeof(got));
	assert_string_equal(got, "1700000000.000001/ws 1700000000.000002/ws 1700000000.000004/ws");
	fx_events_free(&evs);
}

/*
 * A listener (with extra, a --catchup flag or NULL) sees m1 pushed, is cut off
 * while m2..m6 are stored, reconnects, and is pushed m7. Fills got with the
 * "ts/via" of everything it reported, and want1 with m1's ts, mids with
 * the ts of m2..m6 as "ts/history ...", want7 with m7's ts.
 */
static void catch_up_after_a_cut(struct fx_ctx *c, const char *extra, char *got, size_t gotlen,
    char *m1, char *mids, size_t midslen, char *m7)
{
	static struct spawn listener, sender, other;
	static struct fx_events levs, sevs;
	char text[64], id[8];
	size_t used = 0;
	int port_b, i;
	json_t *e;

	c->port = fx_chatd(&c->chatd, c->dir, 0, NULL);
	assert_true(c->port > 0);
	/* chatd's death is seen by the socket closing; a slow heartbeat cannot cut m1's push off */
	assert_int_equal(fx_chatc(&listener, c->port, "listen", "--heartbeat-ms", "5000", "--timeout-ms", "2000",
	    "--backoff-base-ms", "40", "--backoff-cap-ms", "100", "--connect-timeout-ms", "300",
	    "--page-limit", "2", extra ? "--catchup" : NULL, extra, NULL), 0);
	assert_non_null(fx_wait_ev(&listener, &levs, "ready", NULL, 5000));
	assert_int_equal(fx_chatc(&sender, c->port, "http", "--timeout-ms", "2000", NULL), 0);
	fx_send(&sender, "m1", "general", "m1: live (acklab-tcatch-m1)");
	fx_close_stdin(&sender);
	assert_int_equal(fx_drain(&sender, &sevs, 5000), 0);
	strcpy(m1, json_string_value(json_object_get(fx_find(&sevs, "sent", "m1"), "ts")));
	assert_non_null(fx_wait_ev(&listener, &levs, "received", NULL, 5000));
	fx_events_free(&sevs);

	/* cut off: a second server on the same store takes m2..m6 */
	spawn_stop(&c->chatd, SIGKILL, 0);
	assert_non_null(fx_wait_ev(&listener, &levs, "disconnected", NULL, 5000));
	port_b = fx_chatd(&other, c->dir, 0, NULL);
	assert_true(port_b > 0);
	assert_int_equal(fx_chatc(&sender, port_b, "http", "--timeout-ms", "2000", NULL), 0);
	for (i = 2; i <= 6; i++) {
		snprintf(id, sizeof(id), "m%d", i);
		snprintf(text, sizeof(text), "m%d: missed (acklab-tcatch-m%d)", i, i);
		fx_send(&sender, id, "general", text);
		assert_non_null(fx_wait_ev(&sender, &sevs, "sent", id, 5000));
		used += (size_t)snprintf(mids + used, midslen - used, "%s%s/history", used ? " " : "",
		    json_string_value(json_object_get(fx_find(&sevs, "sent", id), "ts")));
	}
	fx_close_stdin(&sender);
	assert_int_equal(fx_drain(&sender, &sevs, 5000), 0);
	spawn_stop(&other, SIGTERM, 2000);
	fx_events_free(&sevs);

	/* back where the listener looks; once it is subscribed again, m7 is pushed to it */
	assert_int_equal(fx_chatd(&c->chatd, c->dir, c->port, NULL), c->port);
	assert_non_null(fx_wait_ev(&listener, &levs, "connected", NULL, 5000));
	assert_int_equal(fx_chatc(&sender, c->port, "http", "--timeout-ms", "2000", NULL), 0);
	fx_send(&sender, "m7", "general", "m7: after (acklab-tcatch-m7)");
	fx_close_stdin(&sender);
	assert_int_equal(fx_drain(&sender, &sevs, 5000), 0);
	strcpy(m7, json_string_value(json_object_get(fx_find(&sevs, "sent", "m7"), "ts")));
	while ((e = fx_wait_ev(&listener, &levs, "received", NULL, 5000)) &&
	    !strstr(json_string_value(json_object_get(e, "text")) ?: "", "acklab-tcatch-m7"))
		;
	assert_non_null(e);
	fx_close_stdin(&listener);
	assert_int_equal(fx_drain(&listener, &levs, 5000), 0);
	received_summary(&levs, got, gotlen);
	fx_events_free(&levs);
	fx_events_free(&sevs);
}

/* The default: the five it missed, in store order, once each, by history; nothing shown twice. */
static void test_catch_up_pages_through_what_was_missed(void **state)
{
	char got[1024], want[1024], m1[48], mids[512], m7[48];

	catch_up_after_a_cut(*state, NULL, got, sizeof(got), m1, mids, sizeof(mids), m7);
	snprintf(want, sizeof(want), "%s/ws %s %s/ws", m1, mids, m7);
	assert_string_equal(got, want);
}

/* --catchup none (RTM-style): what was stored while it was away is never shown. */
static void test_catchup_none_shows_only_pushes(void **state)
{
	char got[1024], want[1024], m1[48], mids[512], m7[48];

	catch_up_after_a_cut(*state, "none", got, sizeof(got), m1, mids, sizeof(mids), m7);
	snprintf(want, sizeof(want), "%s/ws %s/ws", m1, m7);
	assert_string_equal(got, want);
}

/* --catchup stale: it reads from its first connection's cursor and shows m1 a second time. */
static void test_catchup_stale_shows_again_what_it_showed(void **state)
{
	char got[1024], want[1024], m1[48], mids[512], m7[48];

	catch_up_after_a_cut(*state, "stale", got, sizeof(got), m1, mids, sizeof(mids), m7);
	snprintf(want, sizeof(want), "%s/ws %s/history %s %s/ws", m1, m1, mids, m7);
	assert_string_equal(got, want);
}

/*
 * A server that stops answering for 600 ms (SIGSTOP: its kernel still
 * acknowledges): with one missed period allowed (the default) a 100 ms
 * heartbeat gives the connection up; with --heartbeat-misses 20 it waits,
 * and the connection lives on once the server answers again.
 */
static void test_heartbeat_misses_wait_for_a_slow_server(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn patient, hasty;
	static struct fx_events pevs, hevs;

	c->port = fx_chatd(&c->chatd, c->dir, 0, NULL);
	assert_true(c->port > 0);
	assert_int_equal(fx_chatc(&patient, c->port, "listen", "--heartbeat-ms", "100", "--heartbeat-misses", "20",
	    "--tcp-user-timeout-ms", "200", NULL), 0);
	assert_int_equal(fx_chatc(&hasty, c->port, "listen", "--heartbeat-ms", "100", "--tcp-user-timeout-ms", "200",
	    NULL), 0);
	assert_non_null(fx_wait_ev(&patient, &pevs, "ready", NULL, 5000));
	assert_non_null(fx_wait_ev(&hasty, &hevs, "ready", NULL, 5000));
	assert_int_equal(kill(c->chatd.pid, SIGSTOP), 0);
	assert_non_null(fx_wait_ev(&hasty, &hevs, "disconnected", NULL, 2000));
	assert_string_equal(json_string_value(json_object_get(fx_find(&hevs, "disconnected", NULL), "reason")),
	    "heartbeat");
	/* the patient one is still waiting when the hasty one has given up, and for 600 ms */
	assert_null(fx_wait_ev(&patient, &pevs, "disconnected", NULL, 600));
	assert_int_equal(kill(c->chatd.pid, SIGCONT), 0);
	assert_null(fx_wait_ev(&patient, &pevs, "disconnected", NULL, 500));
	fx_close_stdin(&patient);
	fx_close_stdin(&hasty);
	assert_int_equal(fx_drain(&patient, &pevs, 5000), 0);
	assert_int_equal(fx_drain(&hasty, &hevs, 5000), 0);
	assert_int_equal(fx_count(&pevs, "connected", NULL), 1);
	fx_events_free(&pevs);
	fx_events_free(&hevs);
}

static void test_option_values(void **state)
{
	static const char *const bad[][2] = {
		{ "--dedup", "off" }, { "--catchup", "always" }, { "--heartbeat-misses", "0" }, { "--page-limit", "0" }, { "--page-limit", "1001" }, { "--page-limit", "x" },
	};
	const struct fake_script sc = { NULL, empty_history };
	struct fx_ctx *c = *state;
	static struct fake_chat fake;
	static struct spawn sp;
	static struct fx_events evs;
	size_t i;

	/* the ends of the ranges are taken */
	assert_int_equal(fake_chat_start(&fake, c->dir, &sc), 0);
	assert_int_equal(fx_chatc(&sp, fake.port, "listen", "--heartbeat-ms", "0", "--page-limit", "1000",
	    "--dedup", "catchup", NULL), 0);
	assert_non_null(fx_wait_ev(&sp, &evs, "ready", NULL, 5000));
	fx_close_stdin(&sp);
	assert_int_equal(fx_drain(&sp, &evs, 5000), 0);
	fake_chat_stop(&fake);
	assert_int_equal(fake_chat_requests(&fake, "limit=1000"), 1);
	fx_events_free(&evs);

	for (i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(fx_chatc(&sp, 1, "listen", bad[i][0], bad[i][1], NULL), 0);
		fx_close_stdin(&sp);
		assert_int_equal(fx_drain(&sp, &evs, 5000), 2);
		assert_int_equal(evs.n, 0);
	}

	/* A bad number is told under its own option's name, whatever the order of the options table. */
	{
		char bin[512], cmd[1400], path[600], *text;
		FILE *f;

		assert_int_equal(spawn_bin_path("chatc", bin, sizeof(bin)), 0);
		snprintf(path, sizeof(path), "%s/usage.err", c->dir);
		snprintf(cmd, sizeof(cmd), "'%s' --server http://127.0.0.1:1 --mode listen --page-limit 0 2>'%s';"
		    "'%s' --server http://127.0.0.1:1 --mode listen --connect-timeout-ms 0 2>>'%s'", bin, path, bin, path);
		assert_int_equal(system(cmd), 2 << 8);
		f = fopen(path, "r");
		assert_non_null(f);
		text = calloc(1, 4096);
		assert_non_null(text);
		assert_true(fread(text, 1, 4095, f) > 0);
		fclose(f);
		assert_non_null(strstr(text, "chatc: --page-limit: '0' is out of range 1..1000\n"));
		assert_non_null(strstr(text, "chatc: --connect-timeout-ms: '0' is out of range"));
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX_TEST(test_every_push_frame_is_reported),
		FX_TEST(test_dedup_all_shows_a_ts_once),
		FX_TEST(test_catch_up_pages_through_what_was_missed),
		FX_TEST(test_catchup_none_shows_only_pushes),
		FX_TEST(test_catchup_stale_shows_again_what_it_showed),
		FX_TEST(test_heartbeat_misses_wait_for_a_slow_server),
		FX_TEST(test_option_values),
	};

	return FX_RUN(tests);
}
