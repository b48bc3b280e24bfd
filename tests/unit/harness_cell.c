/*
 * Tests of a cell's state and its settle step, without a network: the
 * connection forms of await and the settled predicate on canned arrivals
 * (what the client showed, what recipients showed, who is reconnecting),
 * then the settle step itself on the loop, with shell scripts standing in
 * for the client and a recipient: it ends once all is shown and quiet, it
 * still records a duplicate push that arrives after everything was shown,
 * and it runs to its bound while a message shown Sent is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness/cell.h"
#include "util.h"

struct fixture {
	struct cell c;
	struct scenario s;
	struct runner_opts o;
	char dir[64];
	char ids[3][SCN_ID_MAX];
	char tokens[3][96];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);

	if (!fx)
		return -1;
	fx->s.recipients = 1;
	str_copy(fx->s.channel, "general", sizeof fx->s.channel);
	str_copy(fx->s.name, "t", sizeof fx->s.name);
	fx->s.msg_ids = fx->ids;
	fx->c.tokens = fx->tokens;
	for (int i = 0; i < 3; i++) {
		snprintf(fx->ids[i], sizeof fx->ids[i], "m%d", i + 1);
		snprintf(fx->tokens[i], sizeof fx->tokens[i], "acklab-00ff-m%d", i + 1);
	}
	fx->s.nmsgs = 3;
	fx->c.s = &fx->s;
	fx->c.o = &fx->o;
	fx->c.hist = history_new();
	strcpy(fx->dir, "/tmp/acklab-cell-XXXXXX");
	if (!fx->c.hist || !mkdtemp(fx->dir))
		return -1;
	str_copy(fx->c.dir, fx->dir, sizeof fx->c.dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	for (int i = 0; i < fx->c.nroles; i++)
		proc_free(fx->c.roles[i].proc);
	cell_progress_free(&fx->c);
	history_free(fx->c.hist);
	free(fx->c.log);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* A role's line, as the loop would record it. */
static void said(struct fixture *fx, const char *role, const char *json)
{
	json_t *e = history_add_line(fx->c.hist, role, json, mono_ns());

	assert_non_null(e);
	cell_log_arrival(&fx->c, role, e);
}

/* acklab asked the client to send id (on the followed channel when watched). */
static void asked(struct fixture *fx, const char *id, bool watched)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "ev", "send", "id", id, "token", cell_token(&fx->c, id),
			      "watched", watched);

	assert_non_null(history_add(fx->c.hist, "acklab", o, mono_ns()));
	assert_int_equal(cell_asked(&fx->c, watched), 0);
}

/* Where an await matched: the next un-keyed await looks from just after it. */
static void test_seen_at(void **state)
{
	struct fixture *fx = *state;
	struct cell *c = &fx->c;
	char line[160];

	snprintf(line, sizeof line, "{\"ev\":\"persisted\",\"text\":\"m10 (%s)\"}", cell_token(c, "m1"));
	said(fx, "server", "{\"ev\":\"ready\"}");
	said(fx, "server", line);
	said(fx, "server", "{\"ev\":\"exit\"}");        /* in the same turn as persisted */
	assert_int_equal(cell_seen_at(c, 0, "server", "persisted", "m1"), 1);
	assert_int_equal(cell_seen_at(c, 2, "server", "persisted", "m1"), SIZE_MAX);
	assert_int_equal(cell_seen_at(c, 2, "server", "exit", NULL), 2);
	assert_int_equal(cell_seen_at(c, 0, "client", "exit", NULL), SIZE_MAX);
}

