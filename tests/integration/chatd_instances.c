/*
 * chatd_instances: two chatd processes on one database (`--instance 1/2`
 * and `2/2`), as the rolling-deploy scenarios run them behind HAProxy.
 *  - a message stored through one instance is pushed to the subscribers of
 *    the other (it follows the rows its peer adds), exactly once;
 *  - ts values never collide: 100 messages sent to both at once all get a
 *    ts of their own, each instance's with its own residue of microseconds,
 *    and the store holds all 100;
 *  - a subscriber gets no push of a peer's row stored before it subscribed
 *    (its catch-up shows that one; a push would show it twice);
 *  - a bad --instance is a usage error (exit 2).
 */
#include "chatd_test.h"

#include <pthread.h>

static struct ct_server a, b;

static int setup(void **state)
{
	(void)state;
	ct_require_bin();
	ct_init(&a);
	ct_init(&b);
	/* b shares a's database. */
	snprintf(b.db, sizeof b.db, "%s", a.db);
	ct_start(&a, "--instance", "1/2", NULL);
	ct_start(&b, "--instance", "2/2", NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ct_stop_clean(&b);
	ct_stop_clean(&a);
	ct_cleanup(&b);
	ct_cleanup(&a);
	return 0;
}

/* The microseconds of a ts, modulo 2. */
static int ts_residue(const char *ts)
{
	long long sec, us;

	assert_int_equal(sscanf(ts, "%lld.%lld", &sec, &us), 2);
	return (int)((sec * 1000000LL + us) % 2);
}

static void test_peer_push(void **state)
{
	struct rawws ws;
	char ts[64];
	json_t *m;

	(void)state;
	ct_ws_open(&b, &ws);
	assert_int_equal(ct_send(a.port, "general", "stored through a", NULL, ts, sizeof ts), 200);
	assert_int_equal(ts_residue(ts), 0);
	m = ct_ws_next(&ws);
	assert_string_equal(ct_str(m, "text"), "stored through a");
	assert_string_equal(ct_str(m, "ts"), ts);
	json_decref(m);
	/* b's own message comes next, once: a's row was not pushed twice. */
	assert_int_equal(ct_send(b.port, "general", "stored through b", NULL, ts, sizeof ts), 200);
	assert_int_equal(ts_residue(ts), 1);
	m = ct_ws_next(&ws);
	assert_string_equal(ct_str(m, "text"), "stored through b");
	json_decref(m);
	rawws_close(&ws);
}

struct sender {
	int port, n, base;
	char ts[50][64];
	long status[50];
};

static void *send_many(void *arg)
{
	struct sender *s = arg;
	char text[64];

	for (int i = 0; i < s->n; i++) {
		snprintf(text, sizeof text, "burst %d", s->base + i);
		s->status[i] = ct_send(s->port, "random", text, NULL, s->ts[i], sizeof s->ts[i]);
	}
	return NULL;
}

static void test_ts_never_collide(void **state)
{
	static struct sender sa, sb;
	pthread_t ta, tb;
	json_t *all;

	(void)state;
	sa = (struct sender){ .port = a.port, .n = 50, .base = 0 };
	sb = (struct sender){ .port = b.port, .n = 50, .base = 50 };
	assert_int_equal(pthread_create(&ta, NULL, send_many, &sa), 0);
	assert_int_equal(pthread_create(&tb, NULL, send_many, &sb), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(sa.status[i], 200);
		assert_int_equal(sb.status[i], 200);
		assert_int_equal(ts_residue(sa.ts[i]), 0);
		assert_int_equal(ts_residue(sb.ts[i]), 1);
		for (int k = 0; k < 50; k++)
			assert_string_not_equal(sa.ts[i], sb.ts[k]);
	}
	all = ct_history(a.port, "random", 1000, NULL);
	assert_int_equal(json_array_size(all), 100);
	json_decref(all);
}

static void test_no_push_of_rows_before_subscribing(void **state)
{
	struct rawws ws;
	char ts[64];
	json_t *m;

	(void)state;
	/* Stored through a, then a subscriber on b: b's follower may not have seen it yet. */
	assert_int_equal(ct_send(a.port, "general", "before the subscriber", NULL, ts, sizeof ts), 200);
	ct_ws_open(&b, &ws);
	assert_int_equal(ct_send(a.port, "general", "after the subscriber", NULL, ts, sizeof ts), 200);
	m = ct_ws_next(&ws);
	assert_string_equal(ct_str(m, "text"), "after the subscriber");
	json_decref(m);
	rawws_close(&ws);
}

static void test_bad_instance(void **state)
{
	static const char *const bad[] = { "0/2", "3/2", "2", "1/0", "1/65", "a/b", "1/2x" };
	char path[4096], err[256];

	(void)state;
	assert_int_equal(spawn_bin_path("chatd", path, sizeof path), 0);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char *argv[] = { path, "--listen", "127.0.0.1:0", "--db", a.db, "--instance", (char *)bad[i], NULL };
		struct spawn sp;

		if (spawn_start(&sp, argv, err, sizeof err) < 0)
			fail_msg("start chatd: %s", err);
		if (spawn_wait(&sp, 2000) < 0)
			fail_msg("--instance %s: chatd did not exit", bad[i]);
		if (!WIFEXITED(sp.status) || WEXITSTATUS(sp.status) != 2)
			fail_msg("--instance %s: wait status 0x%x, want exit 2", bad[i], sp.status);
		spawn_stop(&sp, SIGKILL, 0);     /* closes the pipes */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_push),
		cmocka_unit_test(test_ts_never_collide),
		cmocka_unit_test(test_no_push_of_rows_before_subscribing),
		cmocka_unit_test(test_bad_instance),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
