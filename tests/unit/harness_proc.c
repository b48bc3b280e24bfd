/*
 * Unit tests for proc.c, in acklab's own namespace (netns_fd = -1): lines
 * read with their times, partial and over-long lines, stdin echoed through
 * cat, exit statuses and signals recorded, pause and resume observed through
 * poll deadlines, restarts appending to the same logs, a clear error for a
 * missing binary and for writing to a dead child, a link planted in place
 * of a log or of the log folder refused, no process left after proc_free,
 * and (inside the sandbox) a private /tmp for every life of a role. Every wait is bounded; each test gets its own log directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../harness/proc.h"
#include "../../harness/sandbox.h"
#include "util.h"

struct lines {
	char *text[16];
	int64_t t[16];
	size_t len[16];
	int n;
};

static void on_line(void *arg, struct proc *p, const char *line, int64_t t_ns)
{
	struct lines *l = arg;

	(void)p;
	if (l->n < 16) {
		l->text[l->n] = strdup(line);
		l->len[l->n] = strlen(line);
		l->t[l->n] = t_ns;
	}
	l->n++;
}

static void lines_free(struct lines *l)
{
	for (int i = 0; i < l->n && i < 16; i++)
		free(l->text[i]);
	memset(l, 0, sizeof(*l));
}

/* Drain until at least want lines or end of file, or timeout_ms passes. Returns the last drain result. */
static int drain_until(struct proc *p, struct lines *l, int want, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	int r = 0;

	while (l->n < want) {
		int64_t left = (deadline - mono_ns()) / 1000000;
		struct pollfd pfd = { proc_stdout_fd(p), POLLIN, 0 };

		if (left <= 0 || pfd.fd < 0)
			break;
		poll(&pfd, 1, (int)left);
		r = proc_drain(p, on_line, l);
		if (r != 0)
			break;
	}
	return r;
}

static char *read_file(const char *dir, const char *name)
{
	char path[512];
	FILE *f;
	char *buf = calloc(1, 1 << 20);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f) {
		size_t n = fread(buf, 1, (1 << 20) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	strcpy(fx->dir, "/tmp/acklab-proc-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static struct proc *start(struct fixture *fx, const char *role, const char *script, bool want_stdin)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct proc_spec spec = { role, -1, argv, fx->dir, want_stdin };
	struct proc *p = NULL;
	char err[256] = "";

	if (proc_start(&p, &spec, err, sizeof(err)) != 0)
		fail_msg("proc_start: %s", err);
	return p;
}

static void test_lines_and_exit(void **state)
{
	struct fixture *fx = *state;
	struct lines l = { 0 };
	int64_t before = mono_ns();
	struct proc *p = start(fx, "server", "echo one; printf 'two\\nthr'; sleep 0.05; printf 'ee\\nlast'; "
				     "echo oops >&2; exit 3", false);
	char buf[64], *log;

	assert_int_equal(proc_state(p), PROC_RUNNING);
	assert_int_equal(proc_starts(p), 1);
	assert_true(proc_pid(p) > 0);
	assert_string_equal(proc_describe_exit(p, buf, sizeof(buf)), "running");
	assert_int_equal(drain_until(p, &l, 100, 3000), 1);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.text[0], "one");
	assert_string_equal(l.text[1], "two");
	assert_string_equal(l.text[2], "three");
	assert_string_equal(l.text[3], "last");
	assert_true(l.t[0] >= before && l.t[2] >= l.t[1] + 40000000);
	assert_int_equal(proc_stdout_fd(p), -1);
	assert_int_equal(proc_wait_exit(p, 2000), 0);
	assert_int_equal(proc_state(p), PROC_EXITED);
	assert_string_equal(proc_describe_exit(p, buf, sizeof(buf)), "exit 3");
	assert_int_equal(proc_reap(p), 0);
	proc_free(p);

	log = read_file(fx->dir, "server.stdout.log");
	assert_string_equal(log, "one\ntwo\nthree\nlast\n");
	free(log);
	log = read_file(fx->dir, "server.stderr.log");
	assert_string_equal(log, "oops\n");
	free(log);
	lines_free(&l);
}

static void test_long_line_split(void **state)
{
	struct fixture *fx = *state;
	struct lines l = { 0 };
	/* 150000 'x' then a newline then "end". */
	struct proc *p = start(fx, "long", "head -c 150000 /dev/zero | tr '\\0' x; echo; echo end", false);

	assert_int_equal(drain_until(p, &l, 100, 5000), 1);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.len[0], 65536);
	assert_int_equal(l.len[1], 65536);
	assert_int_equal(l.len[2], 150000 - 2 * 65536);
	assert_string_equal(l.text[3], "end");
	proc_free(p);
	lines_free(&l);
}

