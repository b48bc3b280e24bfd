/*
 * Tests of the fault table and a fault's life: every row is complete and
 * found by name, typos get the right suggestion, each row's validate refuses
 * what it must with the exact message and the argument to point at, the
 * process faults really act on running processes (crash, pause and its
 * heal, resume, restart through the runner's callback) and count what they
 * touched, and heal-all undoes the last applied first. The network faults
 * are proven on a real topology in harness_netfault.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../harness/capability.h"
#include "../../harness/fault_table.h"
#include "../../harness/proc.h"
#include "util.h"

static void test_table_complete(void **state)
{
	const char *const *names = fault_names();
	const struct fault_ops *const *rows = fault_table();
	int n = 0;

	(void)state;
	for (; names[n]; n++) {
		const struct fault_ops *ops = fault_lookup(names[n]);

		assert_non_null(ops);
		assert_ptr_equal(ops, rows[n]);
		assert_string_equal(ops->name, names[n]);
		assert_non_null(ops->validate);
		assert_non_null(ops->apply);
		assert_non_null(ops->describe);
		assert_non_null(ops->prove);
		assert_true(ops->proof && ops->proof[0]);
		assert_non_null(strstr(ops->usage, names[n]));
		assert_true(ops->summary[0] != '\0');
		assert_true(ops->min_args >= 1 && ops->min_args <= ops->max_args);
		assert_true(ops->max_args <= FAULT_MAX_ARGS);
		/* restart needs the stack's cooperation; storage faults a server data folder ({dir}) */
		if (strcmp(ops->name, "restart") == 0)
			assert_int_equal(ops->needs, CAP_RESTART);
		else if (strncmp(ops->name, "disk-", 5) == 0 || strcmp(ops->name, "lose-unsynced") == 0)
			assert_int_equal(ops->needs, CAP_STORAGE);
		else
			assert_int_equal(ops->needs, 0);
	}
	assert_int_equal(n, 21);
	assert_null(rows[n]);
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

/* One call of a row's validate, and what it must say. */
struct validate_case {
	const char *fault;
	int nargs;
	const char *args[5];
	int recipients;               /* FAULT_RECIPIENTS_UNKNOWN while a scenario is read */
	int bad_arg;                  /* -2: accepted */
	const char *err;
};

#define UNKNOWN FAULT_RECIPIENTS_UNKNOWN
#define OK -2

