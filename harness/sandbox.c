/*
 * sandbox: user + network + PID namespaces around the whole program, and the
 * small namespace primitives (new netns by fd, run-in-netns, sysctl) every
 * other harness module builds on; see sandbox.h for the contract.
 *
 * Root and normal users take the same path: a user namespace mapping the
 * caller to uid/gid 0, so behaviour never depends on who started acklab.
 * The outer process does nothing but forward signals and relay the exit
 * status; it leaves with _exit() so atexit handlers and leak checkers run
 * once, in the child that did the work. A pipe whose write end only the
 * outer process holds tells the child whether its parent died before
 * PR_SET_PDEATHSIG was armed (getppid() is 0 across a PID namespace, so it
 * cannot answer that question).
 */
#include "sandbox.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static bool sandbox_is_active;
static unsigned sandbox_uid;
static volatile sig_atomic_t sandbox_child_pid;
static volatile sig_atomic_t sandbox_signals_seen;

bool sandbox_active(void)
{
	return sandbox_is_active;
}

unsigned sandbox_outer_uid(void)
{
	return sandbox_uid;
}

/* Write text to a /proc file in one write(); err names the file. */
static int sandbox_write_file(const char *path, const char *text, char *err, size_t errlen)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errlen, "open %s: %s", path, strerror(errno));
	n = write(fd, text, len);
	if (n < 0) {
		err_set(err, errlen, "write '%s' to %s: %s", text, path, strerror(errno));
		goto done;
	}
	if ((size_t)n != len) {
		err_set(err, errlen, "write '%s' to %s: short write", text, path);
		goto done;
	}
	rc = 0;
done:
	close(fd);
	return rc;
}

/*
 * Outer process: the first SIGINT/SIGTERM/SIGHUP is passed on (PID 1 only
 * sees signals it handles, which the program inside must do); a second one
 * means the program did not stop, so everything inside is killed.
 */
static void sandbox_forward(int sig)
{
	pid_t pid = (pid_t)sandbox_child_pid;

	if (pid <= 0)
		return;
	if (sandbox_signals_seen++ == 0)
		kill(pid, sig);
	else
		kill(pid, SIGKILL);
}

/* Signals arriving between fork and here were held by the caller's mask. */
static void __attribute__((noreturn)) sandbox_outer_wait(pid_t pid, const sigset_t *oldmask)
{
	struct sigaction sa;
	int status;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sandbox_forward;
	sigemptyset(&sa.sa_mask);
	sandbox_child_pid = pid;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	for (;;) {
		pid_t r = waitpid(pid, &status, 0);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			_exit(125);
	}
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(125);
}

/*
 * Give the sandbox a /proc of its own PID namespace, in its own mount
 * namespace (nothing is mounted on the machine): tools that look themselves
 * up in /proc by PID (the sanitizers' leak checker, ps) then find the right
 * process. Best effort: where the kernel refuses, the machine's /proc still
 * serves /proc/self and the sysctls.
 */
