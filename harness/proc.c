/*
 * proc: a role's process, started by one recipe and watched from acklab's
 * poll loop.
 *
 * The child: PR_SET_PDEATHSIG(SIGKILL) and a getppid() check (so it dies with
 * acklab even if acklab dies between fork and prctl), its own process group
 * (so a terminal's Ctrl-C reaches only acklab, and stop/pause/kill reach any
 * helpers the role forks), setns() into the host, a /tmp of its own when
 * the run asked for one (sandbox_private_tmp()), stdin from a pipe or
 * /dev/null, stdout into a pipe, stderr appended to <role>.stderr.log, every
 * other fd closed, default signal dispositions and mask, execvp(). A
 * CLOEXEC status pipe carries the errno of a failed step back to the parent,
 * so proc_start() returns -1 with "role 'server': cannot run '/nope': No such
 * file or directory" instead of a child that silently exits 127.
 * The parent: stdout read end non-blocking; proc_drain() cuts lines (at most
 * 64 KiB each, longer ones are split), appends them to <role>.stdout.log and
 * hands them over with the time they were read. Writes to stdin are bounded
 * in time and SIGPIPE is blocked around them, so a dead child is an error
 * message, not a dead acklab. The process is watched through a pidfd; its
 * exit is collected with waitid(WNOWAIT) first, so leftover members of its
 * process group can be killed while the group id is still reserved, and then
 * reaped. Logs are opened for append: a restarted role keeps its earlier
 * lives in the same files. The log folder is opened once and held, and each
 * log is opened relative to it without following links (outdir.h), so a
 * link planted in place of a log or of the folder is refused.
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sched.h>

#include "outdir.h"
#include "sandbox.h"
#include "util.h"

#define PROC_LINE_MAX      (64 * 1024)
#define PROC_WRITE_TIMEOUT 2000      /* ms a stdin write may wait for room */
#define PROC_DRAIN_READS   64        /* reads per proc_drain(), to stay fair to other fds */

struct proc {
	char role[64];
	char **argv;
	struct outdir log_dir;     /* the folder of the logs, held open; fd -1: no logs kept */
	int netns_fd;              /* our own dup, or -1 */
	bool want_stdin;
	const char *mount_at;      /* the spec's, for the first life only (NULL after) */
	int mount_fd;

	pid_t pid;
	int pidfd;                 /* -1 when the kernel has none or the life is over */
	int in_fd;                 /* write end of the child's stdin, or -1 */
	int out_fd;                /* read end of the child's stdout, or -1 */
	int out_log;               /* <role>.stdout.log */
	enum proc_state state;
	int status;                /* wait status of the last life */
	int starts;

	char *line;                /* the partial line read so far */
	size_t line_len;

	bool exit_unreported;      /* collected by proc_reap_children(), not yet told by proc_reap() */
	struct proc *next;         /* in proc_all, while alive */
};

/* Every role with a live (unreaped) child, so proc_reap_children() can tell roles from orphans. */
static struct proc *proc_all;

static void proc_register(struct proc *p)
{
	p->next = proc_all;
	proc_all = p;
}