static const struct validate_case validate_cases[] = {
	{ "crash", 0, { NULL }, UNKNOWN, -1,
	  "fault 'crash' takes 1 argument, got 0 (usage: crash ROLE)" },
	{ "crash", 1, { "server" }, 0, OK, NULL },
	{ "crash", 1, { "router" }, 1, 0,
	  "unknown role 'router' (expected a role: client, server, recipient1)" },
	/* while the file is read, which roles exist is the parser's to check */
	{ "crash", 1, { "router" }, UNKNOWN, OK, NULL },
	{ "pause", 2, { "server", "client" }, UNKNOWN, 1,
	  "fault 'pause' takes 1 argument, got 2 (usage: pause ROLE)" },
	{ "pause", 1, { "recipient2" }, 1, 0,
	  "unknown role 'recipient2' (expected a role: client, server, recipient1)" },
	{ "pause", 1, { "recipient2" }, 2, OK, NULL },
	{ "resume", 0, { NULL }, UNKNOWN, -1,
	  "fault 'resume' takes 1 argument, got 0 (usage: resume ROLE)" },
	{ "resume", 1, { "client" }, 0, OK, NULL },
	{ "restart", 1, { "srever" }, 0, 0, "unknown role 'srever' (expected a role: client, server)" },
	{ "restart", 1, { "server" }, UNKNOWN, OK, NULL },
	{ "stop", 2, { "server", "client" }, UNKNOWN, 1,
	  "fault 'stop' takes 1 argument, got 2 (usage: stop ROLE)" },
	{ "stop", 1, { "server" }, UNKNOWN, OK, NULL },
	{ "drain", 0, { NULL }, UNKNOWN, -1,
	  "fault 'drain' takes 1 argument, got 0 (usage: drain ROLE)" },
	{ "drain", 1, { "server1" }, UNKNOWN, OK, NULL },
	{ "drop-replies", 1, { "client" }, UNKNOWN, -1,
	  "fault 'drop-replies' takes 2 arguments, got 1 (usage: drop-replies FROM-HOST TO-HOST)" },
	{ "drop-replies", 2, { "client", "client" }, UNKNOWN, 1,
	  "fault 'drop-replies' names 'client' twice (expected two different hosts: drop-replies FROM-HOST TO-HOST)" },
	{ "drop-replies", 2, { "router", "server" }, 1, 0,
	  "fault 'drop-replies' acts on a host's link, and the router has none of its own (expected a host: client, server, recipient1)" },
	{ "drop-replies", 2, { "client", "server" }, 0, OK, NULL },
	{ "drop", 3, { "client", "server", "router" }, UNKNOWN, 2,
	  "fault 'drop' takes 2 arguments, got 3 (usage: drop FROM-HOST TO-HOST)" },
	{ "drop", 2, { "client", "nowhere" }, 0, 1, "unknown host 'nowhere' (expected a host: client, server)" },
	{ "drop", 2, { "server", "recipient1" }, 1, OK, NULL },
	{ "blackhole", 1, { "router" }, UNKNOWN, 0,
	  "fault 'blackhole' acts on a host's link, and the router has none of its own (expected a host: client, server or a recipient)" },
	{ "blackhole", 2, { "client", "server" }, UNKNOWN, 1,
	  "fault 'blackhole' takes 1 argument, got 2 (usage: blackhole HOST)" },
	{ "blackhole", 1, { "recipient1" }, UNKNOWN, OK, NULL },
	{ "reset", 2, { "server", "server" }, UNKNOWN, 1,
	  "fault 'reset' names 'server' twice (expected two different hosts: reset FROM-HOST TO-HOST)" },
	{ "reset", 0, { NULL }, UNKNOWN, -1,
	  "fault 'reset' takes 2 arguments, got 0 (usage: reset FROM-HOST TO-HOST)" },
	{ "reset", 2, { "client", "server" }, UNKNOWN, OK, NULL },
	{ "evict-nat", 3, { "client", "server", "client" }, UNKNOWN, 2,
	  "fault 'evict-nat' takes 1 to 2 arguments, got 3 (usage: evict-nat FROM-HOST [TO-HOST])" },
	{ "evict-nat", 1, { "recipient3" }, 2, 0,
	  "unknown host 'recipient3' (expected a host: client, server, recipient1, recipient2)" },
	{ "evict-nat", 1, { "client" }, 0, OK, NULL },
	{ "evict-nat", 2, { "client", "server" }, 0, OK, NULL },
	{ "disk-full", 1, { "client" }, UNKNOWN, 0,
	  "fault 'disk-full' acts on the server's data folder ({dir}), and 'client' has none that acklab serves (expected: server)" },
	{ "disk-full", 0, { NULL }, UNKNOWN, -1,
	  "fault 'disk-full' takes 1 argument, got 0 (usage: disk-full server)" },
	{ "disk-full", 1, { "server" }, 0, OK, NULL },
	{ "disk-error", 2, { "server", "flush" }, UNKNOWN, 1,
	  "unknown operation 'flush' for disk-error (expected fsync, write or read; none for all three)" },
	{ "disk-error", 3, { "server", "read", "write" }, UNKNOWN, 2,
	  "fault 'disk-error' takes 1 to 2 arguments, got 3 (usage: disk-error server [fsync|write|read])" },
	{ "disk-error", 1, { "server" }, UNKNOWN, OK, NULL },
	{ "disk-error", 2, { "server", "fsync" }, UNKNOWN, OK, NULL },
	{ "disk-slow", 2, { "server", "soon" }, UNKNOWN, 1,
	  "disk-slow: the delay of each fsync in milliseconds: 'soon' is not a number" },
	{ "disk-slow", 2, { "server", "0" }, UNKNOWN, 1,
	  "disk-slow: the delay of each fsync in milliseconds: '0' is out of range 1..60000" },
	{ "disk-slow", 1, { "server" }, UNKNOWN, -1,
	  "fault 'disk-slow' takes 2 arguments, got 1 (usage: disk-slow server MS)" },
	{ "disk-slow", 2, { "server", "200ms" }, UNKNOWN, OK, NULL },
	{ "disk-slow", 2, { "server", "200" }, UNKNOWN, OK, NULL },
	{ "lose-unsynced", 1, { "recipient1" }, 1, 0,
	  "fault 'lose-unsynced' acts on the server's data folder ({dir}), and 'recipient1' has none that acklab serves (expected: server)" },
	{ "lose-unsynced", 1, { "server" }, 0, OK, NULL },
	{ "partition", 2, { "client", "client" }, UNKNOWN, 1,
	  "fault 'partition' names 'client' twice (expected two different hosts: partition HOST HOST)" },
	{ "partition", 2, { "recipient1", "server" }, 1, OK, NULL },
	{ "hold", 3, { "client", "server", "5ms" }, UNKNOWN, 2,
	  "fault 'hold' takes 2 arguments, got 3 (usage: hold FROM-HOST TO-HOST)" },
	{ "hold", 2, { "client", "server" }, 0, OK, NULL },
	{ "delay", 3, { "client", "server", "80" }, UNKNOWN, 2,
	  "bad duration '80' (expected a duration like 80ms or 2s)" },
	{ "delay", 5, { "client", "server", "80ms", "jiter", "20ms" }, UNKNOWN, 3,
	  "unexpected 'jiter' (usage: delay FROM-HOST TO-HOST DURATION [jitter DURATION])" },
	{ "delay", 4, { "client", "server", "80ms", "jitter" }, UNKNOWN, 4,
	  "missing duration after 'jitter' (usage: delay FROM-HOST TO-HOST DURATION [jitter DURATION])" },
	{ "delay", 5, { "client", "server", "80ms", "jitter", "2min" }, UNKNOWN, 4,
	  "bad duration '2min' (expected a duration like 80ms or 2s)" },
	{ "delay", 3, { "client", "server", "61s" }, UNKNOWN, 2,
	  "duration '61s' is too long (at most 60 s)" },
	{ "delay", 3, { "router", "server", "80ms" }, 1, 0,
	  "fault 'delay' acts on a host's link, and the router has none of its own (expected a host: client, server, recipient1)" },
	{ "delay", 3, { "client", "server", "1s" }, 0, OK, NULL },
	{ "delay", 5, { "client", "server", "80ms", "jitter", "20ms" }, 0, OK, NULL },
	{ "loss", 3, { "client", "server", "5" }, UNKNOWN, 2,
	  "bad chance '5' (expected a percentage like 5% or 0.5%)" },
	{ "loss", 3, { "client", "server", "0%" }, UNKNOWN, 2,
	  "chance '0%' is out of range (expected more than 0% and at most 100%)" },
	{ "loss", 3, { "client", "server", "100.5%" }, UNKNOWN, 2,
	  "chance '100.5%' is out of range (expected more than 0% and at most 100%)" },
	{ "loss", 3, { "client", "server", "0.5%" }, 0, OK, NULL },
	{ "duplicate", 2, { "client", "server" }, UNKNOWN, -1,
	  "fault 'duplicate' takes 3 arguments, got 2 (usage: duplicate FROM-HOST TO-HOST PERCENT)" },
	{ "duplicate", 3, { "server", "client", "100%" }, 0, OK, NULL },
	{ "reorder", 5, { "client", "server", "25%", "by", "x" }, UNKNOWN, 4,
	  "bad duration 'x' (expected a duration like 80ms or 2s)" },
	{ "reorder", 5, { "client", "server", "25%", "jitter", "5ms" }, UNKNOWN, 3,
	  "unexpected 'jitter' (usage: reorder FROM-HOST TO-HOST PERCENT [by DURATION])" },
	{ "reorder", 3, { "client", "server", "25%" }, 0, OK, NULL },
	{ "reorder", 5, { "client", "server", "25%", "by", "30ms" }, 0, OK, NULL },
};

