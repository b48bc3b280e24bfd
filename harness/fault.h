/*
 * fault: the table of fault primitives. Each is {apply, heal, describe}
 * plus its argument shape; adding a fault is one function set and one row
 * in fault_table (fault.c).
 *
 *   crash ROLE            SIGKILL the role's process (like an OOM kill)
 *   pause ROLE            SIGSTOP it            resume ROLE   SIGCONT it
 *   restart ROLE          start the same command again (after a crash or exit)
 *   drop-replies A B      data packets from B back to A on A->B TCP flows are lost
 *   drop A B              every packet from host A to host B is lost
 *   blackhole HOST        every packet in or out of HOST's link is lost
 *   reset A B             the A->B flows established now get a TCP reset on their next packet
 *   evict-nat A [B]       the router forgets the NAT/conntrack state of A->B flows
 *   heal [NAME]           undo every active fault (or the active ones of NAME)
 */
#ifndef ACKLAB_FAULT_H
#define ACKLAB_FAULT_H

#include <stdbool.h>
#include <stddef.h>

#include "nft.h"

struct topo;
struct proc;

#define FAULT_MAX_ARGS 3

/* What a fault acts on; the runner fills it. */
struct fault_env {
	struct topo *topo;
	/* Look a role's process up by name ("server", "client", "recipient1"). */
	struct proc *(*find_role)(void *arg, const char *role);
	/* Restart a role (the runner re-expands its command: a restarted server runs without failpoints). */
	int (*restart_role)(void *arg, const char *role, char *err, size_t errlen);
	void *arg;
};

/* One applied (or to-be-applied) fault. */
struct fault {
	const struct fault_ops *ops;
	char args[FAULT_MAX_ARGS][32];
	int nargs;
	bool active;                  /* applied and not healed (for faults that can be healed) */
	struct nft_fault nft;         /* rules to remove on heal */
	int affected;                 /* e.g. number of conntrack entries evicted */
};

enum fault_arg_kind { FAULT_ARG_ROLE, FAULT_ARG_HOST };

struct fault_ops {
	const char *name;
	const char *usage;            /* "drop-replies FROM-HOST TO-HOST" */
	const char *summary;          /* one line for --help and `acklab doctor` */
	int min_args, max_args;
	enum fault_arg_kind arg_kind;
	int (*apply)(struct fault *f, struct fault_env *env, char *err, size_t errlen);
	/* NULL when the fault is instantaneous (crash, restart) */
	int (*heal)(struct fault *f, struct fault_env *env, char *err, size_t errlen);
	/* A human sentence: "dropped data packets from server back to client on 1 flow" */
	void (*describe)(const struct fault *f, char *buf, size_t len);
};

/* The ops named name, or NULL. "heal" is not in the table: it is a step of its own. */
const struct fault_ops *fault_lookup(const char *name);
/* The closest known fault name to a misspelt one (for "did you mean"), or NULL. */
const char *fault_suggest(const char *name);
/* NULL-terminated list of every fault name, in table order. */
const char *const *fault_names(void);

/* Fill f from ops and args (copied); checks the argument count. */
int fault_init(struct fault *f, const struct fault_ops *ops, const char *const *args, int nargs,
	       char *err, size_t errlen);
int fault_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen);
/* Heal if active; instantaneous faults are a no-op. */
int fault_heal(struct fault *f, struct fault_env *env, char *err, size_t errlen);
void fault_describe(const struct fault *f, char *buf, size_t len);

#endif