static void proc_unregister(struct proc *p)
{
	for (struct proc **pp = &proc_all; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	p->next = NULL;
}

/* What the child reports on the status pipe when a step fails. */
enum proc_step { STEP_NETNS = 1, STEP_STDIO, STEP_EXEC, STEP_PARENT, STEP_TMP, STEP_MOUNT };

struct proc_child_report {
	int step;
	int err;
};

/* <role>.<kind>.log in the held log folder, for append: a link there is refused, not followed. */
static int proc_open_log(const struct proc *p, const char *kind, char *err, size_t errlen)
{
	char name[128], why[PATH_MAX + 512];
	int fd;

	if (p->log_dir.fd < 0) {      /* no log folder: the output is read, not kept */
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			err_set(err, errlen, "role '%s': cannot open /dev/null: %s", p->role, strerror(errno));
		return fd;
	}
	snprintf(name, sizeof(name), "%s.%s.log", p->role, kind);
	fd = outdir_open_file(&p->log_dir, name, OUTDIR_APPEND, why, sizeof(why));
	if (fd < 0)
		err_set(err, errlen, "role '%s': %s", p->role, why);
	return fd;
}

static void proc_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Child side: report a failed step to the parent and die. */
static void __attribute__((noreturn)) proc_child_fail(int status_fd, int step)
{
	struct proc_child_report r = { step, errno };
	ssize_t n __attribute__((unused));

	n = write(status_fd, &r, sizeof(r));
	_exit(127);
}

/*
 * In the child, between fork and exec: only async-signal-safe calls. The fds
 * are first moved above 10 so that the dup2s to 0..3 cannot clobber each
 * other whatever numbers the pipes got.
 */
static void __attribute__((noreturn)) proc_child(const struct proc *p, pid_t parent, int in_r,
						  int out_w, int err_fd, int status_w)
{
	sigset_t none;
	int hi_in, hi_out, hi_err, hi_status;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
		errno = ESRCH;
		proc_child_fail(status_w, STEP_PARENT);
	}
	setpgid(0, 0);
	if (p->netns_fd >= 0 && setns(p->netns_fd, CLONE_NEWNET) != 0)
		proc_child_fail(status_w, STEP_NETNS);
	if (sandbox_private_tmp_enter() != 0)
		proc_child_fail(status_w, STEP_TMP);
	/*
	 * The data folder's mount, in a namespace of this process's own (a second
	 * unshare is harmless when the private /tmp made one). The fd is closed
	 * at once: the mount must go with this namespace, not wait for the fd.
	 */
	if (p->mount_at) {
		if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    move_mount(p->mount_fd, "", AT_FDCWD, p->mount_at, MOVE_MOUNT_F_EMPTY_PATH) != 0)
			proc_child_fail(status_w, STEP_MOUNT);
		close(p->mount_fd);
	}

	hi_in = fcntl(in_r, F_DUPFD, 10);
	hi_out = fcntl(out_w, F_DUPFD, 10);
	hi_err = fcntl(err_fd, F_DUPFD, 10);
	hi_status = fcntl(status_w, F_DUPFD_CLOEXEC, 10);
	if (hi_in < 0 || hi_out < 0 || hi_err < 0 || hi_status < 0)
		proc_child_fail(status_w, STEP_STDIO);
	status_w = hi_status;
	if (dup2(hi_in, 0) < 0 || dup2(hi_out, 1) < 0 || dup2(hi_err, 2) < 0 ||
	    dup3(hi_status, 3, O_CLOEXEC) < 0)
		proc_child_fail(status_w, STEP_STDIO);
	status_w = 3;
	if (close_range(4, ~0U, 0) != 0) {
		for (int fd = 4; fd < 1024; fd++)
			close(fd);
	}

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	execvp(p->argv[0], p->argv);
	proc_child_fail(status_w, STEP_EXEC);
}

static void proc_describe_step(const struct proc *p, const struct proc_child_report *r, char *err,
			       size_t errlen)
{
	switch (r->step) {
	case STEP_NETNS:
		err_set(err, errlen, "role '%s': cannot enter its network namespace: %s", p->role,
			strerror(r->err));
		break;
	case STEP_STDIO:
		err_set(err, errlen, "role '%s': cannot set up stdin/stdout/stderr: %s", p->role,
			strerror(r->err));
		break;
	case STEP_TMP:
		err_set(err, errlen, "role '%s': cannot give it a private /tmp: %s", p->role, strerror(r->err));
		break;
	case STEP_MOUNT:
		err_set(err, errlen, "role '%s': cannot mount acklab's filesystem on its data folder: %s",
			p->role, strerror(r->err));
		break;
	case STEP_PARENT:
		err_set(err, errlen, "role '%s': acklab exited while starting it", p->role);
		break;
	default:
		err_set(err, errlen, "role '%s': cannot run '%s': %s", p->role, p->argv[0],
			strerror(r->err));
		break;
	}
}

