/*
 * Fuzz program for chatd's conversations.history query: the input is the
 * query string of a GET /api/conversations.history ("channel=general&
 * oldest=...&cursor=...&limit=..."), cut into the four values the way
 * server.c gets them from libwebsockets (the first "name=" argument that
 * fits server.c's buffer; a longer one is passed over), then handed to
 * chat_http_history() with a store in memory that holds a few messages.
 * That covers the query's validation in validate.c (channel, oldest and
 * cursor as ts, limit) and the answer built from it.
 *
 * Contract checked beyond the sanitizers: exactly one reply; it is JSON
 * with "ok" true exactly for status 200; a refusal carries one of the
 * documented error codes; an answer lists at most `limit` messages of the
 * asked channel, in ascending ts, each newer than oldest and cursor, with
 * a next_cursor exactly when has_more.
 */
#include "fuzz.h"

#include <jansson.h>

#include "../../fixtures/chatd/chat.h"
#include "util.h"

static struct chat chat;

/* The messages in the store: ts, channel. */
static const char *const stored[][2] = {
	{ "1764383012.000001", "general" }, { "1764383012.000002", "general" },
	{ "1764383012.500000", "random" },  { "1764383013.000000", "general" },
	{ "1764383013.000007", "general" }, { "1764383014.000000", "random" },
	{ "1764383015.123456", "general" },
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256] = "";

	(void)argc;
	(void)argv;
	if (validate_channels("general,random", &chat.channels, err, sizeof err) == -1 ||
	    !(chat.store = store_open(":memory:", err, sizeof err)))
		goto fail;
	for (size_t i = 0; i < sizeof stored / sizeof stored[0]; i++) {
		struct chat_msg m = { .has_cmid = 1 };
		char ts[CHAT_TS_LEN];
		int dup;

		str_copy(ts, stored[i][0], sizeof ts);
		str_copy(m.channel, stored[i][1], sizeof m.channel);
		snprintf(m.text, sizeof m.text, "m%zu: message m%zu (acklab-5f2c-m%zu)", i, i, i);
		snprintf(m.cmid, sizeof m.cmid, "key-%zu", i);
		if (store_put(chat.store, &m, 1, ts, &dup, err, sizeof err) == -1)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "chatd_history: cannot set up: %s\n", err);
	abort();
}

struct query {
	const char *channel, *oldest, *cursor, *limit;
	char a_ch[128], a_old[64], a_cur[64], a_lim[32];   /* server.c's buffers */
};

/* The value of the first "name=" argument that fits in buf (as lws hands it over), or NULL. */
static const char *query_arg(char *q, size_t qlen, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	for (size_t at = 0; at <= qlen;) {
		size_t flen = strcspn(q + at, "&");

		if (flen + 1 < len && flen >= n && strncmp(q + at, name, n) == 0) {
			memcpy(buf, q + at + n, flen - n);
			buf[flen - n] = '\0';
			return buf;
		}
		at += flen + 1;
	}
	return NULL;
}

/* A canonical ts "S.U" (validate_ts's output) as microseconds; -1 if absent or malformed. */
static long double ts_value(const char *ts)
{
	char canon[CHAT_TS_LEN];

	if (!ts || !*ts || validate_ts(ts, canon) == -1)
		return -1;
	return strtold(canon, NULL);
}

struct replies {
	int n, status;
	json_t *body;
};

static void on_reply(void *ctx, int status, const char *json, size_t len)
{
	struct replies *r = ctx;
	json_error_t jerr;

	r->n++;
	r->status = status;
	json_decref(r->body);
	r->body = json_loadb(json, len, 0, &jerr);
	FUZZ_CHECK(r->body != NULL, "reply is not JSON (%s): %.*s", jerr.text, (int)len, json);
}

static void check_answer(const struct query *q, json_t *body)
{
	static const char *const codes[] = { "invalid_arguments", "channel_not_found", "invalid_limit",
					     "invalid_ts_oldest", "invalid_cursor", NULL };
	json_t *msgs = json_object_get(body, "messages"), *m;
	const char *next = json_string_value(json_object_get(json_object_get(body, "response_metadata"),
							     "next_cursor"));
	long double after = ts_value(q->oldest), prev = -1;
	long limit = q->limit && *q->limit ? strtol(q->limit, NULL, 10) : 100;
	bool has_more = json_is_true(json_object_get(body, "has_more"));
	size_t i;

	if (!json_is_true(json_object_get(body, "ok"))) {
		const char *code = json_string_value(json_object_get(body, "error"));
		int k;

		for (k = 0; code && codes[k] && strcmp(code, codes[k]) != 0; k++)
			;
		FUZZ_CHECK(code && codes[k], "refused with error '%s'", code ? code : "(none)");
		return;
	}
	if (ts_value(q->cursor) > after)
		after = ts_value(q->cursor);
	FUZZ_CHECK(json_is_array(msgs), "no messages array");
	FUZZ_CHECK((long)json_array_size(msgs) <= limit, "%zu messages for limit %ld",
		   json_array_size(msgs), limit);
	json_array_foreach(msgs, i, m) {
		const char *ts = json_string_value(json_object_get(m, "ts"));
		long double t = ts_value(ts);

		FUZZ_CHECK(strcmp(json_string_value(json_object_get(m, "channel")), q->channel) == 0,
			   "message of another channel");
		FUZZ_CHECK(t > prev, "ts %s out of order", ts);
		FUZZ_CHECK(t > after, "ts %s is not after oldest '%s' / cursor '%s'", ts,
			   q->oldest ? q->oldest : "", q->cursor ? q->cursor : "");
		prev = t;
	}
	FUZZ_CHECK(next && (has_more ? *next != '\0' : *next == '\0'), "has_more %d with next_cursor '%s'",
		   has_more, next ? next : "(none)");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replies r = { 0 };
	struct query q;
	char *text;

	if (memchr(data, '\0', size))
		return -1;            /* a URL argument cannot hold one */
	text = fuzz_text(data, size);
	if (!text)
		return 0;
	q.channel = query_arg(text, size, "channel=", q.a_ch, sizeof q.a_ch);
	q.oldest = query_arg(text, size, "oldest=", q.a_old, sizeof q.a_old);
	q.cursor = query_arg(text, size, "cursor=", q.a_cur, sizeof q.a_cur);
	q.limit = query_arg(text, size, "limit=", q.a_lim, sizeof q.a_lim);
	chat_http_history(&chat, q.channel, q.oldest, q.cursor, q.limit, on_reply, &r);
	FUZZ_CHECK(r.n == 1, "%d replies", r.n);
	FUZZ_CHECK(json_is_true(json_object_get(r.body, "ok")) == (r.status == 200), "status %d with ok=%d",
		   r.status, json_is_true(json_object_get(r.body, "ok")));
	check_answer(&q, r.body);
	json_decref(r.body);
	free(text);
	return 0;
}
