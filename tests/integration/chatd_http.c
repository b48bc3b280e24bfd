/*
 * chatd_http: chatd's HTTP API observed from outside on 127.0.0.1: bad
 * requests are refused with the documented code and store nothing, history
 * pages through everything exactly once, a resend with the same
 * client_msg_id is deduplicated (same ts, one row, one push to a WebSocket
 * subscriber), one keep-alive connection carries many POSTs, and a chunked
 * POST (which chatd cannot read) is refused with 411 and stores nothing.
 */
#include "chatd_test.h"

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
	/* SIGTERM is a clean shutdown: exit 0. */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

struct bad_case {
	const char *path;
	const char *body; /* NULL: GET */
	long status;
	const char *error;
};

static void test_bad_requests_store_nothing(void **state)
{
	static char long_text[4200], long_cmid[200], big[20000];
	char b_text[4400], b_cmid[400];
	const struct bad_case cases[] = {
		{ "/api/chat.postMessage", "{\"channel\":", 400, "invalid_json" },
		{ "/api/chat.postMessage", "[1,2]", 400, "invalid_json" },
		{ "/api/chat.postMessage", "{\"text\":\"x\"}", 400, "invalid_arguments" },
		{ "/api/chat.postMessage", "{\"channel\":\"general\",\"text\":\"\"}", 400, "invalid_arguments" },
		{ "/api/chat.postMessage", "{\"channel\":\"general\",\"text\":7}", 400, "invalid_arguments" },
		{ "/api/chat.postMessage", "{\"channel\":\"\",\"text\":\"x\"}", 400, "invalid_arguments" },
		{ "/api/chat.postMessage", b_text, 400, "msg_too_long" },
		{ "/api/chat.postMessage", b_cmid, 400, "invalid_client_msg_id" },
		{ "/api/chat.postMessage", "{\"channel\":\"nope\",\"text\":\"x\"}", 404, "channel_not_found" },
		{ "/api/chat.postMessage", big, 413, "request_too_large" },
		{ "/api/chat.postMessage", NULL, 405, "method_not_allowed" },
		{ "/api/conversations.history", "{}", 405, "method_not_allowed" },
		{ "/api/nope", NULL, 404, "unknown_method" },
		{ "/api/nope", "{\"channel\":\"general\",\"text\":\"x\"}", 404, "unknown_method" },
		{ "/api/conversations.history?channel=nope", NULL, 404, "channel_not_found" },
		{ "/api/conversations.history?channel=general&limit=0", NULL, 400, "invalid_limit" },
		/* "\u0000" is valid JSON: the field holding it is refused, not the body. */
		{ "/api/chat.postMessage", "{\"channel\":\"general\",\"text\":\"a\\u0000b\"}", 400, "invalid_arguments" },
		{ "/api/chat.postMessage", "{\"channel\":\"general\\u0000x\",\"text\":\"x\"}", 400, "invalid_arguments" },
		{ "/api/chat.postMessage", "{\"channel\":\"general\",\"text\":\"x\",\"user\":\"U\\u0000\"}", 400, "invalid_arguments" },
		{ "/api/chat.postMessage", "{\"channel\":\"general\",\"text\":\"x\",\"client_msg_id\":\"k\\u0000\"}", 400, "invalid_client_msg_id" },
	};
	json_t *resp;
	char ts[64];
	size_t i;
	long st;

	memset(long_text, 'a', 4001);
	memset(long_cmid, 'k', 65);
	snprintf(b_text, sizeof b_text, "{\"channel\":\"general\",\"text\":\"%s\"}", long_text);
	snprintf(b_cmid, sizeof b_cmid, "{\"channel\":\"general\",\"text\":\"x\",\"client_msg_id\":\"%s\"}",
		 long_cmid);
	memset(big, ' ', sizeof big - 1);
	memcpy(big, "{\"channel\":\"general\",\"text\":\"x\"}", 32);

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		st = ct_http(NULL, srv.port, cases[i].path, cases[i].body,
			     cases[i].body ? strlen(cases[i].body) : 0, &resp);
		if (st != cases[i].status || strcmp(ct_str(resp, "error"), cases[i].error) != 0 ||
		    !json_is_false(json_object_get(resp, "ok")))
			fail_msg("case %zu (%s): got %ld %s, want %ld %s", i, cases[i].path, st,
				 ct_str(resp, "error"), cases[i].status, cases[i].error);
		json_decref(resp);
	}
	/* Nothing stored, and the server still serves. */
	json_t *all = ct_history(srv.port, "general", 100, NULL);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
	assert_int_equal(ct_send(srv.port, "general", "after the bad ones", NULL, ts, sizeof ts), 200);
	assert_int_equal(ct_count_text(srv.port, "general", "after the bad ones"), 1);
}

