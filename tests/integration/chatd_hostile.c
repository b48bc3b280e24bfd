/*
 * chatd_hostile: a fixed set of hostile HTTP and WebSocket inputs replayed
 * against one chatd over loopback. After each, chatd must answer a valid
 * POST on a new connection within 1 s, and the store must hold nothing but
 * the valid messages the test itself sent (read back through
 * conversations.history: every hostile payload carries "bad" in its text,
 * every valid one starts with "ok-").
 *
 * Everything is bounded: each case sends a fixed number of bytes or frames,
 * waits with deadlines, and the slow sender stops after SLOW_MS. The inputs
 * are data, not random, so a failure replays exactly. Runs under make asan
 * too, where the sanitizers watch chatd while it is fed this.
 */
#include "chatd_test.h"

#define SLOW_MS        1500
#define FLOOD_FRAMES   3000
#define IDLE_CONNS     50

static struct ct_server srv;
static int valid_sent;

static int setup(void **state)
{
	ct_init(&srv);
	ct_start(&srv, "--ws-mode", "ack", "--ws-queue-bytes", "262144", NULL);
	return 0;
}

static int teardown(void **state)
{
	int status = ct_stop(&srv);

	ct_cleanup(&srv);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Send bytes on a new raw HTTP connection, then read (and drop) answers until it closes or 1 s passes. */
static void http_bytes(const void *data, size_t len)
{
	struct rawhttp *h = malloc(sizeof *h);

	assert_non_null(h);
	ct_raw_open(&srv, h);
	rawhttp_send(h, data, len); /* chatd may close early: that is allowed */
	rawhttp_wait_closed(h, 1000);
	rawhttp_close(h);
	free(h);
}

static void http_string(const char *s)
{
	http_bytes(s, strlen(s));
}

/* The checks after every case. */
static void still_sound(const char *what)
{
	char text[64];
	json_t *all, *m;
	size_t i;

	snprintf(text, sizeof text, "ok-%d", valid_sent++);
	ct_require_served(&srv, text, 1000);
	all = ct_history(srv.port, "general", 1000, NULL);
	json_array_foreach(all, i, m)
		if (strncmp(ct_str(m, "text"), "ok-", 3) != 0)
			fail_msg("after %s the store holds '%.60s'", what, ct_str(m, "text"));
	assert_int_equal(json_array_size(all), (size_t)valid_sent);
	json_decref(all);
}

static void test_http_malformed_heads(void **state)
{
	static const char *cases[] = {
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 bad tls hello\r\n\r\n",
		"GET\r\n\r\n",
		"GET / HTTP/9.9\r\n\r\n",
		"POST /api/chat.postMessage HTTP/1.1\r\n Content-Length: 5\r\n\r\nbad!!",
		"POST /api/chat.postMessage HTTP/1.1\r\nContent-Length: 44\r\nContent-Length: 45\r\n\r\n"
		"{\"channel\":\"general\",\"text\":\"bad dup cl\"}",
		"POST /api/chat.postMessage HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 44\r\n\r\n"
		"2c\r\n{\"channel\":\"general\",\"text\":\"bad smuggle\"}\r\n0\r\n\r\n",
		"POST /api/chat.postMessage HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\nbad",
		"POST /api/chat.postMessage HTTP/1.1\r\nContent-Length: 2000000\r\n\r\nbad",
		"POST /api/chat.postMessage HTTP/1.1\r\nContent-Length: 10\r\n\r\n"
		"{\"channel\":\"general\",\"text\":\"bad tail\"}",
		"GET /api/conversations.history?channel=%zz%00%ff&limit=-1&cursor=x HTTP/1.1\r\n\r\n",
		"POST /api/chat.postMessage?channel=general HTTP/1.0\r\nContent-Length: 29\r\n\r\n"
		"{\"channel\":\"general\",\"text\":",
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		http_string(cases[i]);
		still_sound(cases[i]);
	}
}

static void test_http_header_floods(void **state)
{
	static char big[64 * 1024];
	size_t n = 0;
	int i;

	/* Too many headers. */
	n = (size_t)snprintf(big, sizeof big, "GET /api/conversations.history?channel=general HTTP/1.1\r\n");
	for (i = 0; i < 200; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "X-Bad-%d: bad\r\n", i);
	n += (size_t)snprintf(big + n, sizeof big - n, "\r\n");
	http_bytes(big, n);
	still_sound("200 headers");
	/* One header line of 60 KiB, and a head that never ends. */
	n = (size_t)snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX-Bad: ");
	memset(big + n, 'b', sizeof big - n - 4);
	memcpy(big + sizeof big - 4, "\r\n\r\n", 4);
	http_bytes(big, sizeof big);
	still_sound("a 60 KiB header");
	http_bytes(big, sizeof big - 4);
	still_sound("a head that never ends");
	/* A 20 KiB path. */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'p', 20000);
	memcpy(big + 20005, " HTTP/1.1\r\n\r\n", 13);
	http_bytes(big, 20018);
	still_sound("a 20 KiB path");
}

