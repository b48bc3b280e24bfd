/*
 * fault: the fault primitives table. Process faults act on a role's process
 * through proc.h; network faults add and remove router rules through nft.h
 * or edit conntrack through conntrack.h. Each row is {name, usage, summary,
 * argument shape, apply, heal, describe}; apply fills the struct fault with
 * what heal needs and what describe reports.
 */
#include "fault.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "conntrack.h"
#include "nft.h"
#include "proc.h"
#include "router.h"
#include "topo.h"
#include "util.h"

static struct proc *fault_role(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	struct proc *p = env->find_role ? env->find_role(env->arg, f->args[0]) : NULL;

	if (!p)
		err_set(err, errlen, "%s: no role '%s' is running in this run", f->ops->name, f->args[0]);
	return p;
}

static int fault_signal(struct fault *f, struct fault_env *env, int sig, char *err, size_t errlen)
{
	struct proc *p = fault_role(f, env, err, errlen);

	if (!p)
		return -1;
	if (proc_signal(p, sig, err, errlen) == -1)
		return -1;
	f->affected = 1;
	return 0;
}

static int crash_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return fault_signal(f, env, SIGKILL, err, errlen);
}

static int pause_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	if (fault_signal(f, env, SIGSTOP, err, errlen) == -1)
		return -1;
	f->active = true;
	return 0;
}

/* Healing a pause is resuming it. */
static int pause_heal(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return fault_signal(f, env, SIGCONT, err, errlen);
}

static int resume_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return fault_signal(f, env, SIGCONT, err, errlen);
}

static int restart_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	if (!env->restart_role)
		return err_set(err, errlen, "restart: this run cannot restart roles");
	if (env->restart_role(env->arg, f->args[0], err, errlen) == -1)
		return -1;
	f->affected = 1;
	return 0;
}

static int nft_fault_heal(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return nft_heal(env->topo, &f->nft, err, errlen);
}

static int drop_replies_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	if (nft_drop_replies(env->topo, f->args[0], f->args[1], &f->nft, err, errlen) == -1)
		return -1;
	f->active = true;
	f->affected = f->nft.nhandles;
	return 0;
}

static int drop_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	if (nft_drop(env->topo, f->args[0], f->args[1], &f->nft, err, errlen) == -1)
		return -1;
	f->active = true;
	return 0;
}

static int blackhole_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	if (nft_blackhole(env->topo, f->args[0], &f->nft, err, errlen) == -1)
		return -1;
	f->active = true;
	return 0;
}

static int reset_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	if (nft_reset(env->topo, f->args[0], f->args[1], &f->nft, err, errlen) == -1)
		return -1;
	f->active = true;
	f->affected = f->nft.nhandles / 2;
	return 0;
}

static int evict_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	struct topo_host *a = topo_host(env->topo, f->args[0]);
	struct topo_host *b = f->nargs > 1 ? topo_host(env->topo, f->args[1]) : NULL;
	struct ct_table *ct;
	int n;

	if (!a || !a->addr[0] || (f->nargs > 1 && (!b || !b->addr[0])))
		return err_set(err, errlen, "no host named '%s' with an address",
			       !a || !a->addr[0] ? f->args[0] : f->args[1]);
	ct = router_conntrack(env->topo->rt, err, errlen);
	n = ct ? ct_evict(ct, a->addr, b ? b->addr : NULL, err, errlen) : -1;
	if (n < 0)
		return -1;
	f->affected = n;
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

static void drop_replies_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "router drops data packets from %s back to %s on the %s %s->%s flow "
		 "(the request gets through, the reply never does)",
		 f->args[1], f->args[0], f->nft.set_name[0] ? "next new" : "current",
		 f->args[0], f->args[1]);
}

static void drop_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "router drops every packet from %s to %s", f->args[0], f->args[1]);
}

static void blackhole_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "router drops every packet in or out of %s's link", f->args[0]);
}

static void reset_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "router answers the next packet of the %d %s->%s flow%s established now "
		 "with a TCP reset (new flows pass)", f->affected, f->args[0], f->args[1],
		 f->affected == 1 ? "" : "s");
}

static void evict_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "router forgot the NAT state of %d %s->%s flow%s (their next packets are "
		 "dropped as invalid; neither end is told)", f->affected, f->args[0],
		 f->nargs > 1 ? f->args[1] : "any", f->affected == 1 ? "" : "s");
}

