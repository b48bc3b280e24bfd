/*
 * chatd_failpoint: the failure modes acklab's matrix is built on, caused by
 * chatd's own failpoints and observed from outside: a crash before persist
 * kills the process by SIGKILL mid-request and a restart keeps what was
 * stored; a failed persist after a fanout-first push leaves a phantom, while
 * the default order with the same failure pushes nothing; SIGTERM is a clean
 * exit that keeps every row.
 */
#include "chatd_test.h"

static struct ct_server srv;

/* The last line of the event log, parsed. */
static json_t *last_event(const char *path)
{
	char line[8192], last[8192] = "";
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		strcpy(last, line);
	fclose(f);
	return json_loads(last, 0, NULL);
}

static void test_crash_before_persist_then_restart(void **state)
{
	char ts1[64], ts2[64], ts4[64];
	json_t *all, *ev;

	ct_start(&srv, "--failpoints", "before_persist=crash@3", NULL);
	assert_int_equal(ct_send(srv.port, "general", "crash-1", NULL, ts1, sizeof ts1), 200);
	assert_int_equal(ct_send(srv.port, "general", "crash-2", "c2", ts2, sizeof ts2), 200);
	/* The third POST never gets an answer: the server is gone. */
	assert_int_equal(ct_send(srv.port, "general", "crash-3", NULL, NULL, 0), -1);
	assert_int_equal(spawn_wait(&srv.sp, CT_TIMEOUT_MS), 0);
	assert_true(WIFSIGNALED(srv.sp.status));
	assert_int_equal(WTERMSIG(srv.sp.status), SIGKILL);
	/* Its last words were the failpoint, flushed before the kill. */
	ev = last_event(srv.events);
	assert_string_equal(ct_str(ev, "ev"), "failpoint");
	assert_string_equal(ct_str(ev, "name"), "before_persist");
	assert_string_equal(ct_str(ev, "action"), "crash");
	assert_int_equal(json_integer_value(json_object_get(ev, "hit")), 3);
	assert_string_equal(ct_str(ev, "text"), "crash-3");
	json_decref(ev);
	spawn_stop(&srv.sp, SIGKILL, 0);

	/* Restart on the same file: the two stored messages, nothing else. */
	ct_start(&srv, NULL);
	all = ct_history(srv.port, "general", 100, NULL);
	assert_int_equal(json_array_size(all), 2);
	assert_string_equal(ct_str(json_array_get(all, 0), "text"), "crash-1");
	assert_string_equal(ct_str(json_array_get(all, 0), "ts"), ts1);
	assert_string_equal(ct_str(json_array_get(all, 1), "text"), "crash-2");
	assert_string_equal(ct_str(json_array_get(all, 1), "ts"), ts2);
	assert_string_equal(ct_str(json_array_get(all, 1), "client_msg_id"), "c2");
	json_decref(all);
	/* The key survived too, and new ts continue above the old ones. */
	assert_int_equal(ct_send(srv.port, "general", "crash-2", "c2", ts4, sizeof ts4), 200);
	assert_string_equal(ts4, ts2);
	assert_int_equal(ct_send(srv.port, "general", "crash-4", NULL, ts4, sizeof ts4), 200);
	assert_true(strcmp(ts4, ts2) > 0);
	ct_stop_clean(&srv);
}

static void test_fanout_first_persist_failure_is_a_phantom(void **state)
{
	struct rawws ws;
	json_t *f, *resp;
	char ts[64];

	ct_start(&srv, "--http-order", "fanout-first", "--failpoints", "persist=fail@1", NULL);
	ct_ws_open(&srv, &ws);
	assert_int_equal(ct_post(srv.port, "{\"channel\":\"general\",\"text\":\"phantom\"}", &resp), 500);
	assert_string_equal(ct_str(resp, "error"), "store_failed");
	json_decref(resp);
	f = ct_ws_next(&ws);
	assert_string_equal(ct_str(f, "text"), "phantom");
	json_decref(f);
	assert_int_equal(ct_count_text(srv.port, "general", "phantom"), 0);
	/* The second persist works: pushed and stored. */
	assert_int_equal(ct_send(srv.port, "general", "real", NULL, ts, sizeof ts), 200);
	f = ct_ws_next(&ws);
	assert_string_equal(ct_str(f, "text"), "real");
	json_decref(f);
	assert_int_equal(ct_count_text(srv.port, "general", "real"), 1);
	rawws_close(&ws);
	ct_stop_clean(&srv);
}

static void test_persist_first_failure_pushes_nothing(void **state)
{
	struct rawws ws;
	json_t *f, *resp;
	char ts[64];

	ct_start(&srv, "--failpoints", "persist=fail@1", NULL);
	ct_ws_open(&srv, &ws);
	assert_int_equal(ct_post(srv.port, "{\"channel\":\"general\",\"text\":\"not-stored\"}", &resp), 500);
	assert_string_equal(ct_str(resp, "error"), "store_failed");
	json_decref(resp);
	assert_int_equal(ct_send(srv.port, "general", "stored", NULL, ts, sizeof ts), 200);
	/* The first push the subscriber sees is the stored message. */
	f = ct_ws_next(&ws);
	assert_string_equal(ct_str(f, "text"), "stored");
	assert_string_equal(ct_str(f, "ts"), ts);
	json_decref(f);
	assert_int_equal(ct_count_text(srv.port, "general", "not-stored"), 0);
	rawws_close(&ws);
	ct_stop_clean(&srv);
}

static void test_sigterm_is_clean_and_keeps_rows(void **state)
{
	char ts[64];
	int status, i;

	ct_start(&srv, NULL);
	for (i = 0; i < 10; i++)
		assert_int_equal(ct_send(srv.port, "random", "kept", NULL, ts, sizeof ts), 200);
	status = ct_stop(&srv);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ct_start(&srv, NULL);
	assert_int_equal(ct_count_text(srv.port, "random", "kept"), 10);
	ct_stop_clean(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CT_TEST(test_crash_before_persist_then_restart, &srv),
		CT_TEST(test_fanout_first_persist_failure_is_a_phantom, &srv),
		CT_TEST(test_persist_first_failure_pushes_nothing, &srv),
		CT_TEST(test_sigterm_is_clean_and_keeps_rows, &srv),
	};

	return CT_RUN(tests, NULL, NULL);
}
