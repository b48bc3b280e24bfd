/*
 * spawn: child processes for tests; see spawn.h. The line reader keeps a
 * buffer per child so a read that returns half a line (or three lines) is
 * handled; deadlines are absolute CLOCK_MONOTONIC times.
 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static int spawn_left_ms(int64_t deadline)
{
	int64_t left = (deadline - mono_ns()) / 1000000;

	return left < 0 ? 0 : (int)left;
}

static int spawn_do(struct spawn *sp, char *const argv[], int with_stdin,
		    const struct spawn_opts *opts, char *err, size_t errlen)
{
	const char *const *e;
	struct rlimit rl;
	int out[2] = { -1, -1 }, in[2] = { -1, -1 };
	pid_t parent = getpid();
	int fd;

	memset(sp, 0, sizeof *sp);
	sp->out_fd = sp->in_fd = -1;
	if (pipe2(out, O_CLOEXEC) < 0 || (with_stdin && pipe2(in, O_CLOEXEC) < 0)) {
		err_set(err, errlen, "pipe: %s", strerror(errno));
		goto err;
	}
	sp->pid = fork();
	if (sp->pid < 0) {
		err_set(err, errlen, "fork: %s", strerror(errno));
		goto err;
	}
	if (sp->pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(out[1], 1);
		if (with_stdin) {
			dup2(in[0], 0);
		} else if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		signal(SIGPIPE, SIG_DFL);
		if (opts && opts->nofile > 0) {
			rl.rlim_cur = rl.rlim_max = (rlim_t)opts->nofile;
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
				fprintf(stderr, "spawn: setrlimit NOFILE %ld: %s\n", opts->nofile, strerror(errno));
				_exit(127);
			}
		}
		for (e = opts ? opts->env : NULL; e && *e; e++)
			putenv((char *)*e);
		execv(argv[0], argv);
		fprintf(stderr, "spawn: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(sp->pid, sp->pid);
	close(out[1]);
	sp->out_fd = out[0];
	if (with_stdin) {
		close(in[0]);
		sp->in_fd = in[1];
	}
	return 0;
err:
	for (fd = 0; fd < 2; fd++) {
		if (out[fd] >= 0)
			close(out[fd]);
		if (in[fd] >= 0)
			close(in[fd]);
	}
	sp->pid = 0;
	return -1;
}

int spawn_start(struct spawn *sp, char *const argv[], char *err, size_t errlen)
{
	return spawn_do(sp, argv, 0, NULL, err, errlen);
}

int spawn_start_opts(struct spawn *sp, char *const argv[], const struct spawn_opts *opts,
		     char *err, size_t errlen)
{
	return spawn_do(sp, argv, 0, opts, err, errlen);
}

int spawn_start_stdin(struct spawn *sp, char *const argv[], char *err, size_t errlen)
{
	return spawn_do(sp, argv, 1, NULL, err, errlen);
}

int spawn_read_line(struct spawn *sp, char *line, size_t linelen, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	struct pollfd pfd;
	char *nl;
	size_t n;
	ssize_t r;
	int pr;

	for (;;) {
		nl = memchr(sp->buf, '\n', sp->buf_len);
		if (nl || sp->buf_len == sizeof sp->buf) {
			n = nl ? (size_t)(nl - sp->buf) : sp->buf_len;
			if (linelen) {
				size_t c = n < linelen - 1 ? n : linelen - 1;
				memcpy(line, sp->buf, c);
				line[c] = '\0';
			}
			if (nl)
				n++;
			memmove(sp->buf, sp->buf + n, sp->buf_len - n);
			sp->buf_len -= n;
			return 1;
		}
		if (sp->out_fd < 0)
			return 0;
		pfd.fd = sp->out_fd;
		pfd.events = POLLIN;
		pr = poll(&pfd, 1, spawn_left_ms(deadline));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -1;
		if (pr == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = read(sp->out_fd, sp->buf + sp->buf_len, sizeof sp->buf - sp->buf_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(sp->out_fd);
			sp->out_fd = -1;
			if (sp->buf_len == 0)
				return 0;
			/* A last line without '\n'. */
			sp->buf[sp->buf_len] = '\n';
			sp->buf_len++;
			continue;
		}
		sp->buf_len += (size_t)r;
	}
}

int spawn_wait_line(struct spawn *sp, const char *needle, char *line, size_t linelen,
		    int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	int r;

	for (;;) {
		r = spawn_read_line(sp, line, linelen, spawn_left_ms(deadline));
		if (r <= 0)
			return r;
		if (strstr(line, needle))
			return 1;
		if (spawn_left_ms(deadline) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

int spawn_wait_ready_port(struct spawn *sp, int timeout_ms)
{
	char line[1024];
	const char *p, *colon;
	long port;

	if (spawn_wait_line(sp, "\"ready\"", line, sizeof line, timeout_ms) != 1)
		return -1;
	p = strstr(line, "\"listen\":\"");
	if (!p)
		return -1;
	p += strlen("\"listen\":\"");
	colon = strchr(p, '"');
	if (!colon)
		return -1;
	while (colon > p && colon[-1] != ':')
		colon--;
	port = strtol(colon, NULL, 10);
	return port > 0 && port < 65536 ? (int)port : -1;
}

int spawn_wait(struct spawn *sp, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	struct timespec tick = { 0, 5 * 1000000L };
	pid_t r;

	if (sp->reaped || sp->pid <= 0)
		return sp->reaped ? 0 : -1;
	for (;;) {
		r = waitpid(sp->pid, &sp->status, WNOHANG);
		if (r == sp->pid || (r < 0 && errno == ECHILD)) {
			sp->reaped = 1;
			return 0;
		}
		if (mono_ns() >= deadline)
			return -1;
		nanosleep(&tick, NULL); /* polling interval of the deadline loop */
	}
}

int spawn_stop(struct spawn *sp, int sig, int grace_ms)
{
	int rc = -1;

	if (sp->pid > 0 && !sp->reaped) {
		kill(sp->pid, sig);
		if (spawn_wait(sp, grace_ms) < 0) {
			kill(-sp->pid, SIGKILL);
			kill(sp->pid, SIGKILL);
			while (waitpid(sp->pid, &sp->status, 0) < 0 && errno == EINTR)
				;
			sp->reaped = 1;
		}
	}
	if (sp->reaped)
		rc = sp->status;
	if (sp->out_fd >= 0)
		close(sp->out_fd);
	if (sp->in_fd >= 0)
		close(sp->in_fd);
	sp->out_fd = sp->in_fd = -1;
	return rc;
}

int spawn_bin_path(const char *name, char *path, size_t pathlen)
{
	const char *bin = getenv("ACKLAB_BIN");

	if (!bin || !*bin)
		return -1;
	snprintf(path, pathlen, "%s/%s", bin, name);
	return 0;
}
