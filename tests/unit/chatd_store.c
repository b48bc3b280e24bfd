/*
 * chatd_store: the SQLite store on a temporary file: insert, dedup on
 * (channel, client_msg_id) returning the first ts, NULL keys never colliding,
 * rows and ts order surviving a reopen, and history paging. Transactions:
 * a duplicate inside one finds the row written before it, one commit is
 * counted (with its fsyncs) for all of it, and nothing of a rolled-back one
 * stays. With the sync deferred, a commit makes no fsync and store_sync()
 * makes one for all the commits before it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../fixtures/chatd/store.h"
#include "../../fixtures/chatd/validate.h"
#include "../support/scratch.h"

struct fixture {
	char dir[64];
	char db[128];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[256];

	if (scratch_make(f->dir, sizeof f->dir, "chatd-store") == -1)
		return -1;
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
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

static void msg(struct chat_msg *m, const char *channel, const char *text, const char *cmid)
{
	memset(m, 0, sizeof *m);
	strcpy(m->channel, channel);
	strcpy(m->text, text);
	strcpy(m->user, "U1");
	if (cmid) {
		strcpy(m->cmid, cmid);
		m->has_cmid = 1;
	}
}

static void put(struct store *st, const char *channel, const char *text, const char *cmid,
		int dedup, char ts[CHAT_TS_LEN], int want_dup)
{
	struct chat_msg m;
	char err[256];
	int dup = -1;

	msg(&m, channel, text, cmid);
	ts[0] = '\0';
	if (store_put(st, &m, dedup, ts, &dup, err, sizeof err) < 0)
		fail_msg("store_put: %s", err);
	assert_int_equal(dup, want_dup);
	assert_true(ts[0] != '\0');
}

static void test_insert_and_dedup(void **state)
{
	struct fixture *f = *state;
	char a[CHAT_TS_LEN], b[CHAT_TS_LEN], c[CHAT_TS_LEN], err[64];

	put(f->st, "general", "one", "k1", 1, a, 0);
	put(f->st, "general", "one again", "k1", 1, b, 1);
	assert_string_equal(a, b);
	assert_int_equal(store_count(f->st, "general"), 1);
	/* Same key, other channel: a new row. */
	put(f->st, "random", "one", "k1", 1, c, 0);
	assert_string_not_equal(a, c);
	/* Without dedup the key is not stored: no collision with a NULL key. */
	put(f->st, "general", "no dedup", "k1", 0, c, 0);
	put(f->st, "general", "no dedup", "k1", 0, c, 0);
	assert_int_equal(store_count(f->st, "general"), 3);
	/* NULL keys never collide. */
	put(f->st, "general", "nokey", NULL, 1, c, 0);
	put(f->st, "general", "nokey", NULL, 1, c, 0);
	assert_int_equal(store_count(f->st, "general"), 5);
	assert_int_equal(store_find(f->st, "general", "k1", c, err, sizeof err), 1);
	assert_string_equal(c, a);
	assert_int_equal(store_find(f->st, "general", "k2", c, err, sizeof err), 0);
}

static void test_ts_strictly_increasing_and_shaped(void **state)
{
	struct fixture *f = *state;
	char prev[CHAT_TS_LEN] = "", ts[CHAT_TS_LEN];
	const char *dot;
	int i;

	for (i = 0; i < 500; i++) {
		put(f->st, "general", "fast", NULL, 1, ts, 0);
		dot = strchr(ts, '.');
		assert_non_null(dot);
		assert_int_equal(strlen(dot + 1), 6);
		assert_true(strcmp(prev, ts) < 0);
		strcpy(prev, ts);
	}
}

static void test_reopen_keeps_rows_and_continues_ts(void **state)
{
	struct fixture *f = *state;
	char ts[CHAT_TS_LEN], future[CHAT_TS_LEN] = "4000000000.000000", err[256];
	struct chat_msg m;
	int dup;

	put(f->st, "general", "before", "k", 1, ts, 0);
	/* A row from "the future" (a clock that was ahead): new ts must go above it. */
	msg(&m, "general", "future", NULL);
	assert_int_equal(store_put(f->st, &m, 0, future, &dup, err, sizeof err), 0);
	store_free(f->st);
	f->st = store_open(f->db, err, sizeof err);
	assert_non_null(f->st);
	assert_int_equal(store_count(f->st, NULL), 2);
	put(f->st, "general", "before", "k", 1, ts, 1);
	put(f->st, "general", "after", NULL, 1, ts, 0);
	assert_string_equal(ts, "4000000000.000001");
}