static void test_stdin_echo_and_dead_child(void **state)
{
	struct fixture *fx = *state;
	struct lines l = { 0 };
	struct proc *p = start(fx, "client", "exec cat", true);
	char err[256] = "", buf[64];

	assert_int_equal(proc_write_line(p, "{\"op\":\"send\",\"id\":\"m1\"}", err, sizeof(err)), 0);
	assert_int_equal(proc_write_line(p, "second", err, sizeof(err)), 0);
	drain_until(p, &l, 2, 2000);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.text[0], "{\"op\":\"send\",\"id\":\"m1\"}");
	assert_string_equal(l.text[1], "second");
	/* End of input: cat exits 0. */
	proc_close_stdin(p);
	assert_int_equal(drain_until(p, &l, 100, 2000), 1);
	assert_int_equal(proc_wait_exit(p, 2000), 0);
	assert_string_equal(proc_describe_exit(p, buf, sizeof(buf)), "exit 0");
	assert_int_equal(proc_write_line(p, "late", err, sizeof(err)), -1);
	assert_string_equal(err, "role 'client': stdin is closed");
	proc_free(p);
	lines_free(&l);

	/* A child that is gone: EPIPE becomes an error message, SIGPIPE does not kill us. */
	p = start(fx, "client", "exit 0", true);
	assert_int_equal(proc_wait_exit(p, 2000), 0);
	assert_int_equal(proc_write_line(p, "hello", err, sizeof(err)), -1);
	assert_string_equal(err, "role 'client': cannot write to stdin: the process has closed it or exited");
	proc_free(p);
}

static void test_kill_recorded(void **state)
{
	struct fixture *fx = *state;
	struct proc *p = start(fx, "server", "exec sleep 30", false);
	char err[256] = "", buf[64];

	assert_int_equal(proc_reap(p), 0);
	assert_int_equal(proc_signal(p, SIGKILL, err, sizeof(err)), 0);
	assert_int_equal(proc_wait_exit(p, 2000), 0);
	assert_string_equal(proc_describe_exit(p, buf, sizeof(buf)), "signal 9 (KILL)");
	assert_true(WIFSIGNALED(proc_exit_status(p)));
	assert_int_equal(proc_signal(p, SIGKILL, err, sizeof(err)), -1);
	assert_string_equal(err, "role 'server': cannot send signal 9 (KILL): it has exited");
	proc_free(p);
}

static void test_reap_polls(void **state)
{
	struct fixture *fx = *state;
	struct proc *p = start(fx, "quick", "exit 7", false);
	int64_t deadline = mono_ns() + 2000000000LL;
	char buf[64];
	int r = 0;

	while (r == 0 && mono_ns() < deadline) {
		struct pollfd pfd = { -1, 0, 0 };

		r = proc_reap(p);
		if (r == 0)
			poll(&pfd, 0, 5);
	}
	assert_int_equal(r, 1);
	assert_string_equal(proc_describe_exit(p, buf, sizeof(buf)), "exit 7");
	proc_free(p);
}

/* An exit wakes a poll on the pidfd at once; a collected life has none; a restart has a new one. */
static void test_pidfd_wakes_on_exit(void **state)
{
	struct fixture *fx = *state;
	struct proc *p = start(fx, "server", "exec sleep 30", false);
	struct pollfd pfd = { proc_pidfd(p), POLLIN, 0 };
	char err[256] = "";
	int64_t t;

	assert_true(pfd.fd >= 0);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(proc_signal(p, SIGKILL, err, sizeof(err)), 0);
	t = mono_ns();
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_true(pfd.revents & POLLIN);
	assert_true(mono_ns() - t < 1000000000LL);
	assert_int_equal(proc_reap(p), 1);
	assert_int_equal(proc_pidfd(p), -1);
	assert_int_equal(proc_restart(p, err, sizeof(err)), 0);
	assert_true(proc_pidfd(p) >= 0);
	proc_free(p);
}

