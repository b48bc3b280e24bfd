/*
 * chatd_chat: the send pipeline's order, without a network. The fanout and
 * reply callbacks record what the store held at the moment they ran, so
 * each mode's order (persist then push, push then persist, ack before push)
 * is observed rather than assumed; dedup and failed persists are checked
 * the same way, and the event log is read back for the step sequence. The
 * group commit is checked the same way: nothing of a batch is answered or
 * pushed before all of it is stored, by one commit, and a failed batch
 * stores nothing and answers every message with store_failed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../fixtures/chatd/chat.h"
#include "../support/scratch.h"

struct rec {
	char kind;           /* 'f' fanout, 'r' reply */
	long stored;         /* rows in the store when it happened */
	int status;
	char json[512];
};

struct fixture {
	char dir[64], db[128], ev[128];
	struct store *st;
	struct events *events;
	struct chat chat;
	struct rec rec[16];
	int n;
	int unanswered;      /* replies that said "no answer" (ws naive) */
	uint32_t subscribed; /* what the subscribe callback was given */
};

static int rec_fanout(void *ctx, const char *channel, const char *json, size_t len, long long peer_rowid)
{
	struct fixture *f = ctx;
	struct rec *r = &f->rec[f->n++];

	assert_non_null(strstr(json, channel));
	r->kind = 'f';
	r->stored = store_count(f->st, NULL);
	snprintf(r->json, sizeof r->json, "%.*s", (int)len, json);
	return 2; /* pretend two subscribers */
}

static void rec_reply(void *ctx, int status, const char *json, size_t len)
{
	struct fixture *f = ctx;
	struct rec *r;

	if (!json) {
		f->unanswered++;
		return;
	}
	r = &f->rec[f->n++];
	r->kind = 'r';
	r->status = status;
	r->stored = store_count(f->st, NULL);
	snprintf(r->json, sizeof r->json, "%.*s", (int)len, json);
}