/* One life: pipes, fork, wait for exec to succeed or fail. */
static int proc_spawn(struct proc *p, char *err, size_t errlen)
{
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, status_pipe[2] = { -1, -1 };
	int err_fd = -1, null_fd = -1;
	struct proc_child_report rep;
	pid_t parent = getpid(), pid;
	ssize_t n;
	int rc = -1;

	err_fd = proc_open_log(p, "stderr", err, errlen);
	if (err_fd < 0)
		goto done;
	if (p->out_log < 0) {
		p->out_log = proc_open_log(p, "stdout", err, errlen);
		if (p->out_log < 0)
			goto done;
	}
	if (p->want_stdin) {
		if (pipe2(in_pipe, O_CLOEXEC) != 0) {
			err_set(err, errlen, "role '%s': stdin pipe: %s", p->role, strerror(errno));
			goto done;
		}
	} else {
		null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null_fd < 0) {
			err_set(err, errlen, "role '%s': /dev/null: %s", p->role, strerror(errno));
			goto done;
		}
	}
	if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0) {
		err_set(err, errlen, "role '%s': pipe: %s", p->role, strerror(errno));
		goto done;
	}

	pid = fork();
	if (pid < 0) {
		err_set(err, errlen, "role '%s': fork: %s", p->role, strerror(errno));
		goto done;
	}
	if (pid == 0)
		proc_child(p, parent, p->want_stdin ? in_pipe[0] : null_fd, out_pipe[1], err_fd,
			   status_pipe[1]);

	/* Parent. Both sides set the group so signals to it never miss the child. */
	setpgid(pid, pid);
	proc_close_fd(&status_pipe[1]);
	do
		n = read(status_pipe[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		if (n != (ssize_t)sizeof(rep))
			rep = (struct proc_child_report){ STEP_EXEC, EIO };
		proc_describe_step(p, &rep, err, errlen);
		while (waitpid(pid, &p->status, 0) < 0 && errno == EINTR)
			;
		p->state = PROC_EXITED;
		goto done;
	}

	p->pid = pid;
	p->exit_unreported = false;
	proc_register(p);
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	p->state = PROC_RUNNING;
	p->status = 0;
	p->starts++;
	p->line_len = 0;
	p->out_fd = out_pipe[0];
	out_pipe[0] = -1;
	fcntl(p->out_fd, F_SETFL, fcntl(p->out_fd, F_GETFL) | O_NONBLOCK);
	if (p->want_stdin) {
		p->in_fd = in_pipe[1];
		in_pipe[1] = -1;
		fcntl(p->in_fd, F_SETFL, fcntl(p->in_fd, F_GETFL) | O_NONBLOCK);
	}
	rc = 0;
done:
	proc_close_fd(&in_pipe[0]);
	proc_close_fd(&in_pipe[1]);
	proc_close_fd(&out_pipe[0]);
	proc_close_fd(&out_pipe[1]);
	proc_close_fd(&status_pipe[0]);
	proc_close_fd(&status_pipe[1]);
	proc_close_fd(&err_fd);
	proc_close_fd(&null_fd);
	return rc;
}

int proc_start(struct proc **out, const struct proc_spec *spec, char *err, size_t errlen)
{
	return proc_start_mounted(out, spec, -1, NULL, err, errlen);
}

