/*
 * stack_requires: a stack's `requires` command, run once per run before
 * any of its cells. A stack built on a third-party program the machine may
 * lack (a browser, a runtime) says how to tell: `requires {bin}/browserc
 * --probe`. If the command fails, or says nothing within its time, every
 * cell of the stack is n/a with the command's last line as the reason, so a
 * machine without the program shows n/a there, never a failure of the
 * matrix and never a silent clean. The command runs where acklab's own
 * cells run (inside its user, network and PID namespaces, in its home
 * network namespace with only loopback), so a program that cannot start
 * in those namespaces is found out here too. Results are kept per stack
 * name for the life of the process: one probe per stack per run.
 */
#include "stack.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define REQUIRES_TIMEOUT_MS 60000
#define REQUIRES_CACHE 64

struct requires_result {
	char stack[64];
	int ok;
	char why[300];
};

static struct requires_result requires_cache[REQUIRES_CACHE];
static int requires_ncache;

/* The last non-blank line of out (trimmed), or "" when there is none. */
static void requires_last_line(char *out, size_t len, char *line, size_t linelen)
{
	char *end = out + len, *start;

	while (end > out && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	*end = '\0';
	start = end;
	while (start > out && start[-1] != '\n')
		start--;
	str_copy(line, start, linelen);
}

/* Run argv with stdout and stderr into one pipe; 0 when it exits 0 in time, else -1 with why. */
static int requires_run(char **argv, char *why, size_t whylen)
{
	char out[8192], line[200];
	size_t len = 0;
	int fds[2], status = 0, timed_out = 0;
	int64_t deadline = mono_ns() + (int64_t)REQUIRES_TIMEOUT_MS * 1000000;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_set(why, whylen, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_set(why, whylen, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setpgid(0, 0);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		int64_t left = deadline - mono_ns();
		char buf[4096];
		ssize_t n;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (poll(&p, 1, (int)((left + 999999) / 1000000)) < 0 && errno != EINTR)
			break;
		n = read(fds[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Keep the tail (buf is smaller than out): the last line is the reason. */
		if (len + (size_t)n >= sizeof out) {
			size_t drop = len + (size_t)n - (sizeof out - 1);

			memmove(out, out + drop, len - drop);
			len -= drop;
		}
		memcpy(out + len, buf, (size_t)n);
		len += (size_t)n;
	}
	close(fds[0]);
	if (timed_out)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!timed_out)
		kill(-pid, SIGKILL); /* anything it left behind in its group */
	requires_last_line(out, len, line, sizeof line);
	if (timed_out)
		return err_set(why, whylen, "no answer within %d s%s%s", REQUIRES_TIMEOUT_MS / 1000,
			       line[0] ? ": " : "", line);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return err_set(why, whylen, "killed by signal %d%s%s", WTERMSIG(status), line[0] ? ": " : "",
			       line);
	return err_set(why, whylen, "exit %d%s%s", WEXITSTATUS(status), line[0] ? ": " : "", line);
}

int stack_requires_met(const struct stack *st, const char *bin_dir, char *why, size_t whylen)
{
	const char *vars[] = { "bin", bin_dir, NULL };
	struct requires_result *r;
	char **argv = NULL, err[256];

	if (!st->requires.nwords)
		return 0;
	for (int i = 0; i < requires_ncache; i++)
		if (strcmp(requires_cache[i].stack, st->name) == 0) {
			if (!requires_cache[i].ok)
				str_copy(why, requires_cache[i].why, whylen);
			return requires_cache[i].ok ? 0 : -1;
		}
	r = requires_ncache < REQUIRES_CACHE ? &requires_cache[requires_ncache++] : NULL;
	if (stack_expand(st, &st->requires, vars, &argv, err, sizeof err) == -1) {
		snprintf(why, whylen, "its requires line: %s", err);
	} else if (requires_run(argv, err, sizeof err) == -1) {
		snprintf(why, whylen, "`%s%s` (%s:%d) failed here: %s", st->requires.words[0],
			 st->requires.nwords > 1 ? " ..." : "", st->path, st->requires.line, err);
	} else {
		why[0] = '\0';
	}
	stack_argv_free(argv);
	if (r) {
		str_copy(r->stack, st->name, sizeof r->stack);
		r->ok = why[0] == '\0';
		str_copy(r->why, why, sizeof r->why);
	}
	return why[0] ? -1 : 0;
}
