/*
 * chatd_wsframe: the RFC 6455 codec byte by byte: a masked frame gives its
 * message whether it arrives whole or one byte at a time; each rule a
 * client can break gives its close code; close codes and UTF-8 are judged
 * by the tables of the RFC; server headers use the shortest length form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../fixtures/chatd/wsframe.h"

/* A client frame: first byte b0, masked with a fixed key unless unmasked. */
static size_t frame(unsigned char *out, unsigned char b0, int masked, const char *p, size_t len)
{
	static const unsigned char key[4] = { 0x11, 0x22, 0x33, 0x44 };
	size_t h = 0, i;

	out[h++] = b0;
	if (len < 126) {
		out[h++] = (unsigned char)((masked ? 0x80 : 0) | len);
	} else {
		out[h++] = (unsigned char)((masked ? 0x80 : 0) | 126);
		out[h++] = (unsigned char)(len >> 8);
		out[h++] = (unsigned char)len;
	}
	if (masked) {
		memcpy(out + h, key, 4);
		h += 4;
	}
	for (i = 0; i < len; i++)
		out[h + i] = (unsigned char)p[i] ^ (masked ? key[i % 4] : 0);
	return h + len;
}

/* Feed all of data, one byte at a time if bytewise; the first event that is not NONE. */
static enum wsframe_event feed(struct wsframe_rx *rx, const unsigned char *data, size_t len, int bytewise)
{
	enum wsframe_event ev = WSFRAME_NONE;
	size_t off = 0, used, n;

	while (off < len && ev == WSFRAME_NONE) {
		n = bytewise ? 1 : len - off;
		ev = wsframe_rx_feed(rx, data + off, n, &used);
		off += used;
	}
	return ev;
}

static void test_text_whole_and_bytewise(void **state)
{
	static const char text[] = "{\"type\":\"message\"} and some more text to pass 125 bytes ......"
				   "......................................................................";
	unsigned char wire[512];
	struct wsframe_rx rx;
	size_t n = frame(wire, 0x81, 1, text, strlen(text));
	int bytewise;

	for (bytewise = 0; bytewise < 2; bytewise++) {
		wsframe_rx_init(&rx, 16384);
		assert_int_equal(feed(&rx, wire, n, bytewise), WSFRAME_TEXT);
		assert_int_equal(rx.msg_len, strlen(text));
		assert_string_equal(rx.msg, text);
		wsframe_rx_free(&rx);
	}
}

static void test_violations(void **state)
{
	static const struct { unsigned char b0; int masked; size_t len; int code; } cases[] = {
		{ 0x81, 0, 5, 1002 },   /* unmasked */
		{ 0xC1, 1, 5, 1002 },   /* RSV1 */
		{ 0x83, 1, 5, 1002 },   /* reserved opcode */
		{ 0x09, 1, 5, 1002 },   /* fragmented ping */
		{ 0x89, 1, 126, 1002 }, /* long ping */
		{ 0x80, 1, 5, 1002 },   /* continuation of nothing */
		{ 0x82, 1, 5, 1003 },   /* binary */
		{ 0x81, 1, 200, 1009 }, /* over the limit of 100 */
	};
	static char payload[300];
	unsigned char wire[400];
	struct wsframe_rx rx;
	size_t i, n, used;

	memset(payload, 'a', sizeof payload);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		wsframe_rx_init(&rx, 100);
		n = frame(wire, cases[i].b0, cases[i].masked, payload, cases[i].len);
		assert_int_equal(feed(&rx, wire, n, 0), WSFRAME_ERROR);
		assert_int_equal(rx.close_code, cases[i].code);
		/* Nothing more is parsed after it. */
		n = frame(wire, 0x81, 1, "x", 1);
		assert_int_equal(wsframe_rx_feed(&rx, wire, n, &used), WSFRAME_NONE);
		assert_int_equal(used, n);
		wsframe_rx_free(&rx);
	}
}

static void test_close_then_data(void **state)
{
	unsigned char wire[64];
	struct wsframe_rx rx;
	size_t n;

	wsframe_rx_init(&rx, 100);
	n = frame(wire, 0x88, 1, "\x0f\xa0", 2); /* 4000 */
	n += frame(wire + n, 0x81, 1, "{}", 2);
	assert_int_equal(feed(&rx, wire, n, 0), WSFRAME_CLOSE);
	assert_int_equal(rx.close_code, 4000);
	assert_int_equal(feed(&rx, wire, n, 0), WSFRAME_NONE);
	wsframe_rx_free(&rx);
	wsframe_rx_init(&rx, 100);
	n = frame(wire, 0x88, 1, "\x13\x88", 2); /* 5000 */
	assert_int_equal(feed(&rx, wire, n, 1), WSFRAME_ERROR);
	assert_int_equal(rx.close_code, 1002);
	wsframe_rx_free(&rx);
}

static void test_close_codes_and_utf8(void **state)
{
	assert_true(wsframe_close_code_valid(1000));
	assert_true(wsframe_close_code_valid(1011));
	assert_true(wsframe_close_code_valid(3000));
	assert_true(wsframe_close_code_valid(4999));
	assert_false(wsframe_close_code_valid(999));
	assert_false(wsframe_close_code_valid(1004));
	assert_false(wsframe_close_code_valid(1005));
	assert_false(wsframe_close_code_valid(1006));
	assert_false(wsframe_close_code_valid(1015));
	assert_false(wsframe_close_code_valid(2999));
	assert_false(wsframe_close_code_valid(5000));

	assert_true(wsframe_utf8_valid((const unsigned char *)"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12));
	assert_true(wsframe_utf8_valid((const unsigned char *)"\xf4\x8f\xbf\xbf", 4));
	assert_false(wsframe_utf8_valid((const unsigned char *)"\xc0\xaf", 2));         /* overlong */
	assert_false(wsframe_utf8_valid((const unsigned char *)"\xe0\x9f\xbf", 3));     /* overlong */
	assert_false(wsframe_utf8_valid((const unsigned char *)"\xed\xa0\x80", 3));     /* surrogate */
	assert_false(wsframe_utf8_valid((const unsigned char *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(wsframe_utf8_valid((const unsigned char *)"\xe2\x82", 2));         /* cut short */
	assert_false(wsframe_utf8_valid((const unsigned char *)"\xff", 1));
}

static void test_server_headers(void **state)
{
	unsigned char h[WSFRAME_HEADER_MAX];

	assert_int_equal(wsframe_header(h, WSFRAME_OP_TEXT, 125), 2);
	assert_int_equal(h[0], 0x81);
	assert_int_equal(h[1], 125);
	assert_int_equal(wsframe_header(h, WSFRAME_OP_TEXT, 126), 4);
	assert_int_equal(h[1], 126);
	assert_int_equal(h[2] << 8 | h[3], 126);
	assert_int_equal(wsframe_header(h, WSFRAME_OP_CLOSE, 70000), 10);
	assert_int_equal(h[0], 0x88);
	assert_int_equal(h[1], 127);
	assert_int_equal(h[7] << 16 | h[8] << 8 | h[9], 70000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_whole_and_bytewise),
		cmocka_unit_test(test_violations),
		cmocka_unit_test(test_close_then_data),
		cmocka_unit_test(test_close_codes_and_utf8),
		cmocka_unit_test(test_server_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
