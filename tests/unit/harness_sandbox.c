/*
 * Unit tests for sandbox: each test forks a child that enters the sandbox,
 * so this program itself stays outside and can watch the outer process the
 * way a shell would: exit status relayed, signals forwarded (and escalated
 * to SIGKILL when PID 1 has no handler), everything inside gone when the
 * outer process is SIGKILLed, and the namespace helpers inside. Children
 * report over pipes; every wait has a deadline. Exits 77 when the kernel
 * refuses namespaces.
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../harness/sandbox.h"
#include "util.h"

#define DEADLINE_MS 5000

/* Wait for pid to exit within DEADLINE_MS; returns its raw status. */
static int wait_exit(pid_t pid)
{
	struct pollfd pfd = { .fd = (int)syscall(SYS_pidfd_open, pid, 0), .events = POLLIN };
	int status = 0;

	assert_true(pfd.fd >= 0);
	if (poll(&pfd, 1, DEADLINE_MS) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(pfd.fd);
		fail_msg("pid %d did not exit within %d ms", pid, DEADLINE_MS);
	}
	close(pfd.fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* Read one byte from fd within DEADLINE_MS; returns it, or -1 on EOF. */
static int read_byte(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, DEADLINE_MS) != 1)
		fail_msg("no word from the sandbox within %d ms", DEADLINE_MS);
	return read(fd, &c, 1) == 1 ? (unsigned char)c : -1;
}

static void on_term(int sig)
{
	_exit(40 + sig % 40);
}

enum mode { MODE_EXIT, MODE_HANDLER, MODE_NO_HANDLER, MODE_HOLD };

/*
 * Fork a child that enters the sandbox and then behaves per mode, saying
 * 'r' on the pipe when ready. Returns the outer pid; *rfd is the read end.
 */
static pid_t start(enum mode mode, int *rfd)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];
		struct pollfd never = { .fd = -1 };

		close(p[0]);
		if (sandbox_enter(err, sizeof err) < 0)
			_exit(77);
		if (getpid() != 1 || !sandbox_active())
			_exit(3);
		if (mode == MODE_EXIT)
			_exit(42);
		if (mode == MODE_HANDLER)
			signal(SIGTERM, on_term);
		/* MODE_HOLD keeps p[1] open in here: EOF tells the test this died */
		if (write(p[1], "r", 1) != 1)
			_exit(4);
		for (;;)
			poll(&never, 0, -1);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

static void test_exit_status_relayed(void **state)
{
	int rfd, st;
	pid_t pid = start(MODE_EXIT, &rfd);

	st = wait_exit(pid);
	close(rfd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 42);
}

static void test_sigterm_forwarded(void **state)
{
	int rfd, st;
	pid_t pid = start(MODE_HANDLER, &rfd);

	assert_int_equal(read_byte(rfd), 'r');
	kill(pid, SIGTERM);
	st = wait_exit(pid);
	close(rfd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 40 + SIGTERM);
}

static void test_second_signal_kills(void **state)
{
	int rfd, st;
	pid_t pid = start(MODE_NO_HANDLER, &rfd);
	struct pollfd pfd;

	assert_int_equal(read_byte(rfd), 'r');
	/* PID 1 without a handler ignores the first; the second is escalated. */
	kill(pid, SIGTERM);
	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 200), 0); /* still running after the first */
	close(pfd.fd);
	kill(pid, SIGTERM);
	st = wait_exit(pid);
	close(rfd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 128 + SIGKILL);
}

static void test_outer_killed_takes_all(void **state)
{
	int rfd;
	pid_t pid = start(MODE_HOLD, &rfd);

	assert_int_equal(read_byte(rfd), 'r');
	kill(pid, SIGKILL);
	wait_exit(pid);
	/* EOF means every holder of the write end, inside the sandbox, is dead. */
	assert_int_equal(read_byte(rfd), -1);
	close(rfd);
}

static int in_ns_probe(void *arg, char *err, size_t errlen)
{
	struct stat *st = arg;

	return stat("/proc/thread-self/ns/net", st);
}

static void test_netns_helpers(void **state)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];
		struct stat home, inside, back, fdst;
		int fd;

		if (sandbox_enter(err, sizeof err) < 0)
			_exit(77);
		if (sandbox_outer_uid() != (unsigned)getuid() && getuid() != 0)
			_exit(10);
		stat("/proc/thread-self/ns/net", &home);
		fd = sandbox_netns_new(err, sizeof err);
		if (fd < 0)
			_exit(11);
		stat("/proc/thread-self/ns/net", &back);
		if (back.st_ino != home.st_ino)
			_exit(12); /* not switched back */
		if (sandbox_in_netns(fd, in_ns_probe, &inside, err, sizeof err) != 0)
			_exit(13);
		fstat(fd, &fdst);
		if (inside.st_ino != fdst.st_ino || inside.st_ino == home.st_ino)
			_exit(14);
		stat("/proc/thread-self/ns/net", &back);
		if (back.st_ino != home.st_ino)
			_exit(15);
		if (sandbox_sysctl_set(fd, "net.ipv4.ip_forward", "1", err, sizeof err) != 0)
			_exit(16);
		if (sandbox_sysctl_set(fd, "net.ipv4.no_such", "1", err, sizeof err) != -1 ||
		    !strstr(err, "net.ipv4.no_such"))
			_exit(17);
		close(fd);
		_exit(0);
	}
	st = wait_exit(pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status_relayed),
		cmocka_unit_test(test_sigterm_forwarded),
		cmocka_unit_test(test_second_signal_kills),
		cmocka_unit_test(test_outer_killed_takes_all),
		cmocka_unit_test(test_netns_helpers),
	};
	pid_t pid;
	int st;

	/* Can this kernel make the sandbox at all? */
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char err[256];

		if (sandbox_enter(err, sizeof err) < 0) {
			printf("skip: %s\n", err);
			_exit(77);
		}
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("skip: this kernel refuses user/network/PID namespaces\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