static void sandbox_mount_proc(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

int sandbox_enter(char *err, size_t errlen)
{
	char map[64];
	int alive[2] = { -1, -1 };
	unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
	sigset_t fwd, oldmask;
	struct pollfd pfd;
	pid_t pid;

	if (sandbox_is_active)
		return err_set(err, errlen, "sandbox: already entered");
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWNS) < 0) {
		int e = errno;

		return err_set(err, errlen, "sandbox: unshare(CLONE_NEWUSER|CLONE_NEWNET|CLONE_NEWPID|CLONE_NEWNS): %s%s",
			       strerror(e),
			       e == EPERM || e == ENOSPC || e == EINVAL
				       ? " (are unprivileged user namespaces disabled? see "
					 "sysctl user.max_user_namespaces and "
					 "kernel.unprivileged_userns_clone)"
				       : "");
	}
	/* Required before an unprivileged process may write gid_map. */
	if (sandbox_write_file("/proc/self/setgroups", "deny", err, errlen) < 0)
		return -1;
	snprintf(map, sizeof map, "0 %u 1", uid);
	if (sandbox_write_file("/proc/self/uid_map", map, err, errlen) < 0)
		return -1;
	snprintf(map, sizeof map, "0 %u 1", gid);
	if (sandbox_write_file("/proc/self/gid_map", map, err, errlen) < 0)
		return -1;
	if (pipe2(alive, O_CLOEXEC) < 0)
		return err_set(err, errlen, "sandbox: pipe: %s", strerror(errno));

	/* Hold the forwarded signals until the outer process can forward them. */
	sigemptyset(&fwd);
	sigaddset(&fwd, SIGINT);
	sigaddset(&fwd, SIGTERM);
	sigaddset(&fwd, SIGHUP);
	sigprocmask(SIG_BLOCK, &fwd, &oldmask);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err_set(err, errlen, "sandbox: fork into the PID namespace: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		close(alive[0]);
		close(alive[1]);
		return -1;
	}
	if (pid > 0) {
		close(alive[0]);
		/* alive[1] stays open until this process exits. */
		sandbox_outer_wait(pid, &oldmask);
	}

	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	close(alive[1]);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(125);
	/* If the outer process died before the line above, nobody would kill us. */
	pfd.fd = alive[0];
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) != 0)
		_exit(125);
	close(alive[0]);
	sandbox_mount_proc();
	sandbox_uid = uid;
	sandbox_is_active = true;
	return 0;
}

int sandbox_netns_new(char *err, size_t errlen)
{
	int prev, fd = -1;

	prev = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (prev < 0)
		return err_set(err, errlen, "netns: open current namespace: %s", strerror(errno));
	if (unshare(CLONE_NEWNET) < 0) {
		err_set(err, errlen, "netns: unshare(CLONE_NEWNET): %s", strerror(errno));
		goto done;
	}
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		err_set(err, errlen, "netns: open new namespace: %s", strerror(errno));
	if (setns(prev, CLONE_NEWNET) < 0) {
		/* Stranded in the new namespace: the caller must not go on. */
		err_set(err, errlen, "netns: setns back to the previous namespace: %s",
			strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
done:
	close(prev);
	return fd;
}

int sandbox_in_netns(int netns_fd, int (*fn)(void *arg, char *err, size_t errlen), void *arg,
		     char *err, size_t errlen)
{
	int prev, rc = -1;

	prev = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (prev < 0)
		return err_set(err, errlen, "netns: open current namespace: %s", strerror(errno));
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		err_set(err, errlen, "netns: setns(fd %d): %s", netns_fd, strerror(errno));
		goto done;
	}
	rc = fn(arg, err, errlen);
	if (setns(prev, CLONE_NEWNET) < 0) {
		err_set(err, errlen, "netns: setns back to the previous namespace: %s",
			strerror(errno));
		rc = -1;
	}
done:
	close(prev);
	return rc;
}

struct sandbox_sysctl {
	const char *key, *value;
};

static int sandbox_sysctl_write(void *arg, char *err, size_t errlen)
{
	struct sandbox_sysctl *s = arg;
	char path[256], msg[256];
	size_t i, n;

	n = (size_t)snprintf(path, sizeof path, "/proc/sys/%s", s->key);
	if (n >= sizeof path)
		return err_set(err, errlen, "sysctl %s: key too long", s->key);
	for (i = strlen("/proc/sys/"); i < n; i++)
		if (path[i] == '.')
			path[i] = '/';
	if (sandbox_write_file(path, s->value, msg, sizeof msg) < 0)
		return err_set(err, errlen, "sysctl %s=%s: %s", s->key, s->value, msg);
	return 0;
}

bool sandbox_sysctl_key_ok(const char *key)
{
	if (strncmp(key, "net.", 4) != 0 || strstr(key, "..") || key[strlen(key) - 1] == '.')
		return false;
	for (const char *c = key; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' ||
		      *c == '-'))
			return false;
	return true;
}

int sandbox_sysctl_set(int netns_fd, const char *key, const char *value, char *err, size_t errlen)
{
	struct sandbox_sysctl s = { key, value };

	if (!sandbox_sysctl_key_ok(key))
		return err_set(err, errlen, "sysctl '%s': only a host's own network settings (net.*) "
			       "can be set", key);

	return sandbox_in_netns(netns_fd, sandbox_sysctl_write, &s, err, errlen);
}