int proc_start_mounted(struct proc **out, const struct proc_spec *spec, int mount_fd,
		       const char *mount_at, char *err, size_t errlen)
{
	struct proc *p = NULL;
	size_t argc = 0;

	*out = NULL;
	if (!spec || !spec->role || !spec->argv || !spec->argv[0])
		return err_set(err, errlen, "proc: role and argv are required");
	if (strlen(spec->role) >= sizeof(p->role) || strchr(spec->role, '/'))
		return err_set(err, errlen, "proc: bad role name '%s'", spec->role);
	p = calloc(1, sizeof(*p));
	if (!p)
		return err_set(err, errlen, "role '%s': out of memory", spec->role);
	str_copy(p->role, spec->role, sizeof(p->role));
	p->netns_fd = p->pidfd = p->in_fd = p->out_fd = p->out_log = -1;
	p->want_stdin = spec->want_stdin;
	p->state = PROC_EXITED;
	while (spec->argv[argc])
		argc++;
	p->argv = calloc(argc + 1, sizeof(char *));
	p->log_dir.fd = -1;
	p->line = malloc(PROC_LINE_MAX + 1);
	if (!p->argv || !p->line) {
		err_set(err, errlen, "role '%s': out of memory", spec->role);
		goto err;
	}
	for (size_t i = 0; i < argc; i++) {
		p->argv[i] = strdup(spec->argv[i]);
		if (!p->argv[i]) {
			err_set(err, errlen, "role '%s': out of memory", spec->role);
			goto err;
		}
	}
	if (spec->log_dir) {
		char why[PATH_MAX + 512];

		if (outdir_open(&p->log_dir, spec->log_dir, false, why, sizeof(why)) != 0) {
			err_set(err, errlen, "role '%s': logs: %s", spec->role, why);
			goto err;
		}
	}
	if (spec->netns_fd >= 0) {
		p->netns_fd = fcntl(spec->netns_fd, F_DUPFD_CLOEXEC, 3);
		if (p->netns_fd < 0) {
			err_set(err, errlen, "role '%s': network namespace fd %d: %s", spec->role,
				spec->netns_fd, strerror(errno));
			goto err;
		}
	}
	p->mount_at = mount_at;
	p->mount_fd = mount_fd;
	if (proc_spawn(p, err, errlen) != 0)
		goto err;
	p->mount_at = NULL;           /* moved: a restart would have nothing to move */
	*out = p;
	return 0;
err:
	proc_free(p);
	return -1;
}

int proc_restart(struct proc *p, char *err, size_t errlen)
{
	if (proc_reap(p) < 0)
		return err_set(err, errlen, "role '%s': waitpid: %s", p->role, strerror(errno));
	if (p->state != PROC_EXITED)
		return err_set(err, errlen, "role '%s' is still running (pid %d); stop it before restarting",
			       p->role, (int)p->pid);
	proc_close_fd(&p->in_fd);
	proc_close_fd(&p->out_fd);
	proc_close_fd(&p->pidfd);
	return proc_spawn(p, err, errlen);
}

int proc_stdout_fd(const struct proc *p)
{
	return p->out_fd;
}

int proc_pidfd(const struct proc *p)
{
	return p->pidfd;
}

static void proc_emit(struct proc *p, proc_line_fn on_line, void *arg, int64_t t)
{
	ssize_t n __attribute__((unused));

	p->line[p->line_len] = '\0';
	if (p->out_log >= 0) {
		p->line[p->line_len] = '\n';
		n = write(p->out_log, p->line, p->line_len + 1);
		p->line[p->line_len] = '\0';
	}
	if (on_line)
		on_line(arg, p, p->line, t);
	p->line_len = 0;
}

int proc_drain(struct proc *p, proc_line_fn on_line, void *arg)
{
	char buf[16384];

	if (p->out_fd < 0)
		return 1;
	for (int reads = 0; reads < PROC_DRAIN_READS; reads++) {
		ssize_t n = read(p->out_fd, buf, sizeof(buf));
		int64_t t = mono_ns();

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -1;
		}
		if (n == 0) {
			/* End of file: a last line without its newline is still a line. */
			if (p->line_len > 0)
				proc_emit(p, on_line, arg, t);
			proc_close_fd(&p->out_fd);
			return 1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				proc_emit(p, on_line, arg, t);
				continue;
			}
			p->line[p->line_len++] = buf[i];
			if (p->line_len == PROC_LINE_MAX)
				proc_emit(p, on_line, arg, t);
		}
	}
	return 0;
}