static void test_history_paging(void **state)
{
	struct fixture *f = *state;
	char ts[23][CHAT_TS_LEN], after[CHAT_TS_LEN] = "", err[256], text[16];
	json_t *page, *m;
	int i, more, seen = 0, pages = 0;

	for (i = 0; i < 23; i++) {
		snprintf(text, sizeof text, "m%d", i);
		put(f->st, "general", text, NULL, 1, ts[i], 0);
		put(f->st, "random", "noise", NULL, 1, after, 0);
	}
	after[0] = '\0';
	do {
		assert_int_equal(store_history(f->st, "general", after, 5, &page, &more, err, sizeof err), 0);
		pages++;
		assert_true(json_array_size(page) <= 5);
		for (size_t j = 0; j < json_array_size(page); j++, seen++) {
			m = json_array_get(page, j);
			snprintf(text, sizeof text, "m%d", seen);
			assert_string_equal(json_string_value(json_object_get(m, "text")), text);
			assert_string_equal(json_string_value(json_object_get(m, "ts")), ts[seen]);
			assert_string_equal(json_string_value(json_object_get(m, "channel")), "general");
			assert_null(json_object_get(m, "client_msg_id"));
		}
		if (json_array_size(page))
			strcpy(after, json_string_value(json_object_get(json_array_get(page, json_array_size(page) - 1), "ts")));
		json_decref(page);
	} while (more);
	assert_int_equal(seen, 23);
	assert_int_equal(pages, 5);
	/* Exactly a page's worth left: has_more is false on the last full page. */
	assert_int_equal(store_history(f->st, "general", ts[17], 5, &page, &more, err, sizeof err), 0);
	assert_int_equal(json_array_size(page), 5);
	assert_int_equal(more, 0);
	json_decref(page);
	/* After the last: empty. */
	assert_int_equal(store_history(f->st, "general", ts[22], 5, &page, &more, err, sizeof err), 0);
	assert_int_equal(json_array_size(page), 0);
	json_decref(page);
}

static void test_transaction_commit_and_rollback(void **state)
{
	struct fixture *f = *state;
	char a[CHAT_TS_LEN], b[CHAT_TS_LEN], c[CHAT_TS_LEN], err[256];
	struct store_stats before, after;

	store_stats(f->st, &before);
	assert_int_equal(store_begin(f->st, err, sizeof err), 0);
	put(f->st, "general", "t1", "k1", 1, a, 0);
	put(f->st, "general", "t2", NULL, 1, b, 0);
	/* The same key again in the same transaction: the first row's ts. */
	put(f->st, "general", "t1", "k1", 1, c, 1);
	assert_string_equal(c, a);
	assert_int_equal(store_commit(f->st, err, sizeof err), 0);
	assert_int_equal(store_count(f->st, NULL), 2);
	store_stats(f->st, &after);
	assert_int_equal(after.commits - before.commits, 1);
	assert_true(after.syncs > before.syncs); /* synchronous=FULL: the commit was synced */

	/* Rolled back: nothing stored, no commit counted. */
	assert_int_equal(store_begin(f->st, err, sizeof err), 0);
	put(f->st, "general", "gone", "k9", 1, a, 0);
	assert_int_equal(store_rollback(f->st, err, sizeof err), 0);
	assert_int_equal(store_count(f->st, NULL), 2);
	assert_int_equal(store_find(f->st, "general", "k9", c, err, sizeof err), 0);
	store_stats(f->st, &before);
	assert_int_equal(before.commits, after.commits);
	/* An autocommit put is a commit of its own. */
	put(f->st, "general", "alone", NULL, 1, a, 0);
	store_stats(f->st, &after);
	assert_int_equal(after.commits - before.commits, 1);
}

static void test_deferred_sync(void **state)
{
	struct fixture *f = *state;
	struct store_stats before, after;
	char a[CHAT_TS_LEN], err[256];

	assert_int_equal(store_set_sync(f->st, STORE_SYNC_DEFERRED, err, sizeof err), 0);
	assert_int_equal(store_get_sync(f->st), STORE_SYNC_DEFERRED);
	store_stats(f->st, &before);
	assert_int_equal(store_begin(f->st, err, sizeof err), 0);
	put(f->st, "general", "d1", "kd1", 1, a, 0);
	assert_int_equal(store_commit(f->st, err, sizeof err), 0);
	put(f->st, "general", "d2", NULL, 1, a, 0);
	store_stats(f->st, &after);
	assert_int_equal(after.commits - before.commits, 2);
	assert_int_equal(after.syncs, before.syncs); /* written, visible, not yet durable */
	assert_int_equal(store_count(f->st, NULL), 2);
	assert_int_equal(store_sync(f->st, err, sizeof err), 0);
	store_stats(f->st, &before);
	assert_int_equal(before.syncs - after.syncs, 1); /* one fdatasync for both */
	/* Back to a sync per commit: store_sync() has nothing left to do. */
	assert_int_equal(store_set_sync(f->st, STORE_SYNC_COMMIT, err, sizeof err), 0);
	assert_int_equal(store_sync(f->st, err, sizeof err), 0);
	put(f->st, "general", "d3", NULL, 1, a, 0);
	store_stats(f->st, &after);
	assert_true(after.syncs > before.syncs);
}

static void test_open_failure_says_where(void **state)
{
	char err[256];

	assert_null(store_open("/nonexistent-dir/x.db", err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent-dir/x.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_insert_and_dedup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ts_strictly_increasing_and_shaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_rows_and_continues_ts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transaction_commit_and_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_sync, setup, teardown),
		cmocka_unit_test(test_open_failure_says_where),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
