/*
 * fault_lb: stop and drain; see fault_lb.h.
 *
 * A drain counts what it touched as the sessions the balancer had on the
 * instance at that moment (the scur column of HAProxy's `show stat`): a
 * drain of an instance nobody was using changed nothing a client could
 * notice, and the untouched rule says so.
 */
#include "fault_lb.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balancer.h"
#include "lab.h"
#include "proc.h"
#include "util.h"

/* How long a stopped process has to finish before it is killed. */
#define STOP_GRACE_MS 3000

static int stop_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	struct proc *p = env->find_role ? env->find_role(env->arg, f->args[0]) : NULL;
	struct pollfd pfd;

	if (!p)
		return err_set(err, errlen, "stop: no role '%s' is running in this run", f->args[0]);
	if (proc_signal(p, SIGTERM, err, errlen) == -1)
		return -1;
	f->touched.signalled = 1;
	/* Wait on the pidfd without collecting the exit (the loop records it). */
	pfd = (struct pollfd){ proc_pidfd(p), POLLIN, 0 };
	if (pfd.fd >= 0 && poll(&pfd, 1, STOP_GRACE_MS) == 0)
		return proc_signal(p, SIGKILL, err, errlen);
	return 0;
}

static void stop_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "stopped %s with SIGTERM, as a deploy does (SIGKILL after %d ms)", f->args[0],
		 STOP_GRACE_MS);
}

/* The sessions HAProxy has on instance role now (scur in `show stat`), or -1 with err. */
static long drain_sessions(struct fault_env *env, const char *role, char *err, size_t errlen)
{
	char *reply = malloc(65536), prefix[64];
	const char *line;
	long scur = -1;

	if (!reply)
		return err_set(err, errlen, "out of memory");
	if (env->balancer(env->arg, "show stat", reply, 65536, err, errlen) == -1) {
		free(reply);
		return -1;
	}
	/* pxname,svname,qcur,qmax,scur,... */
	snprintf(prefix, sizeof prefix, "%s,%s,", BALANCER_BACKEND, role);
	for (line = reply; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, prefix, strlen(prefix)) == 0 &&
		    sscanf(line + strlen(prefix), "%*[^,],%*[^,],%ld", &scur) == 1)
			break;
	free(reply);
	if (scur < 0)
		return err_set(err, errlen, "HAProxy has no server %s/%s", BALANCER_BACKEND, role);
	return scur;
}

static int drain_set(struct fault *f, struct fault_env *env, const char *state, char *err, size_t errlen)
{
	char cmd[128], reply[256];

	if (!env->balancer)
		return err_set(err, errlen, "%s: this run has no balancer (servers N behind haproxy)",
			       f->ops->name);
	snprintf(cmd, sizeof cmd, "set server %s/%s state %s", BALANCER_BACKEND, f->args[0], state);
	if (env->balancer(env->arg, cmd, reply, sizeof reply, err, errlen) == -1)
		return -1;
	if (reply[strspn(reply, " \r\n")])
		return err_set(err, errlen, "HAProxy refused '%s': %.*s", cmd, (int)strcspn(reply, "\r\n"), reply);
	return 0;
}

static int drain_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	long sessions;

	if (drain_set(f, env, "drain", err, errlen) == -1)
		return -1;
	f->active = true;
	sessions = drain_sessions(env, f->args[0], err, errlen);
	if (sessions < 0)
		return -1;
	f->touched.flows = (int)sessions;
	return 0;
}

static int drain_heal(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return drain_set(f, env, "ready", err, errlen);
}

static void drain_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "the balancer sends %s no new connections (drain); those it has go on", f->args[0]);
}

/* The lab's echo ends on SIGTERM: stop is proved by its exit. */
static void stop_prove(struct lab *lab, struct fault_proof *out)
{
	const char *args[] = { "server" };
	struct fault f;
	char err[256];
	bool gone = false;

	if (fault_init(&f, &fault_stop, args, 1, err, sizeof err) == 0 &&
	    fault_apply(&f, &lab->env, err, sizeof err) == 0) {
		struct proc *p = lab->env.find_role(lab->env.arg, "server");

		gone = !p || proc_reap(p) == 1 || proc_state(p) == PROC_EXITED;
	}
	snprintf(out->observed, sizeof out->observed, "%s",
		 gone ? "after SIGTERM the echo process has exited" : err);
	out->ok = gone;
}

/* A drain needs HAProxy in front of two instances: the rolling-deploy scenarios prove it. */
static void drain_prove(struct lab *lab, struct fault_proof *out)
{
	(void)lab;
	out->skipped = true;
	snprintf(out->observed, sizeof out->observed,
		 "needs HAProxy and server instances: proved by the rolling-deploy-drain scenario");
}

const struct fault_ops fault_stop = {
	"stop", "stop ROLE", "end a role's process with SIGTERM, as a deploy does (SIGKILL after 3 s)", 1, 1,
	FAULT_ARG_ROLE, 0, fault_validate_roles, stop_apply, NULL, stop_describe,
	"SIGTERM ends the process", stop_prove, 0,
};

const struct fault_ops fault_drain = {
	"drain", "drain ROLE", "the balancer sends a server instance no new connections (heal: ready again)", 1, 1,
	FAULT_ARG_ROLE, 0, fault_validate_roles, drain_apply, drain_heal, drain_describe,
	"a drained instance gets no new connections", drain_prove, 0,
};
