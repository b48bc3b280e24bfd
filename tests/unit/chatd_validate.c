/*
 * chatd_validate: request and frame validation, one case per error code of
 * the protocol, table-driven, plus channel lists, subscriptions (subscribe
 * frames and /ws?channel= lists) and ts normalisation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../fixtures/chatd/validate.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct chat_channels channels;

static int setup(void **state)
{
	char err[128];

	return validate_channels("general,random", &channels, err, sizeof err);
}

struct http_case {
	const char *body;
	int status;
	const char *code;
};

static void test_http_errors(void **state)
{
	static char long_text[4100], long_cmid[100], max_text[4100];
	static char b_long_text[4300], b_long_cmid[300], b_max_text[4300], b_huge[CHAT_BODY_MAX + 2];
	const struct http_case cases[] = {
		{ "", 400, "invalid_json" },
		{ "{\"channel\":", 400, "invalid_json" },
		{ "\"just a string\"", 400, "invalid_json" },
		{ "{\"channel\":\"general\",\"channel\":\"random\",\"text\":\"x\"}", 400, "invalid_json" },
		{ "{\"text\":\"x\"}", 400, "invalid_arguments" },
		{ "{\"channel\":\"general\"}", 400, "invalid_arguments" },
		{ "{\"channel\":\"general\",\"text\":\"\"}", 400, "invalid_arguments" },
		{ "{\"channel\":1,\"text\":\"x\"}", 400, "invalid_arguments" },
		{ "{\"channel\":\"general\",\"text\":null}", 400, "invalid_arguments" },
		{ "{\"channel\":\"general\",\"text\":\"x\",\"user\":5}", 400, "invalid_arguments" },
		{ b_long_text, 400, "msg_too_long" },
		{ b_long_cmid, 400, "invalid_client_msg_id" },
		{ "{\"channel\":\"general\",\"text\":\"x\",\"client_msg_id\":7}", 400, "invalid_client_msg_id" },
		{ "{\"channel\":\"general\",\"text\":\"x\",\"client_msg_id\":\"\"}", 400, "invalid_client_msg_id" },
		{ "{\"channel\":\"elsewhere\",\"text\":\"x\"}", 404, "channel_not_found" },
		{ b_huge, 413, "request_too_large" },
	};
	struct chat_msg m;
	const char *code;
	size_t i;

	memset(long_text, 'a', 4001);
	memset(max_text, 'b', 4000);
	memset(long_cmid, 'k', 65);
	snprintf(b_long_text, sizeof b_long_text, "{\"channel\":\"general\",\"text\":\"%s\"}", long_text);
	snprintf(b_max_text, sizeof b_max_text, "{\"channel\":\"general\",\"text\":\"%s\"}", max_text);
	snprintf(b_long_cmid, sizeof b_long_cmid,
		 "{\"channel\":\"general\",\"text\":\"x\",\"client_msg_id\":\"%s\"}", long_cmid);
	memset(b_huge, ' ', sizeof b_huge - 1);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		code = NULL;
		if (validate_http_send(cases[i].body, strlen(cases[i].body), &channels, &m, &code) != cases[i].status ||
		    !code || strcmp(code, cases[i].code) != 0)
			fail_msg("case %zu: want %d %s, got %s", i, cases[i].status, cases[i].code, code ? code : "(none)");
	}
	/* The limits themselves are allowed. */
	assert_int_equal(validate_http_send(b_max_text, strlen(b_max_text), &channels, &m, &code), 0);
	assert_int_equal(strlen(m.text), 4000);
	long_cmid[64] = '\0';
	snprintf(b_long_cmid, sizeof b_long_cmid,
		 "{\"channel\":\"general\",\"text\":\"x\",\"client_msg_id\":\"%s\"}", long_cmid);
	assert_int_equal(validate_http_send(b_long_cmid, strlen(b_long_cmid), &channels, &m, &code), 0);
	assert_int_equal(m.has_cmid, 1);
}

static void test_http_ok(void **state)
{
	const char *body = "{\"channel\":\"random\",\"text\":\"hi \\u00e9 (acklab-1-m1)\",\"client_msg_id\":\"u-1\","
			   "\"user\":\"U7\",\"extra\":true}";
	struct chat_msg m;
	const char *code;

	assert_int_equal(validate_http_send(body, strlen(body), &channels, &m, &code), 0);
	assert_string_equal(m.channel, "random");
	assert_string_equal(m.text, "hi \xc3\xa9 (acklab-1-m1)");
	assert_string_equal(m.cmid, "u-1");
	assert_int_equal(m.has_cmid, 1);
	assert_string_equal(m.user, "U7");
	body = "{\"channel\":\"general\",\"text\":\"x\",\"client_msg_id\":null}";
	assert_int_equal(validate_http_send(body, strlen(body), &channels, &m, &code), 0);
	assert_int_equal(m.has_cmid, 0);
	assert_string_equal(m.user, "U0");
}

