/*
 * Integration test: building a topology leaves the machine exactly as it
 * was. Snapshots the machine's own network view (links, addresses, routes,
 * ip_forward, nftables ruleset: reading only) before and after running the
 * built $ACKLAB_BIN/tests/unit/harness_topo, as the current user and, when
 * started as root, as user nobody too (same code path), and requires the
 * snapshots to be identical, the run to pass and no process of it to
 * survive. This is the check that the sandbox can not be seen from the
 * outside; it cannot be done from inside the sandbox, which never sees the
 * machine's namespace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define RUN_TIMEOUT_MS 60000

static char topo_bin[PATH_MAX];

/* Address lifetimes count down on their own; they are not our doing. */
static const char snapshot_cmd[] =
	"{ ip -o link show; ip -o addr show | sed 's/valid_lft.*//'; ip route show table all;"
	"  sysctl net.ipv4.ip_forward; nft list ruleset; } 2>&1";

/* Everything snapshot_cmd prints, malloc'd. */
static char *snapshot(void)
{
	FILE *p = popen(snapshot_cmd, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	assert_non_null(p);
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, p);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	pclose(p);
	return buf;
}

/* pids of live processes running the topo test binary (by /proc/PID/exe). */
static int survivors(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char link[64], exe[PATH_MAX];
	int count = 0;
	ssize_t n;

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(link, sizeof link, "/proc/%s/exe", e->d_name);
		n = readlink(link, exe, sizeof exe - 1);
		if (n <= 0)
			continue;
		exe[n] = '\0';
		if (strcmp(exe, topo_bin) == 0) {
			fprintf(stderr, "survivor: pid %s (%s)\n", e->d_name, exe);
			count++;
		}
	}
	closedir(d);
	return count;
}

/* Run the topo test (as nobody when as_nobody); returns its exit status. */
static int run_topo(bool as_nobody)
{
	int64_t deadline = mono_ns() + RUN_TIMEOUT_MS * 1000000LL;
	struct pollfd pfd;
	int status;
	pid_t pid, r;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0)
			dup2(fd, 0);
		if (as_nobody)
			execlp("setpriv", "setpriv", "--reuid=65534", "--regid=65534",
			       "--clear-groups", topo_bin, (char *)NULL);
		else
			execl(topo_bin, topo_bin, (char *)NULL);
		_exit(127);
	}
	/* Wait on a pidfd: readable when the child exits, with a deadline. */
	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	pfd.events = POLLIN;
	assert_true(pfd.fd >= 0);
	for (;;) {
		int left = (int)((deadline - mono_ns()) / 1000000);

		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(pfd.fd);
			fail_msg("%s did not finish in %d ms", topo_bin, RUN_TIMEOUT_MS);
		}
		if (poll(&pfd, 1, left) > 0)
			break;
	}
	close(pfd.fd);
	r = waitpid(pid, &status, 0);
	assert_int_equal(r, pid);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void check_run(bool as_nobody)
{
	char *before, *after;
	int rc;

	before = snapshot();
	rc = run_topo(as_nobody);
	after = snapshot();
	if (rc == 77)
		fprintf(stderr, "note: harness_topo skipped%s (namespaces refused)\n",
			as_nobody ? " as nobody" : "");
	else if (rc != 0)
		fail_msg("harness_topo%s exited %d", as_nobody ? " as nobody" : "", rc);
	if (strcmp(before, after) != 0) {
		fprintf(stderr, "--- before\n%s--- after\n%s", before, after);
		fail_msg("the machine's network view changed");
	}
	assert_int_equal(survivors(), 0);
	free(before);
	free(after);
}

static void test_isolated_as_caller(void **state)
{
	check_run(false);
}

static void test_isolated_as_nobody(void **state)
{
	if (geteuid() != 0)
		skip();
	check_run(true);
}

int main(void)
{
	const char *bin = getenv("ACKLAB_BIN");
	char path[PATH_MAX];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isolated_as_caller),
		cmocka_unit_test(test_isolated_as_nobody),
	};

	if (!bin) {
		printf("skip: ACKLAB_BIN is not set (run through make test)\n");
		return 77;
	}
	snprintf(path, sizeof path, "%s/tests/unit/harness_topo", bin);
	if (!realpath(path, topo_bin) || access(topo_bin, X_OK) != 0) {
		printf("skip: %s/tests/unit/harness_topo is not built\n", bin);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
