/*
 * chatd_ws: chatd's WebSocket side through a raw client: ack mode acks with
 * the ts and then pushes, without dedup; ack-key dedups a resend; bad frames
 * get an error reply and keep the connection; an oversized frame gets a
 * close 1009 and stores nothing; naive mode pushes before persisting, so a
 * failed persist leaves a message that was shown but never stored.
 * Fanout is by channel: a subscriber gets only its channels' messages
 * (/ws?channel=, subscribe frames), and frames sent back to back are acked
 * in order even though their acks wait for a group commit.
 * Each test runs its own chatd (the mode is a startup option).
 */
#include "chatd_test.h"

static struct ct_server srv;

static void ws_send(struct rawws *ws, long id, const char *text, const char *cmid)
{
	char buf[1024];

	if (cmid)
		snprintf(buf, sizeof buf, "{\"type\":\"message\",\"id\":%ld,\"channel\":\"general\","
			 "\"text\":\"%s\",\"client_msg_id\":\"%s\"}", id, text, cmid);
	else
		snprintf(buf, sizeof buf, "{\"type\":\"message\",\"id\":%ld,\"channel\":\"general\","
			 "\"text\":\"%s\"}", id, text);
	assert_int_equal(rawws_send_text(ws, buf), 0);
}

/* The next frame must be an ack for id; returns its ts in ts. */
static void expect_ack(struct rawws *ws, long id, char *ts, size_t tslen)
{
	json_t *f = ct_ws_next(ws);

	assert_true(json_is_true(json_object_get(f, "ok")));
	assert_int_equal(json_integer_value(json_object_get(f, "reply_to")), id);
	assert_true(strlen(ct_str(f, "ts")) > 0);
	snprintf(ts, tslen, "%s", ct_str(f, "ts"));
	json_decref(f);
}

static void expect_push(struct rawws *ws, const char *text, const char *ts)
{
	json_t *f = ct_ws_next(ws);

	assert_string_equal(ct_str(f, "type"), "message");
	assert_string_equal(ct_str(f, "text"), text);
	if (ts)
		assert_string_equal(ct_str(f, "ts"), ts);
	json_decref(f);
}

static void test_ack_mode_acks_then_pushes_without_dedup(void **state)
{
	struct rawws ws, other;
	char ts1[64], ts2[64];
	json_t *f;

	ct_start(&srv, "--ws-mode", "ack", NULL);
	ct_ws_open(&srv, &ws);
	ct_ws_open(&srv, &other);
	ws_send(&ws, 1, "ws hello", "same-key");
	expect_ack(&ws, 1, ts1, sizeof ts1);
	expect_push(&ws, "ws hello", ts1);
	expect_push(&other, "ws hello", ts1);
	/* ack mode ignores the key: a resend is a second message. */
	ws_send(&ws, 2, "ws hello", "same-key");
	expect_ack(&ws, 2, ts2, sizeof ts2);
	assert_true(strcmp(ts1, ts2) < 0);
	expect_push(&ws, "ws hello", ts2);
	assert_int_equal(ct_count_text(srv.port, "general", "ws hello"), 2);

	/* Bad frames: an error reply, the connection stays. */
	assert_int_equal(rawws_send_text(&ws, "{not json"), 0);
	f = ct_ws_next(&ws);
	assert_true(json_is_false(json_object_get(f, "ok")));
	assert_true(json_is_null(json_object_get(f, "reply_to")));
	assert_string_equal(ct_str(f, "error"), "invalid_json");
	json_decref(f);
	assert_int_equal(rawws_send_text(&ws, "{\"type\":\"message\",\"id\":9,\"channel\":\"nope\",\"text\":\"x\"}"), 0);
	f = ct_ws_next(&ws);
	assert_int_equal(json_integer_value(json_object_get(f, "reply_to")), 9);
	assert_string_equal(ct_str(f, "error"), "channel_not_found");
	json_decref(f);
	ws_send(&ws, 3, "still here", NULL);
	expect_ack(&ws, 3, ts2, sizeof ts2);
	rawws_close(&ws);
	rawws_close(&other);
	ct_stop_clean(&srv);
}