static void test_await_connection(void **state)
{
	struct fixture *fx = *state;
	struct cell *c = &fx->c;

	/* An HTTP client says neither: there is no connection to wait for. */
	said(fx, "client", "{\"ev\":\"ready\"}");
	assert_true(cell_await_holds(c, 0, "client", "connected", NULL));
	assert_true(cell_await_holds(c, 0, "client", "disconnected", NULL));

	said(fx, "client", "{\"ev\":\"connected\"}");
	said(fx, "client", "{\"ev\":\"disconnected\",\"reason\":\"heartbeat\"}");
	said(fx, "client", "{\"ev\":\"connected\"}");
	c->fault_from = c->nlog;          /* a fault fires now */
	/* The disconnect before the fault does not count; the old connection is still up as far as it knows. */
	assert_false(cell_await_holds(c, 0, "client", "disconnected", NULL));
	assert_true(cell_await_holds(c, 0, "client", "connected", NULL));

	said(fx, "client", "{\"ev\":\"disconnected\",\"reason\":\"heartbeat\"}");
	assert_true(cell_await_holds(c, 0, "client", "disconnected", NULL));
	assert_false(cell_await_holds(c, 0, "client", "connected", NULL));
	said(fx, "client", "{\"ev\":\"connected\"}");
	assert_true(cell_await_holds(c, 0, "client", "connected", NULL));
	/* Holding does not depend on the await's own window, which other events use. */
	assert_true(cell_await_holds(c, c->nlog, "client", "disconnected", NULL));
	assert_false(cell_await_holds(c, c->nlog, "client", "ready", NULL));
	assert_true(cell_await_holds(c, 0, "client", "ready", NULL));
	/* Another role's connection is its own. */
	assert_true(cell_await_holds(c, 0, "recipient1", "disconnected", NULL));
}

static void test_settled(void **state)
{
	struct fixture *fx = *state;
	struct cell *c = &fx->c;
	char why[128];

	assert_true(cell_settled(c, why, sizeof why));
	asked(fx, "m1", true);
	said(fx, "client", "{\"ev\":\"sending\",\"id\":\"m1\",\"attempt\":1}");
	assert_false(cell_settled(c, why, sizeof why));
	assert_string_equal(why, "the client has shown m1 neither Sent nor Failed");
	said(fx, "client", "{\"ev\":\"sent\",\"id\":\"m1\",\"ts\":\"1.1\"}");
	assert_false(cell_settled(c, why, sizeof why));
	assert_string_equal(why, "recipient1 has not shown m1");
	said(fx, "recipient1", "{\"ev\":\"received\",\"ts\":\"1.1\",\"text\":\"m1 (acklab-00ff-m1)\"}");
	assert_true(cell_settled(c, why, sizeof why));
	assert_string_equal(why, "");

	/* Sent to a channel recipients do not follow, or shown Failed: nobody has to show it. */
	asked(fx, "m2", false);
	said(fx, "client", "{\"ev\":\"sent\",\"id\":\"m2\",\"ts\":\"1.2\"}");
	asked(fx, "m3", true);
	said(fx, "client", "{\"ev\":\"failed\",\"id\":\"m3\",\"error\":\"timeout\"}");
	assert_true(cell_settled(c, NULL, 0));

	/* A recipient between a disconnect and its reconnect may still catch up. */
	said(fx, "recipient1", "{\"ev\":\"disconnected\",\"reason\":\"closed by peer\"}");
	assert_false(cell_settled(c, why, sizeof why));
	assert_string_equal(why, "recipient1 has not reconnected");
	said(fx, "recipient1", "{\"ev\":\"connected\"}");
	assert_true(cell_settled(c, why, sizeof why));
}

/* Start a shell script as a role, in acklab's own namespace. */
static void role_script(struct fixture *fx, const char *name, const char *script)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct proc_spec spec = { name, -1, argv, fx->dir, false };
	struct role *r = &fx->c.roles[fx->c.nroles++];
	char err[256] = "";

	str_copy(r->name, name, sizeof r->name);
	if (proc_start(&r->proc, &spec, err, sizeof err) != 0)
		fail_msg("%s", err);
}

