/*
 * chatd_wsproto: chatd keeps the RFC 6455 rules a client can break, seen
 * through the raw WebSocket client: an unmasked client frame closes the
 * connection with 1002 and stores nothing; a data frame after the client's
 * Close is dropped, not stored; a Close with a code outside the valid
 * ranges (5000, 1005, 1006...) is answered with 1002, a valid one echoed;
 * invalid UTF-8 in a text message closes with 1007; reserved bits and
 * opcodes, fragmented or oversized control frames close with 1002. A
 * fragmented message and a ping (answered by a pong with its payload) work.
 * After each, chatd still answers a valid POST within 1 s.
 */
#include "chatd_test.h"

static struct ct_server srv;

static int setup(void **state)
{
	ct_init(&srv);
	ct_start(&srv, "--ws-mode", "ack", NULL);
	return 0;
}

static int teardown(void **state)
{
	int status = ct_stop(&srv);

	ct_cleanup(&srv);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* A valid send frame carrying text. */
static int msg(char *out, size_t outlen, long id, const char *text)
{
	return snprintf(out, outlen, "{\"type\":\"message\",\"id\":%ld,\"channel\":\"general\",\"text\":\"%s\"}",
			id, text);
}

/* Read until the server's Close (skipping pushes and acks); its code, or -1 if none came. */
static int close_code(struct rawws *ws)
{
	static char buf[65536];
	int code, r;

	while ((r = rawws_read_text(ws, buf, sizeof buf, &code, CT_TIMEOUT_MS)) == 1)
		;
	return r == 0 ? code : -1;
}

/* Nothing with this text is stored, and chatd still serves. */
static void stored_nothing(const char *text)
{
	assert_int_equal(ct_count_text(srv.port, "general", text), 0);
	ct_require_served(&srv, "still serving", 1000);
}

static void test_unmasked_frame_is_1002_and_stores_nothing(void **state)
{
	struct rawws ws;
	char m[256];

	ct_ws_open(&srv, &ws);
	msg(m, sizeof m, 1, "unmasked");
	assert_int_equal(rawws_send_frame(&ws, 0x81, 0, m, strlen(m)), 0);
	assert_int_equal(close_code(&ws), 1002);
	rawws_close(&ws);
	stored_nothing("unmasked");
}

static void test_data_after_close_is_dropped(void **state)
{
	unsigned char wire[512];
	struct rawws ws;
	char m[256];
	size_t n;

	ct_ws_open(&srv, &ws);
	/* Close(1000), then a valid message, in one write. */
	n = rawws_encode(wire, sizeof wire, 0x88, 1, "\x03\xe8", 2);
	msg(m, sizeof m, 2, "after close");
	n += rawws_encode(wire + n, sizeof wire - n, 0x81, 1, m, strlen(m));
	assert_int_equal(rawws_send_raw(&ws, wire, n), 0);
	assert_int_equal(close_code(&ws), 1000);
	rawws_close(&ws);
	stored_nothing("after close");
}

static void test_close_codes(void **state)
{
	static const struct { int sent, answered; } cases[] = {
		{ 5000, 1002 }, { 1005, 1002 }, { 1006, 1002 }, { 999, 1002 }, { 1004, 1002 },
		{ 1015, 1002 }, { 2999, 1002 }, { 65535, 1002 },
		{ 1000, 1000 }, { 1001, 1001 }, { 1008, 1008 }, { 3000, 3000 }, { 4999, 4999 },
	};
	unsigned char p[2];
	struct rawws ws;
	size_t i;
	int got;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		ct_ws_open(&srv, &ws);
		p[0] = (unsigned char)(cases[i].sent >> 8);
		p[1] = (unsigned char)cases[i].sent;
		assert_int_equal(rawws_send_frame(&ws, 0x88, 1, p, 2), 0);
		got = close_code(&ws);
		if (got != cases[i].answered)
			fail_msg("Close %d: answered %d, want %d", cases[i].sent, got, cases[i].answered);
		rawws_close(&ws);
	}
	/* A 1-byte Close payload is malformed; an empty one is answered empty. */
	ct_ws_open(&srv, &ws);
	assert_int_equal(rawws_send_frame(&ws, 0x88, 1, "\x03", 1), 0);
	assert_int_equal(close_code(&ws), 1002);
	rawws_close(&ws);
	ct_ws_open(&srv, &ws);
	assert_int_equal(rawws_send_frame(&ws, 0x88, 1, NULL, 0), 0);
	assert_int_equal(close_code(&ws), 0);
	rawws_close(&ws);
	ct_require_served(&srv, "after the closes", 1000);
}

