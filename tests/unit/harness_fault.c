/*
 * Tests of the fault table: every row is complete and found by name, typos
 * get the right suggestion, argument counts are checked with the row's usage,
 * and the process faults really act on a running process (crash, pause and
 * its heal, resume, restart through the runner's callback). The network
 * faults are proven on a real topology in harness_netfault.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../harness/fault.h"
#include "../../harness/proc.h"
#include "util.h"

static void test_table_complete(void **state)
{
	const char *const *names = fault_names();
	int n = 0;

	(void)state;
	for (; names[n]; n++) {
		const struct fault_ops *ops = fault_lookup(names[n]);

		assert_non_null(ops);
		assert_string_equal(ops->name, names[n]);
		assert_non_null(ops->apply);
		assert_non_null(ops->describe);
		assert_non_null(strstr(ops->usage, names[n]));
		assert_true(ops->summary[0] != '\0');
		assert_true(ops->min_args >= 1 && ops->min_args <= ops->max_args);
		assert_true(ops->max_args <= FAULT_MAX_ARGS);
	}
	assert_int_equal(n, 9);
	assert_null(fault_lookup("heal"));
	assert_null(fault_lookup("netem"));
}

static void test_suggestions(void **state)
{
	(void)state;
	assert_string_equal(fault_suggest("drop-reply"), "drop-replies");
	assert_string_equal(fault_suggest("evict"), "evict-nat");
	assert_string_equal(fault_suggest("crsh"), "crash");
	assert_string_equal(fault_suggest("restrat"), "restart");
	assert_string_equal(fault_suggest("blackhol"), "blackhole");
	assert_null(fault_suggest("teleport"));
	assert_int_equal(edit_distance("kitten", "sitting"), 3);
	assert_int_equal(edit_distance("", "abc"), 3);
}

static void test_arg_counts(void **state)
{
	struct fault f;
	char err[256];
	const char *two[] = { "client", "server" };

	(void)state;
	assert_int_equal(fault_init(&f, fault_lookup("drop-replies"), two, 1, err, sizeof err), -1);
	assert_string_equal(err, "drop-replies takes 2 arguments (usage: drop-replies FROM-HOST TO-HOST)");
	assert_int_equal(fault_init(&f, fault_lookup("crash"), two, 2, err, sizeof err), -1);
	assert_string_equal(err, "crash takes 1 argument (usage: crash ROLE)");
	assert_int_equal(fault_init(&f, fault_lookup("evict-nat"), two, 2, err, sizeof err), 0);
	assert_int_equal(fault_init(&f, fault_lookup("evict-nat"), two, 1, err, sizeof err), 0);
	assert_string_equal(f.args[0], "client");
	assert_int_equal(f.nargs, 1);
}

struct roles {
	struct proc *server;
	int restarts;
};

static struct proc *find_role(void *arg, const char *role)
{
	struct roles *r = arg;

	return strcmp(role, "server") == 0 ? r->server : NULL;
}

static int restart_role(void *arg, const char *role, char *err, size_t errlen)
{
	((struct roles *)arg)->restarts++;
	return 0;
}

static void fault_on(struct fault_env *env, struct fault *f, const char *name, const char *role)
{
	char err[256];
	const char *args[] = { role };

	assert_int_equal(fault_init(f, fault_lookup(name), args, 1, err, sizeof err), 0);
	assert_int_equal(fault_apply(f, env, err, sizeof err), 0);
}

static void test_process_faults(void **state)
{
	char *argv[] = { "/bin/sleep", "30", NULL };
	struct proc_spec spec = { "server", -1, argv, NULL, false };
	struct roles roles = { NULL, 0 };
	struct fault_env env = { NULL, find_role, restart_role, &roles };
	struct fault f;
	char err[256], buf[160];
	const char *ghost[] = { "ghost" };

	(void)state;
	assert_int_equal(proc_start(&roles.server, &spec, err, sizeof err), 0);

	fault_on(&env, &f, "pause", "server");
	assert_int_equal(proc_state(roles.server), PROC_PAUSED);
	assert_true(f.active);
	fault_describe(&f, buf, sizeof buf);
	assert_string_equal(buf, "froze server with SIGSTOP");
	assert_int_equal(fault_heal(&f, &env, err, sizeof err), 0);
	assert_int_equal(proc_state(roles.server), PROC_RUNNING);
	assert_false(f.active);

	fault_on(&env, &f, "restart", "server");
	assert_int_equal(roles.restarts, 1);

	fault_on(&env, &f, "crash", "server");
	assert_int_equal(proc_wait_exit(roles.server, 2000), 0);
	assert_string_equal(proc_describe_exit(roles.server, buf, sizeof buf), "signal 9 (KILL)");
	/* crash cannot be healed: heal is a no-op, not an error */
	assert_int_equal(fault_heal(&f, &env, err, sizeof err), 0);

	assert_int_equal(fault_init(&f, fault_lookup("crash"), ghost, 1, err, sizeof err), 0);
	assert_int_equal(fault_apply(&f, &env, err, sizeof err), -1);
	assert_string_equal(err, "fault crash: crash: no role 'ghost' is running in this run");
	proc_free(roles.server);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_complete),
		cmocka_unit_test(test_suggestions),
		cmocka_unit_test(test_arg_counts),
		cmocka_unit_test(test_process_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