/* The "settled" entry the settle step recorded. */
static json_t *settled_entry(struct fixture *fx)
{
	for (size_t i = history_len(fx->c.hist); i-- > 0;) {
		json_t *e = history_at(fx->c.hist, i);
		const char *ev = json_string_value(json_object_get(e, "ev"));

		if (ev && strcmp(ev, "settled") == 0)
			return e;
	}
	fail_msg("no settled entry");
	return NULL;
}

static int received_count(struct fixture *fx, const char *token)
{
	int n = 0;

	for (size_t i = 0; i < history_len(fx->c.hist); i++) {
		json_t *e = history_at(fx->c.hist, i);
		const char *ev = json_string_value(json_object_get(e, "ev"));
		const char *text = json_string_value(json_object_get(e, "text"));

		n += ev && text && strcmp(ev, "received") == 0 && strstr(text, token);
	}
	return n;
}

/*
 * The recipient shows m1, then 30 ms later the same message again under a
 * second ts (a retry that was stored and pushed twice). Everything was shown
 * before the duplicate arrived; the quiet period still has to record it.
 */
static void test_settle_waits_out_a_late_duplicate(void **state)
{
	struct fixture *fx = *state;
	int64_t start;
	double ms;

	asked(fx, "m1", true);
	role_script(fx, "client", "echo '{\"ev\":\"sent\",\"id\":\"m1\",\"ts\":\"1.1\"}'; exec sleep 5");
	role_script(fx, "recipient1",
		    "echo '{\"ev\":\"received\",\"ts\":\"1.1\",\"text\":\"m1 (acklab-00ff-m1)\"}'; sleep 0.03; "
		    "echo '{\"ev\":\"received\",\"ts\":\"1.2\",\"text\":\"m1 (acklab-00ff-m1)\"}'; exec sleep 5");
	start = mono_ns();
	cell_settle(&fx->c, 2000);
	ms = ms_since(start);
	assert_int_equal(received_count(fx, "acklab-00ff-m1"), 2);
	assert_true(json_is_true(json_object_get(settled_entry(fx), "early")));
	assert_true(ms >= 30 + CELL_QUIET_MS);
	assert_true(ms < 1500);
	assert_false(fx->c.failed);
}

/* A message shown Sent that no recipient ever shows (lost, or late): settle runs to its bound. */
static void test_settle_runs_to_its_bound_while_a_message_is_missing(void **state)
{
	struct fixture *fx = *state;
	int64_t start;
	json_t *e;

	asked(fx, "m1", true);
	asked(fx, "m2", true);
	role_script(fx, "client", "echo '{\"ev\":\"sent\",\"id\":\"m1\"}'; echo '{\"ev\":\"sent\",\"id\":\"m2\"}'; "
		    "exec sleep 5");
	role_script(fx, "recipient1", "echo '{\"ev\":\"received\",\"ts\":\"1.1\",\"text\":\"m1 (acklab-00ff-m1)\"}'; "
		    "exec sleep 5");
	start = mono_ns();
	cell_settle(&fx->c, 300);
	assert_true(ms_since(start) >= 300);
	e = settled_entry(fx);
	assert_false(json_is_true(json_object_get(e, "early")));
	assert_string_equal(json_string_value(json_object_get(e, "waiting_for")), "recipient1 has not shown m2");
}

/*
 * A role's exit wakes the loop at once (its pidfd), with no beat to wait
 * for. The role's stdout stays open in a helper it leaves behind, so only
 * the exit itself can end the turn.
 */
static void test_exit_wakes_the_loop(void **state)
{
	struct fixture *fx = *state;
	int64_t start;

	role_script(fx, "client", "sleep 5 & exec sleep 0.05");
	start = mono_ns();
	cell_turn(&fx->c, 1000);
	assert_true(fx->c.roles[0].exited_recorded);
	assert_true(ms_since(start) >= 40);
	assert_true(ms_since(start) < 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_await_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen_at, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settle_waits_out_a_late_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settle_runs_to_its_bound_while_a_message_is_missing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exit_wakes_the_loop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