int proc_write_line(struct proc *p, const char *line, char *err, size_t errlen)
{
	sigset_t pipe_set, old;
	size_t len = strlen(line), off = 0;
	char *buf;
	int64_t deadline = mono_ns() + (int64_t)PROC_WRITE_TIMEOUT * 1000000;
	int rc = -1, saved = 0;
	bool was_pending;

	if (p->in_fd < 0)
		return err_set(err, errlen, "role '%s': stdin is %s", p->role,
			       p->want_stdin ? "closed" : "not a pipe (want_stdin is off)");
	buf = malloc(len + 1);
	if (!buf)
		return err_set(err, errlen, "role '%s': out of memory", p->role);
	memcpy(buf, line, len);
	buf[len++] = '\n';

	/* A SIGPIPE raised here is consumed, not delivered: EPIPE is enough. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	{
		sigset_t pending;

		sigpending(&pending);
		was_pending = sigismember(&pending, SIGPIPE);
	}
	while (off < len) {
		ssize_t n = write(p->in_fd, buf + off, len - off);
		int64_t left;
		struct pollfd pfd = { p->in_fd, POLLOUT, 0 };

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			saved = errno;
			break;
		}
		left = (deadline - mono_ns()) / 1000000;
		if (left <= 0) {
			saved = ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			saved = errno;
			break;
		}
	}
	if (saved == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };

		sigtimedwait(&pipe_set, NULL, &zero);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);

	if (off == len)
		rc = 0;
	else if (saved == EPIPE)
		err_set(err, errlen, "role '%s': cannot write to stdin: the process has closed it or exited",
			p->role);
	else if (saved == ETIMEDOUT)
		err_set(err, errlen, "role '%s': stdin stayed full for %d ms (is it reading?)", p->role,
			PROC_WRITE_TIMEOUT);
	else
		err_set(err, errlen, "role '%s': write to stdin: %s", p->role, strerror(saved));
	free(buf);
	return rc;
}

void proc_close_stdin(struct proc *p)
{
	proc_close_fd(&p->in_fd);
}

/* Signal the whole process group while the leader is not yet reaped (its id is still ours). */
static int proc_kill(struct proc *p, int sig)
{
	if (p->state == PROC_EXITED || p->pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	if (kill(-p->pid, sig) == 0)
		return 0;
	return kill(p->pid, sig);
}

int proc_signal(struct proc *p, int sig, char *err, size_t errlen)
{
	if (proc_kill(p, sig) != 0)
		return err_set(err, errlen, "role '%s': cannot send signal %d (%s): %s", p->role, sig,
			       sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			       errno == ESRCH ? "it has exited" : strerror(errno));
	if (sig == SIGSTOP)
		p->state = PROC_PAUSED;
	else if (sig == SIGCONT)
		p->state = PROC_RUNNING;
	return 0;
}

/*
 * The leader has exited (seen with WNOWAIT): kill what is left of its group
 * while the id is still reserved by the zombie, then reap and record.
 */
static void proc_collect(struct proc *p)
{
	int st;
	pid_t r;

	kill(-p->pid, SIGKILL);
	do
		r = waitpid(p->pid, &st, 0);
	while (r < 0 && errno == EINTR);
	if (r == p->pid)
		p->status = st;
	p->state = PROC_EXITED;
	proc_unregister(p);
	proc_close_fd(&p->pidfd);
}

int proc_reap_children(void)
{
	int n = 0;

	for (;;) {
		siginfo_t si;
		struct proc *p;
		int st;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0)
			break;
		for (p = proc_all; p && p->pid != si.si_pid; p = p->next)
			;
		if (p) {
			proc_collect(p);
			p->exit_unreported = true;
		} else {
			while (waitpid(si.si_pid, &st, 0) < 0 && errno == EINTR)
				;
		}
		n++;
	}
	return n;
}

/* 1 if the leader has exited (not reaped), 0 if not, -1 on error. */
static int proc_exited_nowait(struct proc *p)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
		return errno == ECHILD ? 1 : -1;
	return si.si_pid == p->pid;
}