static void test_validate(void **state)
{
	bool seen[32] = { false };
	const struct fault_ops *const *rows = fault_table();

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(validate_cases); i++) {
		const struct validate_case *c = &validate_cases[i];
		const struct fault_ops *ops = fault_lookup(c->fault);
		char err[256] = "";
		int bad = 99, rc;

		assert_non_null(ops);
		rc = fault_validate(ops, c->args, c->nargs, c->recipients, &bad, err, sizeof err);
		if (c->bad_arg == OK) {
			if (rc != 0)
				fail_msg("%s case %zu: refused: %s", c->fault, i, err);
			continue;
		}
		if (rc != -1)
			fail_msg("%s case %zu: accepted, expected '%s'", c->fault, i, c->err);
		assert_string_equal(err, c->err);
		assert_int_equal(bad, c->bad_arg);
		for (int r = 0; rows[r]; r++)
			if (rows[r] == ops)
				seen[r] = true;
	}
	/* every row has at least one refusal above */
	for (int r = 0; rows[r]; r++)
		if (!seen[r])
			fail_msg("no refused case for %s", rows[r]->name);
}

static void test_init_validates(void **state)
{
	struct fault f;
	char err[256];
	const char *two[] = { "client", "server" }, *same[] = { "client", "client" };

	(void)state;
	assert_int_equal(fault_init(&f, fault_lookup("drop-replies"), two, 1, err, sizeof err), -1);
	assert_string_equal(err, "fault 'drop-replies' takes 2 arguments, got 1 (usage: drop-replies FROM-HOST TO-HOST)");
	assert_int_equal(fault_init(&f, fault_lookup("crash"), two, 2, err, sizeof err), -1);
	assert_string_equal(err, "fault 'crash' takes 1 argument, got 2 (usage: crash ROLE)");
	assert_int_equal(fault_init(&f, fault_lookup("drop"), same, 2, err, sizeof err), -1);
	assert_string_equal(err, "fault 'drop' names 'client' twice (expected two different hosts: drop FROM-HOST TO-HOST)");
	assert_int_equal(fault_init(&f, fault_lookup("evict-nat"), two, 2, err, sizeof err), 0);
	assert_int_equal(fault_init(&f, fault_lookup("evict-nat"), two, 1, err, sizeof err), 0);
	assert_string_equal(f.args[0], "client");
	assert_int_equal(f.nargs, 1);
}

