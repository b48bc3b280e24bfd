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
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define SANDBOX_PROBE_MS 5000        /* the sysctl look-up child has this long */

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

/*
 * The private /tmp's plan, made once in PID 1 and inherited by every fork:
 * the real path of each kept folder under /tmp. The role's child opens each
 * one (O_PATH) in its new mount namespace before the tmpfs hides it, then
 * binds it back from /proc/self/fd/N: a bind mount must come from a mount of
 * the caller's own namespace, so the fds cannot be opened ahead of time.
 */
#define SANDBOX_MAX_KEEP 8
static struct {
	bool on;
	int n;
	char keep[SANDBOX_MAX_KEEP][PATH_MAX];
} sandbox_tmp;

int sandbox_private_tmp(const char *const *keep, char *err, size_t errlen)
{
	if (sandbox_tmp.on)
		return err_set(err, errlen, "private /tmp: already set up");
	for (int i = 0; keep && keep[i]; i++) {
		char real[PATH_MAX];

		if (!realpath(keep[i], real)) {
			if (errno == ENOENT)
				continue;     /* nothing there to keep */
			return err_set(err, errlen, "private /tmp: %s: %s", keep[i], strerror(errno));
		}
		if (strcmp(real, "/tmp") != 0 && strncmp(real, "/tmp/", 5) != 0)
			continue;             /* not covered by the tmpfs: reachable as it is */
		if (sandbox_tmp.n == SANDBOX_MAX_KEEP)
			return err_set(err, errlen, "private /tmp: more than %d folders to keep", SANDBOX_MAX_KEEP);
		str_copy(sandbox_tmp.keep[sandbox_tmp.n++], real, PATH_MAX);
	}
	sandbox_tmp.on = true;
	return 0;
}

/* "/proc/self/fd/N" into buf, without stdio (between fork and exec). */
static void sandbox_fd_path(int fd, char buf[32])
{
	static const char prefix[] = "/proc/self/fd/";
	char digits[12];
	int n = 0;

	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) > 0);
	memcpy(buf, prefix, sizeof prefix - 1);
	for (int i = 0; i < n; i++)
		buf[sizeof prefix - 1 + i] = digits[n - 1 - i];
	buf[sizeof prefix - 1 + n] = '\0';
}

/* mkdir -p inside the fresh tmpfs, without malloc: every folder above path, then path. */
static int sandbox_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

int sandbox_private_tmp_enter(void)
{
	int fds[SANDBOX_MAX_KEEP], rc = -1, i, saved;

	if (!sandbox_tmp.on)
		return 0;
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -1;
	for (i = 0; i < sandbox_tmp.n; i++) {
		fds[i] = open(sandbox_tmp.keep[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fds[i] < 0)
			goto done;
	}
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
		goto done;
	for (int k = 0; k < sandbox_tmp.n; k++) {
		char from[32];

		sandbox_fd_path(fds[k], from);
		if (sandbox_mkdirs(sandbox_tmp.keep[k]) != 0 ||
		    mount(from, sandbox_tmp.keep[k], NULL, MS_BIND | MS_REC, NULL) != 0)
			goto done;
	}
	rc = 0;
done:
	saved = errno;
	while (i-- > 0)
		close(fds[i]);
	errno = saved;
	return rc;
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

/* /proc/sys/... for key, with an interface part read as "default". */
static void sandbox_sysctl_path(const char *key, char *path, size_t len)
{
	char copy[256], *part, *save = NULL;
	int i = 0;

	str_copy(copy, key, sizeof copy);
	snprintf(path, len, "/proc/sys");
	for (part = strtok_r(copy, ".", &save); part; part = strtok_r(NULL, ".", &save), i++) {
		bool is_if = i == 3 && (strncmp(key, "net.ipv4.conf.", 14) == 0 || strncmp(key, "net.ipv6.conf.", 14) == 0 ||
				       strncmp(key, "net.ipv4.neigh.", 15) == 0 || strncmp(key, "net.ipv6.neigh.", 15) == 0);

		if (is_if && strcmp(part, "all") != 0)
			part = "default";
		snprintf(path + strlen(path), len - strlen(path), "/%s", part);
	}
}

/* In the probe child: one key, looked up in the namespace it now lives in. */
static void sandbox_sysctl_look(const char *key, struct sandbox_sysctl_seen *o)
{
	char path[512], prefix[512];
	struct stat st;
	const char *p;
	int fd, part;

	memset(o, 0, sizeof *o);
	sandbox_sysctl_path(key, path, sizeof path);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		ssize_t n;

		o->found = true;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, o->value, sizeof o->value - 1);
			o->value[n > 0 ? n : 0] = '\0';
			o->value[strcspn(o->value, "\n")] = '\0';
			for (char *t = o->value; *t; t++)
				if (*t == '\t')
					*t = ' ';
			close(fd);
		}
		return;
	}
	/* The first part that is not there, and what is there instead. */
	str_copy(prefix, "/proc/sys", sizeof prefix);
	p = path + strlen("/proc/sys/");
	for (part = 0;; part++) {
		const char *slash = strchr(p, '/');
		char next[512];
		DIR *d;
		struct dirent *e;

		snprintf(next, sizeof next, "%s/%.*s", prefix, (int)(slash ? slash - p : (long)strlen(p)), p);
		if (slash && stat(next, &st) == 0 && S_ISDIR(st.st_mode)) {
			str_copy(prefix, next, sizeof prefix);
			p = slash + 1;
			continue;
		}
		o->missing = part;
		d = opendir(prefix);
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' && strlen(o->siblings) + strlen(e->d_name) + 2 < sizeof o->siblings)
				snprintf(o->siblings + strlen(o->siblings), sizeof o->siblings - strlen(o->siblings),
					 "%s\n", e->d_name);
		if (d)
			closedir(d);
		return;
	}
}

/* Read exactly len bytes from fd before deadline (mono_ns); 0, or -1 on EOF, error or time out. */
static int sandbox_read_all(int fd, void *buf, size_t len, int64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = (deadline - mono_ns()) / 1000000;
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int sandbox_sysctl_fresh(const char *const *keys, int n, struct sandbox_sysctl_seen *out, char *err,
			 size_t errlen)
{
	int64_t deadline = mono_ns() + SANDBOX_PROBE_MS * 1000000LL;
	int fds[2], status = 0, child_errno = -1, rc = -1;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_set(err, errlen, "sysctl check: pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_set(err, errlen, "sysctl check: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		struct sandbox_sysctl_seen one;
		int e = unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 0 : errno;

		close(fds[0]);
		if (write(fds[1], &e, sizeof e) != (ssize_t)sizeof e || e)
			_exit(1);
		for (int i = 0; i < n; i++) {
			sandbox_sysctl_look(keys[i], &one);
			if (write(fds[1], &one, sizeof one) != (ssize_t)sizeof one)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	/* The errno of unshare first, then one record per key. */
	if (sandbox_read_all(fds[0], &child_errno, sizeof child_errno, deadline) == 0 && child_errno == 0 &&
	    sandbox_read_all(fds[0], out, (size_t)n * sizeof *out, deadline) == 0)
		rc = 0;
	close(fds[0]);
	if (rc == -1)
		kill(pid, SIGKILL);       /* late or broken: it has nothing left to say */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (child_errno > 0)
		return err_set(err, errlen, "cannot make a network namespace to look sysctls up in: unshare: %s",
			       strerror(child_errno));
	if (rc == -1)
		return err_set(err, errlen, "looking sysctls up in a fresh network namespace failed");
	return 0;
}