int proc_reap(struct proc *p)
{
	int r;

	if (p->state == PROC_EXITED) {
		r = p->exit_unreported;
		p->exit_unreported = false;
		return r;
	}
	r = proc_exited_nowait(p);
	if (r <= 0)
		return r;
	proc_collect(p);
	return 1;
}

/* Wait up to timeout_ms for the leader to exit: on the pidfd, or by polling waitid. */
static int proc_wait_deadline(struct proc *p, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		int64_t left = (deadline - mono_ns()) / 1000000;
		int r = proc_exited_nowait(p);

		if (r != 0)
			return r;
		if (left <= 0)
			return 0;
		if (p->pidfd >= 0) {
			struct pollfd pfd = { p->pidfd, POLLIN, 0 };

			poll(&pfd, 1, (int)left);
		} else {
			/* No pidfd: poll the condition every few ms until the deadline. */
			sleep_ms(left < 5 ? left : 5);
		}
	}
}

int proc_wait_exit(struct proc *p, int timeout_ms)
{
	int r;

	if (p->state == PROC_EXITED)
		return 0;
	r = proc_wait_deadline(p, timeout_ms);
	if (r < 0)
		return -1;
	if (r == 0) {
		proc_kill(p, SIGCONT);
		proc_kill(p, SIGKILL);
	}
	proc_collect(p);
	return 0;
}

void proc_stop(struct proc *p, int grace_ms)
{
	if (!p || p->state == PROC_EXITED)
		return;
	if (p->state == PROC_PAUSED)
		proc_kill(p, SIGCONT);
	proc_kill(p, SIGTERM);
	/* A stopped process only acts on SIGTERM once continued; do it again in case it was stopped from outside. */
	proc_kill(p, SIGCONT);
	p->state = PROC_RUNNING;
	proc_wait_exit(p, grace_ms);
}

void proc_free(struct proc *p)
{
	if (!p)
		return;
	proc_stop(p, 1000);
	proc_close_fd(&p->in_fd);
	proc_close_fd(&p->out_fd);
	proc_close_fd(&p->out_log);
	proc_close_fd(&p->pidfd);
	proc_close_fd(&p->netns_fd);
	proc_unregister(p);
	if (p->argv) {
		for (size_t i = 0; p->argv[i]; i++)
			free(p->argv[i]);
		free(p->argv);
	}
	outdir_close(&p->log_dir);
	free(p->line);
	free(p);
}

const char *proc_role(const struct proc *p)
{
	return p->role;
}

pid_t proc_pid(const struct proc *p)
{
	return p->pid;
}

enum proc_state proc_state(const struct proc *p)
{
	return p->state;
}

int proc_starts(const struct proc *p)
{
	return p->starts;
}

const char *proc_describe_exit(const struct proc *p, char *buf, size_t len)
{
	int st = p->status;

	if (p->state == PROC_RUNNING)
		snprintf(buf, len, "running");
	else if (p->state == PROC_PAUSED)
		snprintf(buf, len, "running (paused)");
	else if (WIFEXITED(st))
		snprintf(buf, len, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "signal %d (%s)%s", WTERMSIG(st),
			 sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?",
			 WCOREDUMP(st) ? ", core dumped" : "");
	else
		snprintf(buf, len, "status 0x%x", (unsigned)st);
	return buf;
}

int proc_exit_status(const struct proc *p)
{
	return p->status;
}