/* The roles of a pretend run: sleeping processes by name, and restarts counted. */
struct roles {
	const char *names[3];
	struct proc *procs[3];
	int restarts;
};

static struct proc *find_role(void *arg, const char *role)
{
	struct roles *r = arg;

	for (int i = 0; i < 3; i++)
		if (r->names[i] && strcmp(role, r->names[i]) == 0)
			return r->procs[i];
	return NULL;
}

static int restart_role(void *arg, const char *role, char *err, size_t errlen)
{
	((struct roles *)arg)->restarts++;
	return 0;
}

static void roles_start(struct roles *r)
{
	char *argv[] = { "/bin/sleep", "30", NULL };
	char err[256];

	for (int i = 0; i < 3 && r->names[i]; i++) {
		struct proc_spec spec = { r->names[i], -1, argv, NULL, false };

		if (proc_start(&r->procs[i], &spec, err, sizeof err) != 0)
			fail_msg("%s", err);
	}
}

static void roles_free(struct roles *r)
{
	for (int i = 0; i < 3; i++)
		proc_free(r->procs[i]);
}

static void fault_on(struct fault_env *env, struct fault *f, const char *name, const char *role)
{
	char err[256];
	const char *args[] = { role };

	assert_int_equal(fault_init(f, fault_lookup(name), args, 1, err, sizeof err), 0);
	if (fault_apply(f, env, err, sizeof err) != 0)
		fail_msg("%s", err);
}