static void test_invalid_utf8_is_1007(void **state)
{
	static const char *bad[] = {
		"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3",
	};
	struct rawws ws;
	char m[256], text[64];
	size_t i;

	for (i = 0; i < ARRAY_LEN(bad); i++) {
		snprintf(text, sizeof text, "utf8-%zu%s", i, bad[i]);
		ct_ws_open(&srv, &ws);
		msg(m, sizeof m, 3, text);
		assert_int_equal(rawws_send_text(&ws, m), 0);
		if (close_code(&ws) != 1007)
			fail_msg("bad UTF-8 case %zu was not closed with 1007", i);
		rawws_close(&ws);
		snprintf(text, sizeof text, "utf8-%zu", i);
		assert_int_equal(ct_count_text(srv.port, "general", text), 0);
	}
	/* A close reason that is not UTF-8. */
	ct_ws_open(&srv, &ws);
	assert_int_equal(rawws_send_frame(&ws, 0x88, 1, "\x03\xe8\xff", 3), 0);
	assert_int_equal(close_code(&ws), 1007);
	rawws_close(&ws);
	ct_require_served(&srv, "after bad utf-8", 1000);
}

static void test_framing_violations_are_1002(void **state)
{
	static const struct { unsigned char b0; size_t len; const char *what; } cases[] = {
		{ 0xC1, 10, "RSV1 set" }, { 0xA1, 10, "RSV2 set" }, { 0x83, 10, "reserved opcode 3" },
		{ 0x8B, 10, "reserved opcode 0xB" }, { 0x09, 4, "fragmented ping" },
		{ 0x89, 126, "ping over 125 bytes" }, { 0x80, 10, "continuation without a message" },
	};
	static char payload[200];
	struct rawws ws;
	char m[256];
	size_t i;

	memset(payload, 'p', sizeof payload);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		ct_ws_open(&srv, &ws);
		assert_int_equal(rawws_send_frame(&ws, cases[i].b0, 1, payload, cases[i].len), 0);
		if (close_code(&ws) != 1002)
			fail_msg("%s was not closed with 1002", cases[i].what);
		rawws_close(&ws);
	}
	/* A text frame inside a fragmented message. */
	ct_ws_open(&srv, &ws);
	msg(m, sizeof m, 4, "interleaved");
	assert_int_equal(rawws_send_frame(&ws, 0x01, 1, m, 10), 0);
	assert_int_equal(rawws_send_frame(&ws, 0x81, 1, m, strlen(m)), 0);
	assert_int_equal(close_code(&ws), 1002);
	rawws_close(&ws);
	stored_nothing("interleaved");
}

static void test_fragments_and_ping_work(void **state)
{
	struct rawws ws;
	char m[256], buf[256];
	size_t len, half;
	json_t *f;

	ct_ws_open(&srv, &ws);
	assert_int_equal(rawws_send(&ws, RAWWS_OP_PING, "are you there", 13), 0);
	assert_int_equal(rawws_read_frame(&ws, buf, sizeof buf, &len, CT_TIMEOUT_MS), RAWWS_OP_PONG);
	assert_int_equal(len, 13);
	assert_string_equal(buf, "are you there");

	/* One message in two fragments, with a ping between them. */
	msg(m, sizeof m, 5, "in two pieces");
	half = strlen(m) / 2;
	assert_int_equal(rawws_send_frame(&ws, 0x01, 1, m, half), 0);
	assert_int_equal(rawws_send(&ws, RAWWS_OP_PING, "", 0), 0);
	assert_int_equal(rawws_send_frame(&ws, 0x80, 1, m + half, strlen(m) - half), 0);
	assert_int_equal(rawws_read_frame(&ws, buf, sizeof buf, &len, CT_TIMEOUT_MS), RAWWS_OP_PONG);
	f = ct_ws_next(&ws);
	assert_true(json_is_true(json_object_get(f, "ok")));
	assert_int_equal(json_integer_value(json_object_get(f, "reply_to")), 5);
	json_decref(f);
	rawws_close(&ws);
	assert_int_equal(ct_count_text(srv.port, "general", "in two pieces"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unmasked_frame_is_1002_and_stores_nothing),
		cmocka_unit_test(test_data_after_close_is_dropped),
		cmocka_unit_test(test_close_codes),
		cmocka_unit_test(test_invalid_utf8_is_1007),
		cmocka_unit_test(test_framing_violations_are_1002),
		cmocka_unit_test(test_fragments_and_ping_work),
	};

	return CT_RUN(tests, setup, teardown);
}