static void test_ws_frames(void **state)
{
	struct chat_msg m;
	enum validate_ws_kind kind;
	const char *code, *f;

	f = "{\"type\":\"message\",\"id\":42,\"channel\":\"general\",\"text\":\"x\",\"client_msg_id\":\"c\"}";
	assert_int_equal(validate_ws_frame(f, strlen(f), &channels, &m, &kind, &code), 0);
	assert_int_equal(kind, VALIDATE_WS_MESSAGE);
	assert_int_equal(m.id, 42);
	assert_string_equal(m.cmid, "c");
	f = "{\"type\":\"ping\",\"id\":3}";
	assert_int_equal(validate_ws_frame(f, strlen(f), &channels, &m, &kind, &code), 0);
	assert_int_equal(kind, VALIDATE_WS_PING);
	f = "nope";
	assert_int_equal(validate_ws_frame(f, strlen(f), &channels, &m, &kind, &code), -1);
	assert_string_equal(code, "invalid_json");
	assert_int_equal(m.has_id, 0);
	f = "{\"type\":\"message\",\"channel\":\"general\",\"text\":\"x\"}";
	assert_int_equal(validate_ws_frame(f, strlen(f), &channels, &m, &kind, &code), -1);
	assert_string_equal(code, "invalid_arguments");
	f = "{\"type\":\"typing\",\"id\":5}";
	assert_int_equal(validate_ws_frame(f, strlen(f), &channels, &m, &kind, &code), -1);
	assert_string_equal(code, "invalid_arguments");
	assert_int_equal(m.has_id, 1);
	assert_int_equal(m.id, 5);
	f = "{\"type\":\"message\",\"id\":6,\"channel\":\"x\",\"text\":\"x\"}";
	assert_int_equal(validate_ws_frame(f, strlen(f), &channels, &m, &kind, &code), -1);
	assert_string_equal(code, "channel_not_found");
	assert_int_equal(m.id, 6);
}

static void test_subscriptions(void **state)
{
	const struct { const char *frame; int rc; const char *code; uint32_t mask; } cases[] = {
		{ "{\"type\":\"subscribe\",\"id\":1,\"channels\":[\"random\"]}", 0, NULL, 2 },
		{ "{\"type\":\"subscribe\",\"id\":1,\"channels\":[\"general\",\"random\"]}", 0, NULL, 3 },
		{ "{\"type\":\"subscribe\",\"id\":1}", -1, "invalid_arguments", 0 },
		{ "{\"type\":\"subscribe\",\"id\":1,\"channels\":[]}", -1, "invalid_arguments", 0 },
		{ "{\"type\":\"subscribe\",\"id\":1,\"channels\":\"general\"}", -1, "invalid_arguments", 0 },
		{ "{\"type\":\"subscribe\",\"id\":1,\"channels\":[7]}", -1, "invalid_arguments", 0 },
		{ "{\"type\":\"subscribe\",\"id\":1,\"channels\":[\"\"]}", -1, "invalid_arguments", 0 },
		{ "{\"type\":\"subscribe\",\"id\":1,\"channels\":[\"general\",\"nope\"]}", -1,
		  "channel_not_found", 0 },
	};
	struct chat_msg m;
	enum validate_ws_kind kind;
	const char *code;
	uint32_t mask;
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		code = NULL;
		assert_int_equal(validate_ws_frame(cases[i].frame, strlen(cases[i].frame), &channels, &m,
						   &kind, &code), cases[i].rc);
		assert_int_equal(kind, VALIDATE_WS_SUBSCRIBE);
		if (cases[i].rc == 0)
			assert_int_equal(m.subscribe, cases[i].mask);
		else
			assert_string_equal(code, cases[i].code);
	}
	assert_int_equal(validate_channel_list(&channels, "random", &mask, &code), 0);
	assert_int_equal(mask, 2);
	assert_int_equal(validate_channel_list(&channels, "general,random", &mask, &code), 0);
	assert_int_equal(mask, 3);
	assert_int_equal(validate_channel_list(&channels, "general,nope", &mask, &code), 404);
	assert_string_equal(code, "channel_not_found");
	assert_int_equal(validate_channel_list(&channels, "", &mask, &code), 400);
	assert_string_equal(code, "invalid_arguments");
	assert_int_equal(validate_channel_list(&channels, "general,", &mask, &code), 400);
	assert_int_equal(validate_channel_index(&channels, "random"), 1);
	assert_int_equal(validate_channel_index(&channels, "nope"), -1);
}

static void test_channels_and_ts(void **state)
{
	struct chat_channels ch;
	char err[256], ts[CHAT_TS_LEN];

	assert_int_equal(validate_channels("a", &ch, err, sizeof err), 0);
	assert_int_equal(ch.n, 1);
	assert_int_equal(validate_channels("a,,b", &ch, err, sizeof err), -1);
	assert_string_equal(err, "'a,,b': empty channel name (expected e.g. general,random)");
	assert_int_equal(validate_channels("a,b,a", &ch, err, sizeof err), -1);
	assert_string_equal(err, "'a': channel listed twice");

	assert_int_equal(validate_ts("1764383012.000001", ts), 0);
	assert_string_equal(ts, "1764383012.000001");
	assert_int_equal(validate_ts("1764383012", ts), 0);
	assert_string_equal(ts, "1764383012.000000");
	assert_int_equal(validate_ts("1764383012.5", ts), 0);
	assert_string_equal(ts, "1764383012.500000");
	assert_int_equal(validate_ts("0", ts), 0);
	assert_string_equal(ts, "0000000000.000000");
	assert_int_equal(validate_ts("", ts), -1);
	assert_int_equal(validate_ts("12a", ts), -1);
	assert_int_equal(validate_ts("1.1234567", ts), -1);
	assert_int_equal(validate_ts(".5", ts), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_http_ok),
		cmocka_unit_test(test_ws_frames),
		cmocka_unit_test(test_subscriptions),
		cmocka_unit_test(test_channels_and_ts),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