static void test_http_pipeline_floods(void **state)
{
	static char wire[200 * 160];
	size_t n = 0;
	int i;

	/* 100 invalid sends in one write, then 100 requests with a Connection: close in the middle. */
	for (i = 0; i < 100; i++)
		n += (size_t)rawhttp_format_post(wire + n, sizeof wire - n, "/api/chat.postMessage",
						 i % 2 ? "{\"channel\":\"nope\",\"text\":\"bad\"}" : "[\"bad\"]");
	http_bytes(wire, n);
	still_sound("100 pipelined bad sends");
	for (n = 0, i = 0; i < 100; i++)
		n += (size_t)snprintf(wire + n, sizeof wire - n,
				      "GET /api/conversations.history?channel=general&limit=1 HTTP/1.1\r\n%s\r\n",
				      i == 50 ? "Connection: close\r\n" : "");
	http_bytes(wire, n);
	still_sound("100 pipelined GETs with a close");
}

static void test_slow_and_idle_clients(void **state)
{
	static const char head[] = "POST /api/chat.postMessage HTTP/1.1\r\nContent-Length: 40\r\n\r\n"
				   "{\"channel\":\"general\",\"text\":\"bad slow\"}";
	static struct rawhttp idle[IDLE_CONNS];
	struct rawhttp *h = malloc(sizeof *h);
	struct rawhttp_resp *r = malloc(sizeof *r);
	int64_t start = mono_ns();
	size_t i = 0;
	int k;

	assert_non_null(h);
	assert_non_null(r);
	for (k = 0; k < IDLE_CONNS; k++)
		ct_raw_open(&srv, &idle[k]);
	/* A byte at a time, paced by waiting 50 ms for an answer that must not come yet. */
	ct_raw_open(&srv, h);
	while (ms_since(start) < SLOW_MS && i < 30) {
		assert_int_equal(rawhttp_send(h, head + i++, 1), 0);
		assert_int_equal(rawhttp_read(h, r, 50), -1);
		if (i % 10 == 0)
			still_sound("a slow sender, meanwhile");
	}
	rawhttp_close(h);
	for (k = 0; k < IDLE_CONNS; k++)
		rawhttp_close(&idle[k]);
	still_sound("slow and idle clients");
	free(h);
	free(r);
}

/* A WebSocket that sends bytes (after the handshake) and reads until it ends or 2 s pass. */
static void ws_bytes(const void *data, size_t len)
{
	static char buf[65536];
	struct rawws ws;
	int code, r;

	ct_ws_open(&srv, &ws);
	rawws_send_raw(&ws, data, len);
	while ((r = rawws_read_text(&ws, buf, sizeof buf, &code, 2000)) == 1)
		;
	rawws_close(&ws);
}

static void ws_frame(unsigned char b0, int masked, const void *p, size_t len)
{
	static unsigned char wire[70000];
	size_t n = rawws_encode(wire, sizeof wire, b0, masked, p, len);

	assert_true(n > 0);
	ws_bytes(wire, n);
}

static void test_ws_bad_frames(void **state)
{
	static const unsigned char huge[] = { 0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					      1, 2, 3, 4, 'b', 'a', 'd' };
	static const unsigned char top_bit[] = { 0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4 };
	static const char bad[] = "{\"type\":\"message\",\"id\":1,\"channel\":\"general\",\"text\":\"bad\"}";
	static unsigned char junk[4096], big[20000];
	uint32_t x = 2463534242u;
	size_t i;

	ws_frame(0x81, 0, bad, strlen(bad));
	ws_frame(0xF1, 1, bad, strlen(bad));
	ws_frame(0x82, 1, bad, strlen(bad));
	ws_frame(0x8F, 1, bad, strlen(bad));
	ws_bytes(huge, sizeof huge);
	ws_bytes(top_bit, sizeof top_bit);
	still_sound("bad frames");
	for (i = 0; i < sizeof junk; i++) { /* xorshift32: fixed junk */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		junk[i] = (unsigned char)x;
	}
	ws_bytes(junk, sizeof junk);
	memset(big, 'b', sizeof big);
	ws_frame(0x81, 1, big, sizeof big);
	still_sound("junk and an oversized frame");
}

static void test_ws_floods(void **state)
{
	static const char bad[] = "{\"type\":\"message\",\"id\":7,\"channel\":\"nope\",\"text\":\"bad\"}";
	static unsigned char wire[FLOOD_FRAMES * 80];
	size_t n = 0, k;
	int i;

	/* Frames whose acks pile up unread; pings likewise; then fragments past 16 KiB. */
	for (i = 0; i < FLOOD_FRAMES; i++)
		n += rawws_encode(wire + n, sizeof wire - n, 0x81, 1, bad, strlen(bad));
	ws_bytes(wire, n);
	still_sound("a flood of frames");
	for (n = 0, i = 0; i < FLOOD_FRAMES; i++)
		n += rawws_encode(wire + n, sizeof wire - n, 0x89, 1, "bad ping", 8);
	ws_bytes(wire, n);
	still_sound("a flood of pings");
	n = rawws_encode(wire, sizeof wire, 0x01, 1, "{\"type\":\"message\",\"text\":\"bad", 29);
	for (i = 0; i < 400; i++) {
		k = rawws_encode(wire + n, sizeof wire - n, 0x00, 1, "bad bad bad bad bad bad bad bad bad bad", 40);
		assert_true(k > 0);
		n += k;
	}
	ws_bytes(wire, n);
	still_sound("endless fragments");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_malformed_heads),
		cmocka_unit_test(test_http_header_floods),
		cmocka_unit_test(test_http_pipeline_floods),
		cmocka_unit_test(test_slow_and_idle_clients),
		cmocka_unit_test(test_ws_bad_frames),
		cmocka_unit_test(test_ws_floods),
	};

	return CT_RUN(tests, setup, teardown);
}
