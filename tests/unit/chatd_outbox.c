/*
 * Tests of chatd's outbox of bot deliveries (outbox.c) against a real
 * message store in a scratch folder: events appear only for committed
 * messages, in order, each once (also across a reopen, as after a
 * restart), and a row stays pending until it is delivered or given up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../fixtures/chatd/outbox.h"
#include "../../fixtures/chatd/store.h"
#include "../../fixtures/chatd/validate.h"
#include "../support/scratch.h"

struct fixture {
	char dir[256], db[300];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[256];

	if (!f || scratch_make(f->dir, sizeof f->dir, "chatd-outbox") == -1)
		return -1;
	snprintf(f->db, sizeof f->db, "%s/chat.db", f->dir);
	f->st = store_open(f->db, err, sizeof err);
	if (!f->st) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_free(f->st);
	scratch_remove(f->dir);
	free(f);
	return 0;
}

/* Store text in general; committed unless commit is 0 (then rolled back). */
static void put(struct fixture *f, const char *text, int commit)
{
	struct chat_msg m;
	char ts[CHAT_TS_LEN] = "", err[256];
	int dup;

	memset(&m, 0, sizeof m);
	snprintf(m.channel, sizeof m.channel, "general");
	snprintf(m.user, sizeof m.user, "U1");
	snprintf(m.text, sizeof m.text, "%s", text);
	assert_int_equal(store_begin(f->st, err, sizeof err), 0);
	assert_int_equal(store_put(f->st, &m, 0, ts, &dup, err, sizeof err), 0);
	if (commit)
		assert_int_equal(store_commit(f->st, err, sizeof err), 0);
	else
		assert_int_equal(store_rollback(f->st, err, sizeof err), 0);
}

static void test_events_follow_commits(void **state)
{
	struct fixture *f = *state;
	struct outbox_item it;
	struct outbox *ob;
	char err[256];
	int added;

	ob = outbox_open(f->db, err, sizeof err);
	assert_non_null(ob);
	assert_int_equal(outbox_pull(ob, &added, err, sizeof err), 0);
	assert_int_equal(added, 0);
	assert_int_equal(outbox_next(ob, &it, err, sizeof err), 0);
	put(f, "one", 1);
	put(f, "never", 0);                  /* rolled back: never an event */
	put(f, "two", 1);
	assert_int_equal(outbox_pull(ob, &added, err, sizeof err), 0);
	assert_int_equal(added, 2);
	assert_int_equal(outbox_pull(ob, &added, err, sizeof err), 0);
	assert_int_equal(added, 0);          /* the cursor moved: no event twice */
	assert_int_equal(outbox_next(ob, &it, err, sizeof err), 1);
	assert_string_equal(it.text, "one");
	assert_int_equal(it.attempts, 0);
	/* The oldest stays first while it is pending, even when it is not due. */
	assert_int_equal(outbox_attempted(ob, it.event_id, 1, 1LL << 50, "http_timeout", err, sizeof err), 0);
	assert_int_equal(outbox_next(ob, &it, err, sizeof err), 1);
	assert_string_equal(it.text, "one");
	assert_int_equal(it.attempts, 1);
	assert_string_equal(it.reason, "http_timeout");
	assert_int_equal(outbox_delivered(ob, it.event_id, err, sizeof err), 1);
	assert_int_equal(outbox_delivered(ob, it.event_id, err, sizeof err), 0);     /* a late ack */
	assert_int_equal(outbox_next(ob, &it, err, sizeof err), 1);
	assert_string_equal(it.text, "two");
	outbox_free(ob);
}

static void test_reopen_keeps_pending(void **state)
{
	struct fixture *f = *state;
	struct outbox_item it;
	struct outbox *ob;
	char err[256], first[32], *json;
	int added;

	put(f, "kept", 1);
	ob = outbox_open(f->db, err, sizeof err);
	assert_non_null(ob);
	assert_int_equal(outbox_pull(ob, &added, err, sizeof err), 0);
	assert_int_equal(outbox_next(ob, &it, err, sizeof err), 1);
	snprintf(first, sizeof first, "%s", it.event_id);
	assert_int_equal(outbox_attempted(ob, it.event_id, 2, 1LL << 50, "http_error", err, sizeof err), 0);
	outbox_free(ob);

	/* A restart: the row is still pending, due at once, with its attempts; nothing is added again. */
	ob = outbox_open(f->db, err, sizeof err);
	assert_non_null(ob);
	assert_int_equal(outbox_pull(ob, &added, err, sizeof err), 0);
	assert_int_equal(added, 0);
	assert_int_equal(outbox_next(ob, &it, err, sizeof err), 1);
	assert_string_equal(it.event_id, first);
	assert_int_equal(it.attempts, 2);
	assert_int_equal(it.next_ms, 0);
	json = outbox_event_json(&it);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"event_id\":\"Ev00000001\""));
	assert_non_null(strstr(json, "\"text\":\"kept\""));
	free(json);
	assert_int_equal(outbox_give_up(ob, it.event_id, err, sizeof err), 0);
	assert_int_equal(outbox_next(ob, &it, err, sizeof err), 0);
	outbox_free(ob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_events_follow_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_pending, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