static void test_reap_children(void **state)
{
	struct fixture *fx = *state;
	struct proc *p = start(fx, "server", "exit 5", false);
	struct proc *alive = start(fx, "client", "exec sleep 30", false);
	int64_t deadline = mono_ns() + 2000000000LL;
	pid_t stray = fork();
	char buf[64];
	int reaped = 0;

	if (stray == 0)
		_exit(0);
	assert_true(stray > 0);
	/* The role's exit is recorded, the stray child is reaped, the live role is untouched. */
	while (reaped < 2 && mono_ns() < deadline) {
		struct pollfd none = { -1, 0, 0 };

		reaped += proc_reap_children();
		if (reaped < 2)
			poll(&none, 0, 5);
	}
	assert_int_equal(reaped, 2);
	assert_int_equal(waitpid(stray, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(proc_state(p), PROC_EXITED);
	assert_int_equal(proc_reap(p), 1);
	assert_int_equal(proc_reap(p), 0);
	assert_string_equal(proc_describe_exit(p, buf, sizeof(buf)), "exit 5");
	assert_int_equal(proc_state(alive), PROC_RUNNING);
	assert_int_equal(proc_reap(alive), 0);
	proc_free(alive);
	proc_free(p);
}

static void test_pause_resume(void **state)
{
	struct fixture *fx = *state;
	struct lines l = { 0 };
	struct proc *p = start(fx, "recipient1", "exec cat", true);
	char err[256] = "", buf[64];
	struct pollfd pfd;

	assert_int_equal(proc_signal(p, SIGSTOP, err, sizeof(err)), 0);
	assert_int_equal(proc_state(p), PROC_PAUSED);
	assert_string_equal(proc_describe_exit(p, buf, sizeof(buf)), "running (paused)");
	assert_int_equal(proc_write_line(p, "while paused", err, sizeof(err)), 0);
	/* A paused cat must not echo: nothing readable for 300 ms. */
	pfd = (struct pollfd){ proc_stdout_fd(p), POLLIN, 0 };
	assert_int_equal(poll(&pfd, 1, 300), 0);
	assert_int_equal(proc_reap(p), 0);

	assert_int_equal(proc_signal(p, SIGCONT, err, sizeof(err)), 0);
	assert_int_equal(proc_state(p), PROC_RUNNING);
	drain_until(p, &l, 1, 2000);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text[0], "while paused");

	/* Stopping a paused role still works (SIGCONT first), and quickly. */
	assert_int_equal(proc_signal(p, SIGSTOP, err, sizeof(err)), 0);
	{
		int64_t t0 = mono_ns();

		proc_stop(p, 2000);
		assert_true(mono_ns() - t0 < 1000000000LL);
	}
	assert_int_equal(proc_state(p), PROC_EXITED);
	assert_string_equal(proc_describe_exit(p, buf, sizeof(buf)), "signal 15 (TERM)");
	proc_free(p);
	lines_free(&l);
}

static void test_stop_escalates(void **state)
{
	struct fixture *fx = *state;
	struct proc *p = start(fx, "stubborn", "trap '' TERM; echo ready; while :; do sleep 0.05; done", false);
	struct lines l = { 0 };
	char buf[64];
	int64_t t0;

	drain_until(p, &l, 1, 2000);
	assert_int_equal(l.n, 1);
	t0 = mono_ns();
	proc_stop(p, 200);
	assert_true(mono_ns() - t0 >= 190000000LL);
	assert_true(mono_ns() - t0 < 2000000000LL);
	assert_string_equal(proc_describe_exit(p, buf, sizeof(buf)), "signal 9 (KILL)");
	proc_free(p);
	lines_free(&l);
}

static void test_restart_appends(void **state)
{
	struct fixture *fx = *state;
	struct lines l = { 0 };
	struct proc *p = start(fx, "server", "echo err >&2; echo life; exec sleep 30", false);
	char err[256] = "", buf[64], *log;
	pid_t first;

	drain_until(p, &l, 1, 2000);
	first = proc_pid(p);
	assert_int_equal(proc_restart(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is still running"));
	assert_int_equal(proc_signal(p, SIGKILL, err, sizeof(err)), 0);
	assert_int_equal(proc_wait_exit(p, 2000), 0);
	assert_int_equal(proc_restart(p, err, sizeof(err)), 0);
	assert_int_equal(proc_starts(p), 2);
	assert_int_equal(proc_state(p), PROC_RUNNING);
	assert_true(proc_pid(p) != first);
	drain_until(p, &l, 2, 2000);
	assert_int_equal(l.n, 2);
	proc_stop(p, 1000);
	assert_string_equal(proc_describe_exit(p, buf, sizeof(buf)), "signal 15 (TERM)");
	proc_free(p);

	log = read_file(fx->dir, "server.stdout.log");
	assert_string_equal(log, "life\nlife\n");
	free(log);
	log = read_file(fx->dir, "server.stderr.log");
	assert_string_equal(log, "err\nerr\n");
	free(log);
	lines_free(&l);
}

static void test_free_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	struct lines l = { 0 };
	/* The shell forks a helper that prints its pid: both must be gone. */
	struct proc *p = start(fx, "server", "sleep 30 & echo $!; wait", false);
	pid_t leader = proc_pid(p);
	long helper;

	drain_until(p, &l, 1, 2000);
	assert_int_equal(l.n, 1);
	helper = strtol(l.text[0], NULL, 10);
	assert_true(helper > 0);
	proc_free(p);
	assert_int_equal(kill(leader, 0), -1);
	assert_int_equal(errno, ESRCH);
	/* The helper is not our child: it may be a zombie of its reaper for a moment. */
	{
		int64_t deadline = mono_ns() + 2000000000LL;
		char path[64], st[256] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%ld/stat", helper);
		while (mono_ns() < deadline && (f = fopen(path, "r"))) {
			struct pollfd none = { -1, 0, 0 };
			char *paren;

			st[fread(st, 1, sizeof(st) - 1, f)] = '\0';
			fclose(f);
			paren = strrchr(st, ')');
			if (paren && paren[2] == 'Z')
				break;
			poll(&none, 0, 5);
		}
		assert_true(kill((pid_t)helper, 0) == -1 || (strrchr(st, ')') && strrchr(st, ')')[2] == 'Z'));
	}
	lines_free(&l);
}

static void test_missing_binary(void **state)
{
	struct fixture *fx = *state;
	char *argv[] = { "/nope", NULL };
	struct proc_spec spec = { "server", -1, argv, fx->dir, false };
	struct proc *p = (struct proc *)1;
	char err[256] = "";

	assert_int_equal(proc_start(&p, &spec, err, sizeof(err)), -1);
	assert_null(p);
	assert_string_equal(err, "role 'server': cannot run '/nope': No such file or directory");

	spec.log_dir = "/nonexistent/dir";
	argv[0] = "true";
	assert_int_equal(proc_start(&p, &spec, err, sizeof(err)), -1);
	assert_string_equal(err, "role 'server': logs: cannot open /nonexistent/dir: /nonexistent: "
				 "No such file or directory");
	proc_free(NULL);
}

/* A link planted in place of a log, or of the log folder: refused, and nothing is written through it. */
static void test_log_links_refused(void **state)
{
	struct fixture *fx = *state;
	char *argv[] = { "/bin/sh", "-c", "echo written >&2; echo written", NULL };
	struct proc_spec spec = { "server", -1, argv, fx->dir, false };
	struct proc *p = (struct proc *)1;
	char err[512] = "", want[512], target[128], link_dir[128], *text;
	FILE *f;

	snprintf(target, sizeof(target), "%s/precious", fx->dir);
	f = fopen(target, "w");
	assert_non_null(f);
	fputs("precious\n", f);
	fclose(f);
	for (int i = 0; i < 2; i++) {
		char link_path[128];
		const char *kind = i == 0 ? "stderr" : "stdout";

		snprintf(link_path, sizeof(link_path), "%s/server.%s.log", fx->dir, kind);
		assert_int_equal(symlink(target, link_path), 0);
		assert_int_equal(proc_start(&p, &spec, err, sizeof(err)), -1);
		assert_null(p);
		snprintf(want, sizeof(want), "role 'server': %s is a symbolic link (to %s): acklab never follows "
			 "a link where it writes; remove it or choose another --out", link_path, target);
		assert_string_equal(err, want);
		if (i == 0) {     /* now a real stderr log, so the stdout log is the one tried */
			assert_int_equal(unlink(link_path), 0);
			assert_int_equal(close(open(link_path, O_CREAT | O_WRONLY, 0600)), 0);
		}
	}
	snprintf(link_dir, sizeof(link_dir), "%s/logs", fx->dir);
	assert_int_equal(symlink(fx->dir, link_dir), 0);
	spec.log_dir = link_dir;
	assert_int_equal(proc_start(&p, &spec, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "role 'server': logs: %s is a symbolic link (to %s): acklab never follows "
		 "a link where it writes; remove it or choose another --out", link_dir, fx->dir);
	assert_string_equal(err, want);
	text = read_file(fx->dir, "precious");
	assert_string_equal(text, "precious\n");
	free(text);
}

/* Inside the sandbox: a child started with netns_fd runs in that namespace. */
static void test_runs_in_netns(void **state)
{
	struct fixture *fx = *state;
	char *argv[] = { "readlink", "/proc/self/ns/net", NULL };
	struct proc_spec spec = { "server", -1, argv, fx->dir, false };
	struct lines l = { 0 };
	struct proc *p = NULL;
	char err[256] = "", want[64], buf[64];
	struct stat st;

	spec.netns_fd = sandbox_netns_new(err, sizeof(err));
	if (spec.netns_fd < 0)
		fail_msg("%s", err);
	assert_int_equal(fstat(spec.netns_fd, &st), 0);
	snprintf(want, sizeof(want), "net:[%lu]", (unsigned long)st.st_ino);
	if (proc_start(&p, &spec, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* The caller may close its fd at once: proc keeps its own for restarts. */
	close(spec.netns_fd);
	drain_until(p, &l, 100, 2000);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text[0], want);
	assert_int_equal(proc_wait_exit(p, 2000), 0);
	assert_int_equal(proc_restart(p, err, sizeof(err)), 0);
	drain_until(p, &l, 100, 2000);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.text[1], want);
	assert_int_equal(proc_wait_exit(p, 2000), 0);
	assert_string_equal(proc_describe_exit(p, buf, sizeof(buf)), "exit 0");
	proc_free(p);
	lines_free(&l);
}

/*
 * Inside the sandbox, after sandbox_private_tmp(): each life of a role sees
 * an empty /tmp of its own, holding only the kept folder (here the test's
 * log folder, which is under /tmp) at its own path; what the role writes to
 * /tmp never reaches the machine's /tmp, and what it writes in the kept
 * folder does.
 */
static void test_private_tmp(void **state)
{
	struct fixture *fx = *state;
	char script[1024], err[256] = "", left[128], kept[128], *text;
	const char *base = strrchr(fx->dir, '/') + 1;
	const char *keep[] = { fx->dir, "/nonexistent/skipped", "/usr", NULL };
	struct lines l = { 0 };
	struct proc *p;
	FILE *f;

	snprintf(kept, sizeof(kept), "%s/kept.txt", fx->dir);
	f = fopen(kept, "w");
	assert_non_null(f);
	fputs("kept\n", f);
	fclose(f);
	snprintf(left, sizeof(left), "/tmp/%s-left-by-role", base);
	snprintf(script, sizeof(script), "ls -A /tmp; echo x > %s; cat %s; echo out > %s/written-by-role",
		 left, kept, fx->dir);
	if (sandbox_private_tmp(keep, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	p = start(fx, "server", script, false);
	drain_until(p, &l, 100, 2000);
	assert_int_equal(proc_wait_exit(p, 2000), 0);
	/* A second life starts from an empty /tmp again. */
	assert_int_equal(proc_restart(p, err, sizeof(err)), 0);
	drain_until(p, &l, 100, 2000);
	assert_int_equal(proc_wait_exit(p, 2000), 0);
	proc_free(p);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.text[0], base);
	assert_string_equal(l.text[1], "kept");
	assert_string_equal(l.text[2], base);
	assert_string_equal(l.text[3], "kept");
	assert_int_equal(access(left, F_OK), -1);
	text = read_file(fx->dir, "written-by-role");
	assert_string_equal(text, "out\n");
	free(text);
	lines_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines_and_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdin_echo_and_dead_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reap_polls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pidfd_wakes_on_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reap_children, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_escalates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_links_refused, setup, teardown),
	};

	const struct CMUnitTest in_sandbox[] = {
		cmocka_unit_test_setup_teardown(test_runs_in_netns, setup, teardown),
		/* Last: from here on every role of this process gets a private /tmp. */
		cmocka_unit_test_setup_teardown(test_private_tmp, setup, teardown),
	};
	char err[256] = "";
	int failed = cmocka_run_group_tests_name("proc", tests, NULL, NULL);

	if (failed)
		return failed;
	fflush(NULL);
	if (sandbox_enter(err, sizeof(err)) != 0) {
		printf("skip: namespaces unavailable: %s\n", err);
		return 77;
	}
	return cmocka_run_group_tests_name("proc in a namespace", in_sandbox, NULL, NULL);
}