static void test_ack_key_resend_is_one_message(void **state)
{
	struct rawws ws;
	char ts1[64], ts2[64], ts3[64];

	ct_start(&srv, "--ws-mode", "ack-key", NULL);
	ct_ws_open(&srv, &ws);
	ws_send(&ws, 1, "keyed", "k-77");
	expect_ack(&ws, 1, ts1, sizeof ts1);
	expect_push(&ws, "keyed", ts1);
	ws_send(&ws, 2, "keyed", "k-77");
	expect_ack(&ws, 2, ts2, sizeof ts2);
	assert_string_equal(ts1, ts2);
	/* No second push: the next frame after the ack of 3 is 3's push. */
	ws_send(&ws, 3, "marker", NULL);
	expect_ack(&ws, 3, ts3, sizeof ts3);
	expect_push(&ws, "marker", ts3);
	assert_int_equal(ct_count_text(srv.port, "general", "keyed"), 1);
	rawws_close(&ws);
	ct_stop_clean(&srv);
}

static void test_oversized_frame_is_closed_1009(void **state)
{
	static char big[20000], buf[256];
	struct rawws ws;
	char ts[64];
	int code = 0;

	ct_start(&srv, NULL);
	ct_ws_open(&srv, &ws);
	memset(big, 'x', sizeof big - 1);
	memcpy(big, "{\"type\":\"message\",\"id\":1,\"channel\":\"general\",\"text\":\"", 53);
	strcpy(big + sizeof big - 3, "\"}");
	assert_int_equal(rawws_send_text(&ws, big), 0);
	assert_int_equal(rawws_read_text(&ws, buf, sizeof buf, &code, CT_TIMEOUT_MS), 0);
	assert_int_equal(code, 1009);
	rawws_close(&ws);
	json_t *all = ct_history(srv.port, "general", 100, NULL);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
	/* Still serving, on both transports. */
	ct_ws_open(&srv, &ws);
	ws_send(&ws, 2, "after big", NULL);
	expect_ack(&ws, 2, ts, sizeof ts);
	rawws_close(&ws);
	assert_int_equal(ct_send(srv.port, "general", "http after big", NULL, ts, sizeof ts), 200);
	ct_stop_clean(&srv);
}

static void test_naive_pushes_then_loses_on_persist_failure(void **state)
{
	struct rawws ws;
	json_t *all;

	ct_start(&srv, "--ws-mode", "naive", "--failpoints", "persist=fail@1", NULL);
	ct_ws_open(&srv, &ws);
	ws_send(&ws, 1, "naive-1", NULL);
	ws_send(&ws, 2, "naive-2", NULL);
	/* Both pushed, and no ack frame in between or before. */
	expect_push(&ws, "naive-1", NULL);
	expect_push(&ws, "naive-2", NULL);
	all = ct_history(srv.port, "general", 100, NULL);
	assert_int_equal(json_array_size(all), 1);
	assert_string_equal(ct_str(json_array_get(all, 0), "text"), "naive-2");
	json_decref(all);
	rawws_close(&ws);
	ct_stop_clean(&srv);
}

/*
 * The next frame must be a push of text, then nothing but the pong to a
 * ping sent now (chatd answers pings in order with the other frames, so a
 * stray push would come before it). text NULL: only the pong.
 */
static void expect_only(struct rawws *ws, const char *text)
{
	char buf[4096];
	size_t len;

	if (text)
		expect_push(ws, text, NULL);
	assert_int_equal(rawws_send(ws, RAWWS_OP_PING, "p", 1), 0);
	assert_int_equal(rawws_read_frame(ws, buf, sizeof buf, &len, CT_TIMEOUT_MS), RAWWS_OP_PONG);
}

