/*
 * fault_proc: the rows of the process faults; see fault_proc.h.
 *
 * A process fault finds its role through env->find_role and signals it
 * through proc.h (restart goes through env->restart_role: only the runner
 * knows how to expand a role's command again). Each row's proof runs on the
 * lab's echo process with a connection from the client host; where a proof
 * needs the echo in some state first (frozen with bytes unread, or dead),
 * it gets there with the other rows of this file.
 */
#include "fault_proc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capability.h"
#include "lab.h"
#include "netprobe.h"
#include "proc.h"
#include "util.h"

static struct proc *proc_fault_role(struct fault *f, struct fault_env *env, char *err,
				    size_t errlen)
{
	struct proc *p = env->find_role ? env->find_role(env->arg, f->args[0]) : NULL;

	if (!p)
		err_set(err, errlen, "%s: no role '%s' is running in this run", f->ops->name,
			f->args[0]);
	return p;
}

static int proc_fault_signal(struct fault *f, struct fault_env *env, int sig, char *err,
			     size_t errlen)
{
	struct proc *p = proc_fault_role(f, env, err, errlen);

	if (!p)
		return -1;
	if (proc_signal(p, sig, err, errlen) == -1)
		return -1;
	f->touched.signalled = 1;
	return 0;
}

/* How long crash waits for the kernel to finish off the process it killed. */
#define CRASH_DEAD_MS 1000

/*
 * SIGKILL, then wait (on the pidfd, without collecting the exit, which the
 * loop records) until the process is gone and its sockets are closed: what
 * comes after a crash, a held packet released say, meets a dead process.
 */
static int crash_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	struct proc *p = proc_fault_role(f, env, err, errlen);
	struct pollfd pfd;

	if (!p || proc_fault_signal(f, env, SIGKILL, err, errlen) == -1)
		return -1;
	pfd = (struct pollfd){ proc_pidfd(p), POLLIN, 0 };
	if (pfd.fd >= 0)
		poll(&pfd, 1, CRASH_DEAD_MS);
	return 0;
}

static int pause_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	if (proc_fault_signal(f, env, SIGSTOP, err, errlen) == -1)
		return -1;
	f->active = true;
	return 0;
}

/* Healing a pause is resuming it. */
static int pause_heal(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return proc_fault_signal(f, env, SIGCONT, err, errlen);
}

static int resume_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return proc_fault_signal(f, env, SIGCONT, err, errlen);
}

static int restart_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	if (!env->restart_role)
		return err_set(err, errlen, "restart: this run cannot restart roles");
	if (env->restart_role(env->arg, f->args[0], err, errlen) == -1)
		return -1;
	f->touched.started = 1;
	return 0;
}

static void crash_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "killed %s with SIGKILL (no cleanup, like an OOM kill)", f->args[0]);
}

static void pause_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "froze %s with SIGSTOP", f->args[0]);
}

static void resume_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "resumed %s with SIGCONT", f->args[0]);
}

static void restart_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "started %s again with the same command and files", f->args[0]);
}

/* --- proofs, on the lab's echo process ------------------------------------- */

/* f made from row ops on the role "server" and applied in the lab. */
static int proc_fault_on_echo(struct lab *lab, struct fault *f, const struct fault_ops *ops,
			      char *err, size_t errlen)
{
	const char *args[] = { "server" };

	if (fault_init(f, ops, args, 1, err, errlen) == -1)
		return -1;
	return fault_apply(f, &lab->env, err, errlen);
}

/*
 * A connection to a running echo that has been frozen and holds unread
 * bytes: fd (caller closes) or -1 with err.
 */