static const struct fault_ops fault_ops_table[] = {
	{ "crash", "crash ROLE", "kill a role's process with SIGKILL", 1, 1, FAULT_ARG_ROLE,
	  crash_apply, NULL, crash_describe },
	{ "pause", "pause ROLE", "freeze a role's process with SIGSTOP (heal resumes it)", 1, 1,
	  FAULT_ARG_ROLE, pause_apply, pause_heal, pause_describe },
	{ "resume", "resume ROLE", "resume a paused role with SIGCONT", 1, 1, FAULT_ARG_ROLE,
	  resume_apply, NULL, resume_describe },
	{ "restart", "restart ROLE", "start a role again with the same command and files", 1, 1,
	  FAULT_ARG_ROLE, restart_apply, NULL, restart_describe },
	{ "drop-replies", "drop-replies FROM-HOST TO-HOST",
	  "lose the data packets of replies on the current (or next) FROM->TO flow", 2, 2,
	  FAULT_ARG_HOST, drop_replies_apply, nft_fault_heal, drop_replies_describe },
	{ "drop", "drop FROM-HOST TO-HOST", "lose every packet from one host to another", 2, 2,
	  FAULT_ARG_HOST, drop_apply, nft_fault_heal, drop_describe },
	{ "blackhole", "blackhole HOST", "lose every packet in or out of a host's link", 1, 1,
	  FAULT_ARG_HOST, blackhole_apply, nft_fault_heal, blackhole_describe },
	{ "reset", "reset FROM-HOST TO-HOST", "reset the FROM->TO TCP flows established now (new ones pass)",
	  2, 2, FAULT_ARG_HOST, reset_apply, nft_fault_heal, reset_describe },
	{ "evict-nat", "evict-nat FROM-HOST [TO-HOST]",
	  "delete the router's conntrack/NAT entries of FROM->TO flows (half-open connections)", 1, 2,
	  FAULT_ARG_HOST, evict_apply, NULL, evict_describe },
};

const struct fault_ops *fault_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(fault_ops_table); i++)
		if (strcmp(fault_ops_table[i].name, name) == 0)
			return &fault_ops_table[i];
	return NULL;
}

const char *const *fault_names(void)
{
	static const char *names[ARRAY_LEN(fault_ops_table) + 1];

	for (size_t i = 0; i < ARRAY_LEN(fault_ops_table); i++)
		names[i] = fault_ops_table[i].name;
	names[ARRAY_LEN(fault_ops_table)] = NULL;
	return names;
}

const char *fault_suggest(const char *name)
{
	const char *best = NULL;
	int best_d = (int)strlen(name) / 3 + 2;   /* how far a typo may wander */

	for (size_t i = 0; i < ARRAY_LEN(fault_ops_table); i++) {
		int d = edit_distance(name, fault_ops_table[i].name);

		if (d < best_d) {
			best_d = d;
			best = fault_ops_table[i].name;
		}
	}
	if (!best && strcmp(name, "heal") != 0)
		for (size_t i = 0; i < ARRAY_LEN(fault_ops_table); i++)
			if (strstr(fault_ops_table[i].name, name) || strstr(name, fault_ops_table[i].name))
				return fault_ops_table[i].name;
	return best;
}

int fault_init(struct fault *f, const struct fault_ops *ops, const char *const *args, int nargs,
	       char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	if (nargs < ops->min_args || nargs > ops->max_args)
		return err_set(err, errlen, "%s takes %s%d argument%s (usage: %s)", ops->name,
			       ops->min_args == ops->max_args ? "" : "at most ",
			       ops->max_args, ops->max_args == 1 ? "" : "s", ops->usage);
	f->ops = ops;
	f->nargs = nargs;
	for (int i = 0; i < nargs; i++)
		str_copy(f->args[i], args[i], sizeof f->args[i]);
	return 0;
}

int fault_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	char inner[512];

	if (f->ops->apply(f, env, inner, sizeof inner) == -1)
		return err_set(err, errlen, "fault %s: %s", f->ops->name, inner);
	return 0;
}

int fault_heal(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	char inner[512];

	if (!f->active || !f->ops->heal)
		return 0;
	if (f->ops->heal(f, env, inner, sizeof inner) == -1)
		return err_set(err, errlen, "heal %s: %s", f->ops->name, inner);
	f->active = false;
	return 0;
}

void fault_describe(const struct fault *f, char *buf, size_t len)
{
	f->ops->describe(f, buf, len);
}