static void rec_subscribe(void *rctx, uint32_t channels)
{
	struct fixture *f = rctx;

	f->subscribed |= channels;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[256];

	if (scratch_make(f->dir, sizeof f->dir, "chatd-chat") == -1)
		return -1;
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	snprintf(f->ev, sizeof f->ev, "%s/ev.jsonl", f->dir);
	f->st = store_open(f->db, err, sizeof err);
	f->events = events_open(f->ev, err, sizeof err);
	if (!f->st || !f->events)
		return -1;
	f->chat.store = f->st;
	f->chat.events = f->events;
	f->chat.fanout = rec_fanout;
	f->chat.fanout_ctx = f;
	f->chat.subscribe = rec_subscribe;
	f->chat.ws_mode = CHAT_WS_ACK;
	f->chat.http_order = CHAT_PERSIST_FIRST;
	/* Each send committed on its own unless a test turns group commit on. */
	f->chat.commit = CHAT_COMMIT_IMMEDIATE;
	f->chat.batch_max = CHAT_BATCH_DEFAULT;
	validate_channels("general,random", &f->chat.channels, err, sizeof err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	chat_free(&f->chat);
	events_free(f->events);
	store_free(f->st);
	scratch_remove(f->dir);
	free(f);
	return 0;
}

/* The "ev" names of the event log, space-separated. */
static void event_names(struct fixture *f, char *out, size_t outlen)
{
	char line[8192], *p, *q;
	FILE *fp = fopen(f->ev, "r");

	out[0] = '\0';
	assert_non_null(fp);
	while (fgets(line, sizeof line, fp)) {
		p = strstr(line, "\"ev\":\"");
		assert_non_null(p);
		p += 6;
		q = strchr(p, '"');
		*q = '\0';
		if (out[0])
			strncat(out, " ", outlen - strlen(out) - 1);
		strncat(out, p, outlen - strlen(out) - 1);
	}
	fclose(fp);
}

static void post(struct fixture *f, const char *body)
{
	chat_http_post(&f->chat, body, strlen(body), rec_reply, f);
}

static void frame(struct fixture *f, const char *body)
{
	chat_ws_frame(&f->chat, body, strlen(body), rec_reply, f);
}

static void test_http_persist_first(void **state)
{
	struct fixture *f = *state;
	char names[512];

	post(f, "{\"channel\":\"general\",\"text\":\"a\",\"client_msg_id\":\"k\"}");
	assert_int_equal(f->n, 2);
	assert_int_equal(f->rec[0].kind, 'f');
	assert_int_equal(f->rec[0].stored, 1); /* stored before the push */
	assert_int_equal(f->rec[1].kind, 'r');
	assert_int_equal(f->rec[1].status, 200);
	assert_non_null(strstr(f->rec[1].json, "{\"ok\":true,\"channel\":\"general\",\"ts\":\""));
	/* The retry: same answer, no push. */
	post(f, "{\"channel\":\"general\",\"text\":\"a\",\"client_msg_id\":\"k\"}");
	assert_int_equal(f->n, 3);
	assert_int_equal(f->rec[2].kind, 'r');
	assert_string_equal(f->rec[2].json, f->rec[1].json);
	event_names(f, names, sizeof names);
	assert_string_equal(names, "recv persisted fanout replied recv persisted replied");
	/* A refused request: a reply, no event, nothing stored. */
	post(f, "{\"channel\":\"general\"}");
	assert_int_equal(f->rec[3].status, 400);
	assert_string_equal(f->rec[3].json, "{\"ok\":false,\"error\":\"invalid_arguments\"}");
	assert_int_equal(store_count(f->st, NULL), 1);
}

static void test_http_fanout_first_with_failed_persist(void **state)
{
	struct fixture *f = *state;
	char err[128], names[512];

	f->chat.http_order = CHAT_FANOUT_FIRST;
	assert_int_equal(fp_parse("persist=fail@1", &f->chat.fp, err, sizeof err), 0);
	post(f, "{\"channel\":\"general\",\"text\":\"phantom\"}");
	assert_int_equal(f->n, 2);
	assert_int_equal(f->rec[0].kind, 'f');
	assert_int_equal(f->rec[0].stored, 0);
	assert_int_equal(f->rec[1].status, 500);
	assert_string_equal(f->rec[1].json, "{\"ok\":false,\"error\":\"store_failed\"}");
	assert_int_equal(store_count(f->st, NULL), 0);
	event_names(f, names, sizeof names);
	assert_string_equal(names, "recv fanout failpoint persist_failed replied");
}

static void test_ws_ack_acks_before_push(void **state)
{
	struct fixture *f = *state;
	char names[512];

	frame(f, "{\"type\":\"message\",\"id\":7,\"channel\":\"general\",\"text\":\"w\",\"client_msg_id\":\"k\"}");
	assert_int_equal(f->n, 2);
	assert_int_equal(f->rec[0].kind, 'r');
	assert_int_equal(f->rec[0].stored, 1);
	assert_int_equal(f->rec[0].status, 0);
	assert_non_null(strstr(f->rec[0].json, "{\"ok\":true,\"reply_to\":7,\"ts\":\""));
	assert_int_equal(f->rec[1].kind, 'f');
	/* ack mode: no dedup, a resend is a second row. */
	frame(f, "{\"type\":\"message\",\"id\":8,\"channel\":\"general\",\"text\":\"w\",\"client_msg_id\":\"k\"}");
	assert_int_equal(f->n, 4);
	assert_int_equal(store_count(f->st, NULL), 2);
	event_names(f, names, sizeof names);
	assert_string_equal(names, "recv persisted replied fanout recv persisted replied fanout");
	/* Ping and a bad frame. */
	frame(f, "{\"type\":\"ping\",\"id\":9}");
	assert_string_equal(f->rec[4].json, "{\"type\":\"pong\",\"reply_to\":9}");
	frame(f, "{\"type\":\"message\",\"id\":10,\"channel\":\"general\"}");
	assert_string_equal(f->rec[5].json, "{\"ok\":false,\"reply_to\":10,\"error\":\"invalid_arguments\"}");
}

static void test_ws_ack_key_dedups(void **state)
{
	struct fixture *f = *state;

	f->chat.ws_mode = CHAT_WS_ACK_KEY;
	frame(f, "{\"type\":\"message\",\"id\":1,\"channel\":\"general\",\"text\":\"w\",\"client_msg_id\":\"k\"}");
	frame(f, "{\"type\":\"message\",\"id\":2,\"channel\":\"general\",\"text\":\"w\",\"client_msg_id\":\"k\"}");
	assert_int_equal(f->n, 3); /* ack, push, ack */
	assert_int_equal(f->rec[2].kind, 'r');
	assert_string_equal(strstr(f->rec[2].json, "\"ts\""), strstr(f->rec[0].json, "\"ts\""));
	assert_int_equal(store_count(f->st, NULL), 1);
}

static void test_ws_naive_pushes_first_and_never_acks(void **state)
{
	struct fixture *f = *state;
	char err[128];

	f->chat.ws_mode = CHAT_WS_NAIVE;
	assert_int_equal(fp_parse("persist=fail@1", &f->chat.fp, err, sizeof err), 0);
	frame(f, "{\"type\":\"message\",\"id\":1,\"channel\":\"general\",\"text\":\"lost\"}");
	frame(f, "{\"type\":\"message\",\"id\":2,\"channel\":\"general\",\"text\":\"kept\"}");
	assert_int_equal(f->n, 2);
	assert_int_equal(f->rec[0].kind, 'f');
	assert_int_equal(f->rec[0].stored, 0);
	assert_int_equal(f->rec[1].kind, 'f');
	assert_int_equal(f->rec[1].stored, 0); /* pushed before its own persist */
	assert_int_equal(store_count(f->st, NULL), 1);
	assert_int_equal(f->unanswered, 2); /* each frame said so: no ack will come */
}

/* Group commit: three sends, one of them a retry of the first, in one batch. */
static void test_group_commit_answers_after_one_commit(void **state)
{
	struct fixture *f = *state;
	struct store_stats before, after;
	char names[1024];
	int i;

	f->chat.commit = CHAT_COMMIT_GROUP;
	store_stats(f->st, &before);
	post(f, "{\"channel\":\"general\",\"text\":\"a\",\"client_msg_id\":\"ka\"}");
	post(f, "{\"channel\":\"random\",\"text\":\"b\",\"client_msg_id\":\"kb\"}");
	post(f, "{\"channel\":\"general\",\"text\":\"a\",\"client_msg_id\":\"ka\"}");
	/* Nothing is answered, pushed or stored before the commit. */
	assert_int_equal(f->n, 0);
	assert_int_equal(store_count(f->st, NULL), 0);
	chat_flush(&f->chat);
	store_stats(f->st, &after);
	assert_int_equal(after.commits - before.commits, 1);
	/* a: push, 200; b: push, 200; the retry of a: 200 with a's ts, no push. */
	assert_int_equal(f->n, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(f->rec[i].stored, 2); /* both rows were stored before anything */
	assert_int_equal(f->rec[0].kind, 'f');
	assert_int_equal(f->rec[1].status, 200);
	assert_int_equal(f->rec[2].kind, 'f');
	assert_non_null(strstr(f->rec[2].json, "\"channel\":\"random\""));
	assert_int_equal(f->rec[3].status, 200);
	assert_int_equal(f->rec[4].status, 200);
	assert_string_equal(f->rec[4].json, f->rec[1].json);
	assert_int_equal(f->chat.stats.largest, 3);
	event_names(f, names, sizeof names);
	assert_string_equal(names, "recv recv recv persisted persisted persisted "
			    "fanout replied fanout replied replied");
	/* An empty batch commits nothing. */
	chat_flush(&f->chat);
	store_stats(f->st, &before);
	assert_int_equal(before.commits, after.commits);
}

/* A batch one of whose writes fails stores none of it and fails every message. */
static void test_group_commit_failure_fails_the_batch(void **state)
{
	struct fixture *f = *state;
	char err[128];
	int i;

	f->chat.commit = CHAT_COMMIT_GROUP;
	f->chat.ws_mode = CHAT_WS_ACK_KEY;
	assert_int_equal(fp_parse("persist=fail@2", &f->chat.fp, err, sizeof err), 0);
	post(f, "{\"channel\":\"general\",\"text\":\"x1\"}");
	post(f, "{\"channel\":\"general\",\"text\":\"x2\"}");
	frame(f, "{\"type\":\"message\",\"id\":3,\"channel\":\"general\",\"text\":\"x3\"}");
	chat_flush(&f->chat);
	assert_int_equal(f->n, 3); /* three failures, no push */
	for (i = 0; i < 2; i++) {
		assert_int_equal(f->rec[i].status, 500);
		assert_string_equal(f->rec[i].json, "{\"ok\":false,\"error\":\"store_failed\"}");
	}
	assert_string_equal(f->rec[2].json, "{\"ok\":false,\"reply_to\":3,\"error\":\"store_failed\"}");
	assert_int_equal(store_count(f->st, NULL), 0);
	/* The next batch is stored: the failure did not stick. */
	post(f, "{\"channel\":\"general\",\"text\":\"x4\"}");
	chat_flush(&f->chat);
	assert_int_equal(f->rec[4].status, 200);
	assert_int_equal(store_count(f->st, NULL), 1);
}

/* The batch bound commits at once; a forgotten request is stored, never answered. */
static void test_batch_bound_and_forget(void **state)
{
	struct fixture *f = *state;
	const char *g = "{\"channel\":\"general\",\"text\":\"g\"}";
	int gone;

	f->chat.commit = CHAT_COMMIT_GROUP;
	f->chat.batch_max = 2;
	chat_http_post(&f->chat, g, strlen(g), rec_reply, &gone);
	chat_forget(&f->chat, &gone);
	assert_int_equal(store_count(f->st, NULL), 0);
	post(f, "{\"channel\":\"general\",\"text\":\"h\"}");
	/* The second send filled the batch: it was committed without chat_commit(). */
	assert_int_equal(f->chat.batch.n, 0);
	chat_flush(&f->chat);
	assert_int_equal(store_count(f->st, NULL), 2);
	assert_int_equal(f->n, 3); /* push g, push h, 200 h: nothing for the forgotten one */
	assert_int_equal(f->rec[2].status, 200);
}

static void test_ws_subscribe(void **state)
{
	struct fixture *f = *state;

	frame(f, "{\"type\":\"subscribe\",\"id\":4,\"channels\":[\"random\"]}");
	assert_int_equal(f->subscribed, 1u << 1);
	assert_string_equal(f->rec[0].json, "{\"ok\":true,\"reply_to\":4}");
	frame(f, "{\"type\":\"subscribe\",\"id\":5,\"channels\":[\"nope\"]}");
	assert_string_equal(f->rec[1].json, "{\"ok\":false,\"reply_to\":5,\"error\":\"channel_not_found\"}");
	assert_int_equal(f->subscribed, 1u << 1);
}

static void test_history_arguments(void **state)
{
	struct fixture *f = *state;

	chat_http_history(&f->chat, NULL, NULL, NULL, NULL, rec_reply, f);
	assert_int_equal(f->rec[0].status, 400);
	chat_http_history(&f->chat, "nope", NULL, NULL, NULL, rec_reply, f);
	assert_int_equal(f->rec[1].status, 404);
	chat_http_history(&f->chat, "general", NULL, NULL, "1001", rec_reply, f);
	assert_string_equal(f->rec[2].json, "{\"ok\":false,\"error\":\"invalid_limit\"}");
	chat_http_history(&f->chat, "general", "yesterday", NULL, NULL, rec_reply, f);
	assert_string_equal(f->rec[3].json, "{\"ok\":false,\"error\":\"invalid_ts_oldest\"}");
	chat_http_history(&f->chat, "general", NULL, "x", NULL, rec_reply, f);
	assert_string_equal(f->rec[4].json, "{\"ok\":false,\"error\":\"invalid_cursor\"}");
	chat_http_history(&f->chat, "general", "0", NULL, "5", rec_reply, f);
	assert_string_equal(f->rec[5].json, "{\"ok\":true,\"messages\":[],\"has_more\":false,"
			    "\"response_metadata\":{\"next_cursor\":\"\"}}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_http_persist_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_fanout_first_with_failed_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_ack_acks_before_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_ack_key_dedups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_naive_pushes_first_and_never_acks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_answers_after_one_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_failure_fails_the_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_bound_and_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_subscribe, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
