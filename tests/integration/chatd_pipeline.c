/*
 * chatd_pipeline: HTTP/1.1 requests sent back to back on one connection
 * (in one TCP write, or a second write right behind the first, before any
 * answer) are each answered, in order, and a new connection is served at
 * once afterwards. Before, the second of two pipelined POSTs left chatd
 * spinning at 100% CPU and serving nobody, for good.
 *
 * Also the Content-Length edge cases of a POST: 0 is an empty body
 * (400 invalid_json, the connection stays), "-0" and "abc" are 400
 * invalid_json and close the connection (what follows cannot be framed),
 * none at all is 411. Before, Content-Length 0 passed NULL to memcpy,
 * which the sanitizer build (make asan runs this too) dies on.
 */
#include "chatd_test.h"

#define PIPE_MAX 10

static struct ct_server srv;

static int setup(void **state)
{
	ct_init(&srv);
	ct_start(&srv, NULL);
	return 0;
}

static int teardown(void **state)
{
	int status = ct_stop(&srv);

	ct_cleanup(&srv);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static const char history_get[] =
	"GET /api/conversations.history?channel=general&limit=1 HTTP/1.1\r\nHost: test\r\n\r\n";

/*
 * Send n requests following pattern ('p' POST, 'g' GET, cycling), all in one
 * write or (split) the first alone and the rest right behind it; then read
 * the n answers and check each is the answer to its own request, in order.
 */
static void pipeline(const char *pattern, int n, int split)
{
	static char wire[PIPE_MAX * 512];
	struct rawhttp *h = malloc(sizeof *h);
	struct rawhttp_resp *r = malloc(sizeof *r);
	char body[128], text[PIPE_MAX][64], last_ts[64] = "";
	size_t len = 0, first = 0;
	json_t *j;
	int i, k;

	assert_non_null(h);
	assert_non_null(r);
	for (i = 0; i < n; i++) {
		if (pattern[i % strlen(pattern)] == 'p') {
			snprintf(text[i], sizeof text[i], "pipe-%s-%d-%d-%d", pattern, n, split, i);
			snprintf(body, sizeof body, "{\"channel\":\"general\",\"text\":\"%s\"}", text[i]);
			k = rawhttp_format_post(wire + len, sizeof wire - len, "/api/chat.postMessage", body);
			assert_true(k > 0);
		} else {
			text[i][0] = '\0';
			k = (int)strlen(history_get);
			memcpy(wire + len, history_get, (size_t)k);
		}
		len += (size_t)k;
		if (i == 0)
			first = len;
	}
	ct_raw_open(&srv, h);
	if (split) {
		assert_int_equal(rawhttp_send(h, wire, first), 0);
		assert_int_equal(rawhttp_send(h, wire + first, len - first), 0);
	} else {
		assert_int_equal(rawhttp_send(h, wire, len), 0);
	}
	for (i = 0; i < n; i++) {
		if (rawhttp_read(h, r, CT_TIMEOUT_MS) != 1)
			fail_msg("%s x%d%s: no answer to request %d", pattern, n, split ? " split" : "", i);
		assert_int_equal(r->status, 200);
		j = json_loads(r->body, 0, NULL);
		assert_non_null(j);
		assert_true(json_is_true(json_object_get(j, "ok")));
		if (text[i][0]) {
			/* A POST's answer: a new ts, later than the previous POST's. */
			assert_string_equal(ct_str(j, "channel"), "general");
			assert_true(strcmp(ct_str(j, "ts"), last_ts) > 0);
			snprintf(last_ts, sizeof last_ts, "%s", ct_str(j, "ts"));
		} else {
			assert_true(json_is_array(json_object_get(j, "messages")));
		}
		json_decref(j);
	}
	rawhttp_close(h);
	ct_require_served(&srv, "after the pipeline", 1000);
	for (i = 0; i < n; i++)
		if (text[i][0])
			assert_int_equal(ct_count_text(srv.port, "general", text[i]), 1);
	free(h);
	free(r);
}

static void test_pipelined_requests_answered_in_order(void **state)
{
	static const char *patterns[] = { "pp", "gp", "pg" };
	static const int counts[] = { 2, 3, 10 };
	size_t i, k;

	for (i = 0; i < ARRAY_LEN(patterns); i++)
		for (k = 0; k < ARRAY_LEN(counts); k++)
			pipeline(patterns[i], counts[k], 0);
}

static void test_request_right_behind_another_is_answered(void **state)
{
	pipeline("gp", 2, 1);
	pipeline("pp", 2, 1);
	pipeline("pg", 3, 1);
}

/* Send a POST with this Content-Length header and body; return the answer in r. */
static void post_with_length(struct rawhttp *h, struct rawhttp_resp *r, const char *cl,
			     const char *body)
{
	char wire[512];

	snprintf(wire, sizeof wire,
		 "POST /api/chat.postMessage HTTP/1.1\r\nHost: test\r\n%s%s%s\r\n%s",
		 cl ? "Content-Length: " : "", cl ? cl : "", cl ? "\r\n" : "", body);
	assert_int_equal(rawhttp_send(h, wire, strlen(wire)), 0);
	assert_int_equal(rawhttp_read(h, r, CT_TIMEOUT_MS), 1);
}

static void test_content_length_zero_and_garbage(void **state)
{
	static const char *bad[] = { "-0", "abc", "5x", "-5", " " };
	struct rawhttp *h = malloc(sizeof *h);
	struct rawhttp_resp *r = malloc(sizeof *r);
	json_t *all;
	size_t i;

	assert_non_null(h);
	assert_non_null(r);
	/* 0: an empty body, not JSON; the connection stays usable. */
	ct_raw_open(&srv, h);
	post_with_length(h, r, "0", "");
	assert_int_equal(r->status, 400);
	assert_non_null(strstr(r->body, "\"invalid_json\""));
	assert_false(r->conn_close);
	post_with_length(h, r, "0", "");
	assert_int_equal(r->status, 400);
	rawhttp_close(h);

	/* Not a number: 400 invalid_json, then the connection is closed. */
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		ct_raw_open(&srv, h);
		post_with_length(h, r, bad[i], "{\"channel\":\"general\",\"text\":\"framed badly\"}");
		if (r->status != 400 || !strstr(r->body, "\"invalid_json\"") || !r->conn_close)
			fail_msg("Content-Length '%s': got %d %s (close %d), want 400 invalid_json and close",
				 bad[i], r->status, r->body, r->conn_close);
		assert_int_equal(rawhttp_wait_closed(h, CT_TIMEOUT_MS), 1);
		rawhttp_close(h);
	}

	/* None at all: 411, and closed. */
	ct_raw_open(&srv, h);
	post_with_length(h, r, NULL, "");
	assert_int_equal(r->status, 411);
	assert_non_null(strstr(r->body, "\"length_required\""));
	assert_int_equal(rawhttp_wait_closed(h, CT_TIMEOUT_MS), 1);
	rawhttp_close(h);

	all = ct_history(srv.port, "general", 1000, NULL);
	for (i = 0; i < json_array_size(all); i++)
		assert_string_not_equal(ct_str(json_array_get(all, i), "text"), "framed badly");
	json_decref(all);
	ct_require_served(&srv, "after the lengths", 1000);
	free(h);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelined_requests_answered_in_order),
		cmocka_unit_test(test_request_right_behind_another_is_answered),
		cmocka_unit_test(test_content_length_zero_and_garbage),
	};

	return CT_RUN(tests, setup, teardown);
}
