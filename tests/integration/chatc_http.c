/*
 * chatc_http: chatc's HTTP modes against a real chatd on 127.0.0.1.
 *
 * 200 sends all end Sent, are stored once each and reach a listen client;
 * a 500 from the store is retried with the same key and stored once; a 4xx
 * fails at once without a retry; a malformed command is reported and the
 * client keeps going, and so is a send whose id is still in flight. Timers
 * are tens of milliseconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "chatc_fixture.h"
#include "chatc_fakechat.h"

static void test_200_sends(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn client, listener;
	static struct fx_events evs, levs;
	char id[16], text[64];
	int i, received = 0, rows, rc;
	int64_t t0;

	c->port = fx_chatd(&c->chatd, c->dir, 0, NULL);
	assert_true(c->port > 0);
	assert_int_equal(fx_chatc(&listener, c->port, "listen", "--heartbeat-ms", "200",
	    "--backoff-base-ms", "20", "--backoff-cap-ms", "100", NULL), 0);
	assert_non_null(fx_wait_ev(&listener, &levs, "ready", NULL, 5000));
	assert_int_equal(fx_chatc(&client, c->port, "http", "--timeout-ms", "2000",
	    "--backoff-base-ms", "10", "--backoff-cap-ms", "50", NULL), 0);
	t0 = mono_ns();
	for (i = 1; i <= 200; i++) {
		snprintf(id, sizeof(id), "m%d", i);
		snprintf(text, sizeof(text), "%s: hello (acklab-t200-%s)", id, id);
		fx_send(&client, id, "general", text);
	}
	fx_close_stdin(&client);
	rc = fx_drain(&client, &evs, 15000);
	printf("200 http sends took %.0f ms\n", ms_since(t0));
	assert_int_equal(rc, 0);
	assert_int_equal(fx_count(&evs, "sent", NULL), 200);
	assert_int_equal(fx_count(&evs, "failed", NULL), 0);
	assert_int_equal(fx_count(&evs, "sending", NULL), 200);
	rows = fx_history(c->port, "acklab-t200-", &i);
	assert_int_equal(rows, 200);
	assert_int_equal(i, 200);
	while (received < 200 && fx_wait_ev(&listener, &levs, "received", NULL, 5000))
		received++;
	assert_int_equal(received, 200);
	assert_int_equal(fx_count(&levs, "received", NULL), 200);
	fx_close_stdin(&listener);
	assert_int_equal(fx_drain(&listener, &levs, 5000), 0);
	fx_events_free(&evs);
	fx_events_free(&levs);
}

static void test_store_failure_retried_once_stored(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn client;
	static struct fx_events evs;
	json_t *sent;
	int match;

	c->port = fx_chatd(&c->chatd, c->dir, 0, "--failpoints", "persist=fail@1", NULL);
	assert_true(c->port > 0);
	assert_int_equal(fx_chatc(&client, c->port, "http", "--timeout-ms", "2000",
	    "--backoff-base-ms", "10", "--backoff-cap-ms", "50", NULL), 0);
	fx_send(&client, "m1", "general", "m1: retry me (acklab-tfail-m1)");
	fx_close_stdin(&client);
	assert_int_equal(fx_drain(&client, &evs, 5000), 0);
	sent = fx_find(&evs, "sent", "m1");
	assert_non_null(sent);
	assert_int_equal(json_integer_value(json_object_get(sent, "attempts")), 2);
	assert_int_equal(fx_count(&evs, "sending", "m1"), 2);
	/* Attempt 2 says why attempt 1 failed; attempt 1 has nothing to say. */
	for (int i = 0, k = 0; i < evs.n; i++)
		if (fx_is(evs.ev[i], "sending", "m1")) {
			const char *after = json_string_value(json_object_get(evs.ev[i], "after"));

			if (k++ == 0)
				assert_null(after);
			else
				assert_string_equal(after, "http 500 store_failed");
		}
	assert_int_equal(fx_history(c->port, "acklab-tfail-m1", &match), 1);
	assert_int_equal(match, 1);
	fx_events_free(&evs);
}

static void test_4xx_fails_without_retry(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn client;
	static struct fx_events evs;
	json_t *failed;
	const char *err;

	c->port = fx_chatd(&c->chatd, c->dir, 0, NULL);
	assert_true(c->port > 0);
	assert_int_equal(fx_chatc(&client, c->port, "http", "--timeout-ms", "2000",
	    "--backoff-base-ms", "10", "--backoff-cap-ms", "50", NULL), 0);
	fx_send(&client, "m1", "no-such-channel", "m1: nowhere (acklab-t4xx-m1)");
	fx_close_stdin(&client);
	assert_int_equal(fx_drain(&client, &evs, 5000), 0);
	failed = fx_find(&evs, "failed", "m1");
	assert_non_null(failed);
	assert_int_equal(json_integer_value(json_object_get(failed, "attempts")), 1);
	err = json_string_value(json_object_get(failed, "error"));
	assert_non_null(err);
	assert_memory_equal(err, "http 4", 6);
	assert_int_equal(fx_count(&evs, "sending", "m1"), 1);
	assert_int_equal(fx_count(&evs, "sent", NULL), 0);
	fx_events_free(&evs);
}