static void test_history_pages_every_message_once(void **state)
{
	char text[64], ts[50][64];
	json_t *all, *m;
	int i, pages;

	for (i = 0; i < 50; i++) {
		snprintf(text, sizeof text, "page-%02d", i);
		assert_int_equal(ct_send(srv.port, "random", text, NULL, ts[i], sizeof ts[i]), 200);
		if (i)
			assert_true(strcmp(ts[i - 1], ts[i]) < 0);
	}
	all = ct_history(srv.port, "random", 7, &pages);
	assert_int_equal(json_array_size(all), 50);
	assert_int_equal(pages, 8);
	for (i = 0; i < 50; i++) {
		m = json_array_get(all, (size_t)i);
		snprintf(text, sizeof text, "page-%02d", i);
		assert_string_equal(ct_str(m, "text"), text);
		assert_string_equal(ct_str(m, "ts"), ts[i]);
		assert_string_equal(ct_str(m, "type"), "message");
		assert_string_equal(ct_str(m, "channel"), "random");
	}
	json_decref(all);
}

static void test_resend_same_key_is_one_message(void **state)
{
	struct rawws ws;
	char ts1[64], ts2[64], ts3[64];
	json_t *f;

	ct_ws_open_path(&srv, &ws, "/ws?channel=general,random");
	assert_int_equal(ct_send(srv.port, "general", "dedup me", "key-1", ts1, sizeof ts1), 200);
	assert_int_equal(ct_send(srv.port, "general", "dedup me", "key-1", ts2, sizeof ts2), 200);
	assert_string_equal(ts1, ts2);
	assert_int_equal(ct_count_text(srv.port, "general", "dedup me"), 1);
	/* Same key in another channel is another message. */
	assert_int_equal(ct_send(srv.port, "random", "dedup me", "key-1", ts3, sizeof ts3), 200);
	assert_string_not_equal(ts1, ts3);

	/* The subscriber saw the message once, then the next one: no second push. */
	f = ct_ws_next(&ws);
	assert_string_equal(ct_str(f, "type"), "message");
	assert_string_equal(ct_str(f, "ts"), ts1);
	assert_string_equal(ct_str(f, "text"), "dedup me");
	assert_string_equal(ct_str(f, "client_msg_id"), "key-1");
	json_decref(f);
	f = ct_ws_next(&ws);
	assert_string_equal(ct_str(f, "ts"), ts3);
	assert_string_equal(ct_str(f, "channel"), "random");
	json_decref(f);
	rawws_close(&ws);
}

static void test_keepalive_reuses_one_connection(void **state)
{
	CURL *h = curl_easy_init();
	const char *body = "{\"channel\":\"general\",\"text\":\"keepalive\"}";
	long conns, total = 0;
	int i;

	for (i = 0; i < 5; i++) {
		assert_int_equal(ct_http(h, srv.port, "/api/chat.postMessage", body, strlen(body), NULL), 200);
		curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
		total += conns;
	}
	/* An error answer keeps the connection too. */
	assert_int_equal(ct_http(h, srv.port, "/api/chat.postMessage", "{", 1, NULL), 400);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
	total += conns;
	assert_int_equal(total, 1);
	curl_easy_cleanup(h);
	assert_int_equal(ct_count_text(srv.port, "general", "keepalive"), 5);
}

static void test_chunked_post_is_length_required(void **state)
{
	const char *body = "{\"channel\":\"general\",\"text\":\"chunked body\"}";
	const char *ok = "{\"channel\":\"general\",\"text\":\"after chunked\"}";
	struct curl_slist *hdrs = curl_slist_append(NULL, "Transfer-Encoding: chunked");
	CURL *h = curl_easy_init();
	json_t *resp;
	long st;

	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	st = ct_http(h, srv.port, "/api/chat.postMessage", body, strlen(body), &resp);
	if (st != 411 || strcmp(ct_str(resp, "error"), "length_required") != 0 ||
	    !json_is_false(json_object_get(resp, "ok")))
		fail_msg("chunked POST: got %ld %s, want 411 length_required", st, ct_str(resp, "error"));
	json_decref(resp);
	/* The same handle, without the header, is served (on a new connection). */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	assert_int_equal(ct_http(h, srv.port, "/api/chat.postMessage", ok, strlen(ok), NULL), 200);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	assert_int_equal(ct_count_text(srv.port, "general", "chunked body"), 0);
	assert_int_equal(ct_count_text(srv.port, "general", "after chunked"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_requests_store_nothing),
		cmocka_unit_test(test_history_pages_every_message_once),
		cmocka_unit_test(test_resend_same_key_is_one_message),
		cmocka_unit_test(test_keepalive_reuses_one_connection),
		cmocka_unit_test(test_chunked_post_is_length_required),
	};

	return CT_RUN(tests, setup, teardown);
}