/* A fault made of router rules bit only if a rule dropped a packet; marking a flow is not enough. */
static void test_bit(void **state)
{
	struct fault f;

	(void)state;
	memset(&f, 0, sizeof f);
	f.nft.nrules = 1;
	f.touched.flows = 1;
	assert_false(fault_bit(&f));
	f.touched.packets = 1;
	assert_true(fault_bit(&f));
	memset(&f, 0, sizeof f);             /* evict-nat: no rules, an evicted entry is its bite */
	assert_false(fault_bit(&f));
	f.touched.flows = 2;
	assert_true(fault_bit(&f));
	memset(&f, 0, sizeof f);
	f.touched.signalled = 1;              /* crash, pause, resume */
	assert_true(fault_bit(&f));
}

static void test_process_faults(void **state)
{
	struct roles roles = { { "server", NULL, NULL }, { NULL }, 0 };
	struct fault_env env = { NULL, find_role, restart_role, &roles, NULL, 0, NULL };
	struct fault f;
	char err[256], buf[160], *text;
	json_t *touched;
	const char *ghost[] = { "ghost" };

	(void)state;
	roles_start(&roles);
	struct proc *server = roles.procs[0];

	fault_on(&env, &f, "pause", "server");
	assert_int_equal(proc_state(server), PROC_PAUSED);
	assert_true(f.active);
	assert_int_equal(f.touched.signalled, 1);
	fault_describe(&f, buf, sizeof buf);
	assert_string_equal(buf, "froze server with SIGSTOP");
	assert_int_equal(fault_heal(&f, &env, err, sizeof err), 0);
	assert_int_equal(proc_state(server), PROC_RUNNING);
	assert_false(f.active);
	assert_true(f.healed);

	fault_on(&env, &f, "restart", "server");
	assert_int_equal(roles.restarts, 1);
	assert_int_equal(fault_touched(&f, &touched), 0);
	text = json_dumps(touched, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"bit\":true,\"bytes\":0,\"delayed\":0,\"duplicated\":0,\"flows\":0,\"held\":0,\"ops\":0,\"packets\":0,\"signalled\":0,\"started\":1}");
	free(text);
	json_decref(touched);

	fault_on(&env, &f, "crash", "server");
	assert_int_equal(proc_wait_exit(server, 2000), 0);
	assert_string_equal(proc_describe_exit(server, buf, sizeof buf), "signal 9 (KILL)");
	assert_int_equal(fault_touched(&f, &touched), 0);
	assert_int_equal(json_integer_value(json_object_get(touched, "signalled")), 1);
	json_decref(touched);
	/* crash cannot be healed: heal is a no-op, not an error */
	assert_int_equal(fault_heal(&f, &env, err, sizeof err), 0);
	assert_false(f.healed);

	assert_int_equal(fault_init(&f, fault_lookup("crash"), ghost, 1, err, sizeof err), 0);
	assert_int_equal(fault_apply(&f, &env, err, sizeof err), -1);
	assert_string_equal(err, "fault crash: crash: no role 'ghost' is running in this run");
	roles_free(&roles);
}