static void test_bad_command_keeps_going(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn client;
	static struct fx_events evs;
	const char *bad = "{\"op\":\"send\",\"channel\":\"general\",\"text\":\"x\"}\n";
	json_t *e;

	c->port = fx_chatd(&c->chatd, c->dir, 0, NULL);
	assert_true(c->port > 0);
	assert_int_equal(fx_chatc(&client, c->port, "http-nokey", "--timeout-ms", "2000", NULL), 0);
	assert_int_equal(write(client.in_fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	fx_send(&client, "m2", "general", "m2: after a bad line (acklab-tbad-m2)");
	fx_close_stdin(&client);
	assert_int_equal(fx_drain(&client, &evs, 5000), 0);
	e = fx_find(&evs, "error", NULL);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "detail")), "line 1: missing \"id\"");
	assert_non_null(fx_find(&evs, "sent", "m2"));
	assert_non_null(fx_find(&evs, "ready", NULL));
	fx_events_free(&evs);
}

/*
 * The first reply comes too late (the server stored the message, then
 * stalls before replying): the client times out and retries. With a key the
 * store holds one copy; without one it holds two or more. Both sides must show.
 */
static int lost_reply_rows(struct fx_ctx *c, const char *mode, const char *token)
{
	static struct spawn client;
	static struct fx_events evs;
	char text[80];
	json_t *sent;
	int match = -1;

	c->port = fx_chatd(&c->chatd, c->dir, 0, "--failpoints", "before_reply=delay:400@1", NULL);
	assert_true(c->port > 0);
	assert_int_equal(fx_chatc(&client, c->port, mode, "--timeout-ms", "150",
	    "--backoff-base-ms", "10", "--backoff-cap-ms", "20", NULL), 0);
	snprintf(text, sizeof(text), "m1: slow reply (%s)", token);
	fx_send(&client, "m1", "general", text);
	fx_close_stdin(&client);
	assert_int_equal(fx_drain(&client, &evs, 10000), 0);
	sent = fx_find(&evs, "sent", "m1");
	assert_non_null(sent);
	assert_true(json_integer_value(json_object_get(sent, "attempts")) >= 2);
	for (int i = 0; i < evs.n; i++)
		if (fx_is(evs.ev[i], "sending", "m1") &&
		    json_integer_value(json_object_get(evs.ev[i], "attempt")) == 2)
			assert_string_equal(json_string_value(json_object_get(evs.ev[i], "after")),
			    "timeout: no answer within 150 ms");
	assert_true(fx_history(c->port, token, &match) >= 1);
	fx_events_free(&evs);
	return match;
}

static void test_lost_reply_with_key_stored_once(void **state)
{
	assert_int_equal(lost_reply_rows(*state, "http", "acklab-tslow-key"), 1);
}

static void test_lost_reply_without_key_duplicates(void **state)
{
	/* chatd stalls its whole loop, so more than one retry may time out: each is a copy */
	assert_true(lost_reply_rows(*state, "http-nokey", "acklab-tslow-nokey") >= 2);
}

static void test_duplicate_id_refused_while_in_flight(void **state)
{
	fx_check_duplicate_id(*state, "http");
}

/*
 * libcurl resends a request by itself when the kept-alive connection it
 * reused dies before any answer. The request went out twice, so the client
 * must say so: two "sending" attempts, Sent after 2, or a server without a
 * key stores it twice while the client claims one attempt.
 */
static void test_library_resend_is_an_attempt(void **state)
{
	struct fx_ctx *c = *state;
	static const struct fake_route routes[] = {
		{ "chat.postMessage", FAKE_DROP_REUSED, "{\"ok\":true,\"channel\":\"general\",\"ts\":\"1.000001\"}" },
		{ NULL, 0, NULL },
	};
	const struct fake_script sc = { NULL, routes };
	static struct fake_chat fake;
	static struct spawn client;
	static struct fx_events evs;
	json_t *sent;

	assert_int_equal(fake_chat_start(&fake, c->dir, &sc), 0);
	assert_int_equal(fx_chatc(&client, fake.port, "http-nokey", "--timeout-ms", "2000", NULL), 0);
	fx_send(&client, "m1", "general", "m1 (acklab-tres-m1)");
	assert_non_null(fx_wait_ev(&client, &evs, "sent", "m1", 5000));
	/* m2 goes on the same kept-alive connection, which the server closes under it. */
	fx_send(&client, "m2", "general", "m2 (acklab-tres-m2)");
	fx_close_stdin(&client);
	assert_int_equal(fx_drain(&client, &evs, 5000), 0);
	assert_int_equal(fx_count(&evs, "sending", "m1"), 1);
	assert_int_equal(fx_count(&evs, "sending", "m2"), 2);
	sent = fx_find(&evs, "sent", "m2");
	assert_non_null(sent);
	assert_int_equal(json_integer_value(json_object_get(sent, "attempts")), 2);
	assert_int_equal(fake_chat_requests(&fake, "chat.postMessage"), 3);
	fake_chat_stop(&fake);
	fx_events_free(&evs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX_TEST(test_200_sends),
		FX_TEST(test_store_failure_retried_once_stored),
		FX_TEST(test_4xx_fails_without_retry),
		FX_TEST(test_bad_command_keeps_going),
		FX_TEST(test_lost_reply_with_key_stored_once),
		FX_TEST(test_lost_reply_without_key_duplicates),
		FX_TEST(test_duplicate_id_refused_while_in_flight),
		FX_TEST(test_library_resend_is_an_attempt),
	};

	return FX_RUN(tests);
}