static int proc_frozen_echo(struct lab *lab, struct fault *pause, char *err, size_t errlen)
{
	int fd;

	if (lab_echo_running(lab, err, errlen) == -1)
		return -1;
	fd = lab_echo_connect(lab, err, errlen);
	if (fd < 0)
		return -1;
	if (proc_fault_on_echo(lab, pause, &fault_pause, err, errlen) == -1 ||
	    netprobe_send(fd, "unread", 6, LAB_WAIT_MS, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void crash_prove(struct lab *lab, struct fault_proof *out)
{
	struct fault pause, f = { 0 };
	char err[256], exit[32] = "running", buf[16];
	bool reset = false;
	int fd = proc_frozen_echo(lab, &pause, err, sizeof err);

	/* A dying socket with unread bytes makes the kernel send a reset. */
	if (fd >= 0)
		lab_quiet(fd);        /* the bytes settle, unread, in the frozen server's socket */
	if (fd >= 0 && proc_fault_on_echo(lab, &f, &fault_crash, err, sizeof err) == 0) {
		proc_wait_exit(lab->echo, LAB_WAIT_MS);
		proc_describe_exit(lab->echo, exit, sizeof exit);
		reset = netprobe_recv(fd, buf, sizeof buf, LAB_WAIT_MS, err, sizeof err) == -1 &&
			errno == ECONNRESET;
		snprintf(out->observed, sizeof out->observed, "server %s; client %s", exit,
			 reset ? "got ECONNRESET" : "saw no reset");
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = reset && f.touched.signalled == 1;
	if (fd >= 0)
		close(fd);
}

static void pause_prove(struct lab *lab, struct fault_proof *out)
{
	struct fault f;
	char err[256];
	bool frozen = false, thawed = false;
	int fd = -1;

	if (lab_echo_running(lab, err, sizeof err) == 0)
		fd = lab_echo_connect(lab, err, sizeof err);
	if (fd >= 0 && proc_fault_on_echo(lab, &f, &fault_pause, err, sizeof err) == 0) {
		frozen = netprobe_send(fd, "a", 1, LAB_WAIT_MS, err, sizeof err) == 0 &&
			 lab_quiet(fd);
		thawed = fault_heal(&f, &lab->env, err, sizeof err) == 0 && lab_arrives(fd);
		snprintf(out->observed, sizeof out->observed, "while paused %s; after heal %s",
			 frozen ? "no echo" : "echoed", thawed ? "the echo came" : "nothing came");
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = frozen && thawed;
	if (fd >= 0)
		close(fd);
}

static void resume_prove(struct lab *lab, struct fault_proof *out)
{
	struct fault pause, f;
	char err[256];
	bool frozen = false, thawed = false;
	int fd = proc_frozen_echo(lab, &pause, err, sizeof err);

	if (fd >= 0) {
		frozen = lab_quiet(fd);
		thawed = proc_fault_on_echo(lab, &f, &fault_resume, err, sizeof err) == 0 &&
			 lab_arrives(fd);
		snprintf(out->observed, sizeof out->observed, "while paused %s; after resume %s",
			 frozen ? "no echo" : "echoed", thawed ? "the echo came" : "nothing came");
		close(fd);
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = frozen && thawed;
}

static void restart_prove(struct lab *lab, struct fault_proof *out)
{
	struct fault crash, f;
	char err[256] = "";
	bool dead = false, serves = false;
	int fd = -1;

	if (lab_echo_running(lab, err, sizeof err) == 0 &&
	    proc_fault_on_echo(lab, &crash, &fault_crash, err, sizeof err) == 0)
		dead = proc_wait_exit(lab->echo, LAB_WAIT_MS) == 0;
	if (dead && proc_fault_on_echo(lab, &f, &fault_restart, err, sizeof err) == 0) {
		fd = lab_echo_connect(lab, err, sizeof err);
		serves = fd >= 0 && netprobe_send(fd, "b", 1, LAB_WAIT_MS, err, sizeof err) == 0 &&
			 lab_arrives(fd);
		if (fd >= 0)
			close(fd);
	}
	snprintf(out->observed, sizeof out->observed, "%s",
		 serves ? "after a crash, a new connection is echoed" : err);
	out->ok = serves;
}

const struct fault_ops fault_crash = {
	"crash", "crash ROLE", "kill a role's process with SIGKILL", 1, 1, FAULT_ARG_ROLE, 0,
	fault_validate_roles, crash_apply, NULL, crash_describe,
	"SIGKILL; the peer sees a reset", crash_prove, 0,
};

const struct fault_ops fault_pause = {
	"pause", "pause ROLE", "freeze a role's process with SIGSTOP (heal resumes it)", 1, 1,
	FAULT_ARG_ROLE, 0, fault_validate_roles, pause_apply, pause_heal, pause_describe,
	"a paused server answers nothing; heal resumes it", pause_prove, 0,
};

const struct fault_ops fault_resume = {
	"resume", "resume ROLE", "resume a paused role with SIGCONT", 1, 1, FAULT_ARG_ROLE, 0,
	fault_validate_roles, resume_apply, NULL, resume_describe,
	"a paused server answers again", resume_prove, 0,
};

/* Restarting needs a stack whose server comes back on the same store. */
const struct fault_ops fault_restart = {
	"restart", "restart ROLE", "start a role again with the same command and files", 1, 1,
	FAULT_ARG_ROLE, CAP_RESTART, fault_validate_roles, restart_apply, NULL, restart_describe,
	"the same command starts again and serves", restart_prove, 0,
};