/* stop ends a process with SIGTERM and waits for it; drain without a balancer is a clear error. */
static void test_stop_and_drain(void **state)
{
	struct roles roles = { { "server1", NULL, NULL }, { NULL }, 0 };
	struct fault_env env = { NULL, find_role, restart_role, &roles, NULL, 0, NULL };
	const char *args[] = { "server1" };
	struct fault f;
	char err[256], buf[160];
	int64_t start;

	(void)state;
	roles_start(&roles);
	start = mono_ns();
	fault_on(&env, &f, "stop", "server1");
	assert_true(ms_since(start) < 2500);          /* sleep ends on SIGTERM: no wait for the grace */
	assert_int_equal(proc_wait_exit(roles.procs[0], 2000), 0);
	assert_string_equal(proc_describe_exit(roles.procs[0], buf, sizeof buf), "signal 15 (TERM)");
	assert_int_equal(f.touched.signalled, 1);
	fault_describe(&f, buf, sizeof buf);
	assert_string_equal(buf, "stopped server1 with SIGTERM, as a deploy does (SIGKILL after 3000 ms)");

	assert_int_equal(fault_init(&f, fault_lookup("drain"), args, 1, err, sizeof err), 0);
	assert_int_equal(fault_apply(&f, &env, err, sizeof err), -1);
	assert_string_equal(err, "fault drain: drain: this run has no balancer (servers N behind haproxy)");
	roles_free(&roles);
}

struct heal_log {
	char order[8][32];
	int n;
};

static void note_healed(void *arg, struct fault *f)
{
	struct heal_log *log = arg;

	snprintf(log->order[log->n++], sizeof log->order[0], "%s %s", f->ops->name, f->args[0]);
}

/* Pause server, client, recipient1 (A, B, C), in that order. */
static void pause_three(struct fault_env *env, struct fault *faults)
{
	fault_on(env, &faults[0], "pause", "server");
	fault_on(env, &faults[1], "pause", "client");
	fault_on(env, &faults[2], "pause", "recipient1");
}

/*
 * Apply A, B, C; heal all: C, B, A. A named heal takes only its own, and a
 * heal that fails stops the walk with the faults applied before it still
 * active, to be healed by the next heal.
 */
static void test_heal_order(void **state)
{
	struct roles roles = { { "server", "client", "recipient1" }, { NULL }, 0 };
	struct fault_env env = { NULL, find_role, restart_role, &roles, NULL, 0, NULL };
	struct fault faults[3];
	struct heal_log log = { .n = 0 };
	char err[256];

	(void)state;
	roles_start(&roles);
	pause_three(&env, faults);
	assert_int_equal(fault_heal_all(faults, 3, "", &env, note_healed, &log, err, sizeof err), 0);
	assert_int_equal(log.n, 3);
	assert_string_equal(log.order[0], "pause recipient1");
	assert_string_equal(log.order[1], "pause client");
	assert_string_equal(log.order[2], "pause server");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(proc_state(roles.procs[i]), PROC_RUNNING);
		assert_false(faults[i].active);
	}
	/* nothing left to heal */
	assert_int_equal(fault_heal_all(faults, 3, NULL, &env, note_healed, &log, err, sizeof err), 0);
	assert_int_equal(log.n, 3);

	log.n = 0;
	pause_three(&env, faults);
	assert_int_equal(fault_heal_all(faults, 3, "crash", &env, note_healed, &log, err, sizeof err), 0);
	assert_int_equal(log.n, 0);
	assert_int_equal(proc_state(roles.procs[0]), PROC_PAUSED);

	/* recipient1 is gone: its heal fails first, and the others wait */
	roles.names[2] = NULL;
	assert_int_equal(fault_heal_all(faults, 3, "pause", &env, note_healed, &log, err, sizeof err), -1);
	assert_string_equal(err, "heal pause: pause: no role 'recipient1' is running in this run");
	assert_int_equal(log.n, 0);
	assert_true(faults[0].active && faults[1].active && faults[2].active);
	roles.names[2] = "recipient1";
	assert_int_equal(fault_heal_all(faults, 3, "pause", &env, note_healed, &log, err, sizeof err), 0);
	assert_int_equal(log.n, 3);
	assert_string_equal(log.order[0], "pause recipient1");
	assert_string_equal(log.order[2], "pause server");
	roles_free(&roles);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_complete),
		cmocka_unit_test(test_suggestions),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_init_validates),
		cmocka_unit_test(test_process_faults),
		cmocka_unit_test(test_stop_and_drain),
		cmocka_unit_test(test_heal_order),
		cmocka_unit_test(test_bit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