static void test_fanout_is_channel_scoped(void **state)
{
	struct rawws gen, ran, both, later, bad;
	char ts[64], err[256];
	json_t *f;

	ct_start(&srv, "--channels", "general,random,ops", NULL);
	ct_ws_open(&srv, &gen);                                   /* default: general */
	ct_ws_open_path(&srv, &ran, "/ws?channel=random");
	ct_ws_open_path(&srv, &both, "/ws?channel=general,random");
	ct_ws_open_path(&srv, &later, "/ws?channel=ops");
	assert_int_equal(rawws_send_text(&later, "{\"type\":\"subscribe\",\"id\":1,\"channels\":[\"random\"]}"), 0);
	f = ct_ws_next(&later);
	assert_true(json_is_true(json_object_get(f, "ok")));
	assert_int_equal(json_integer_value(json_object_get(f, "reply_to")), 1);
	json_decref(f);

	assert_int_equal(ct_send(srv.port, "general", "to-general", NULL, ts, sizeof ts), 200);
	assert_int_equal(ct_send(srv.port, "random", "to-random", NULL, ts, sizeof ts), 200);
	expect_only(&gen, "to-general");
	expect_only(&gen, NULL);
	expect_only(&ran, "to-random");
	expect_push(&both, "to-general", NULL);
	expect_only(&both, "to-random");
	expect_only(&later, "to-random");

	/* A channel the server does not have: the handshake is refused with 404. */
	assert_int_equal(rawws_connect(&bad, "127.0.0.1", srv.port, "/ws?channel=nope", NULL,
				       CT_TIMEOUT_MS, err, sizeof err), -1);
	assert_non_null(strstr(err, "404"));
	rawws_close(&gen);
	rawws_close(&ran);
	rawws_close(&both);
	rawws_close(&later);
	ct_stop_clean(&srv);
}

/* Frames sent back to back share a commit; their acks come in order, each before its push. */
static void test_pipelined_frames_acked_in_order(void **state)
{
	struct rawws ws;
	char buf[8192], text[32];
	json_t *f;
	long id;
	int acked = 0, pushed = 0;

	ct_start(&srv, "--ws-mode", "ack-key", NULL);
	ct_ws_open(&srv, &ws);
	for (id = 1; id <= 20; id++) {
		snprintf(text, sizeof text, "pipe-%ld", id);
		ws_send(&ws, id, text, text);
	}
	while (acked < 20 || pushed < 20) {
		assert_int_equal(rawws_read_text(&ws, buf, sizeof buf, NULL, CT_TIMEOUT_MS), 1);
		f = json_loads(buf, 0, NULL);
		assert_non_null(f);
		if (json_object_get(f, "reply_to")) {
			assert_true(json_is_true(json_object_get(f, "ok")));
			assert_int_equal(json_integer_value(json_object_get(f, "reply_to")), ++acked);
		} else {
			snprintf(text, sizeof text, "pipe-%d", ++pushed);
			assert_string_equal(ct_str(f, "text"), text);
			assert_true(pushed <= acked); /* never pushed before it was acked */
		}
		json_decref(f);
	}
	rawws_close(&ws);
	assert_int_equal(ct_count_text(srv.port, "general", "pipe-20"), 1);
	ct_stop_clean(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CT_TEST(test_fanout_is_channel_scoped, &srv),
		CT_TEST(test_pipelined_frames_acked_in_order, &srv),
		CT_TEST(test_ack_mode_acks_then_pushes_without_dedup, &srv),
		CT_TEST(test_ack_key_resend_is_one_message, &srv),
		CT_TEST(test_oversized_frame_is_closed_1009, &srv),
		CT_TEST(test_naive_pushes_then_loses_on_persist_failure, &srv),
	};

	return CT_RUN(tests, NULL, NULL);
}
