/*
 * fault: one fault, and the shape every kind of fault has.
 *
 * A kind of fault is one row, struct fault_ops: its name and usage, the
 * capabilities it needs from a stack, and its functions — validate (the
 * arguments, at parse time), apply, heal, describe, and prove (the doctor's
 * demonstration on plain TCP, with the sentence it is held to). The rows
 * live with their kin (fault_proc.c: crash, pause, resume, restart;
 * fault_net.c: drop-replies, drop, blackhole, reset, evict-nat, partition;
 * fault_queue.c: hold, delay, loss, duplicate, reorder; fault_disk.c:
 * disk-full, disk-error, disk-slow, lose-unsynced) and the
 * table that names them is fault_table.c. This module knows no row: it
 * drives any of them through its life (init, apply, heal, describe) and
 * holds what a fault touched, so that a fault that touched nothing is never
 * taken for a pass.
 *
 *   crash ROLE            SIGKILL the role's process (like an OOM kill)
 *   pause ROLE            SIGSTOP it            resume ROLE   SIGCONT it
 *   restart ROLE          start the same command again (after a crash or exit)
 *   drop-replies A B      data packets from B back to A on A->B TCP flows are lost
 *   drop A B              every packet from host A to host B is lost
 *   blackhole HOST        every packet in or out of HOST's link is lost
 *   reset A B             the A->B flows established now get a TCP reset on their next packet
 *   evict-nat A [B]       the router forgets the NAT/conntrack state of A->B flows
 *   partition A B         every packet between A and B is lost, both ways
 *   hold A B              the router keeps every packet from A to B until healed, then
 *                         lets them go in order (none is lost)
 *   delay A B MS [jitter MS]   every packet from A to B waits MS (plus or minus jitter)
 *   loss A B P%           each packet from A to B is dropped with chance P
 *   duplicate A B P%      each packet from A to B is delivered twice with chance P
 *   reorder A B P% [by MS]     each packet from A to B waits MS (default 10ms) with
 *                         chance P while the ones after it pass
 *   disk-full server      writes in the server's data folder fail with ENOSPC
 *   disk-error server [fsync|write|read]   they fail with EIO (all three when not named)
 *   disk-slow server MS   each fsync there waits MS first
 *   lose-unsynced server  power cut: the server is killed and its unsynced writes dropped
 *   heal [NAME]           undo every active fault (or the active ones of NAME), last first
 */
#ifndef ACKLAB_FAULT_H
#define ACKLAB_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "nft.h"

struct topo;
struct proc;
struct lab;
struct disk;

#define FAULT_MAX_ARGS 5
/* validate's recipients while a scenario is still being read (a later line may add some). */
#define FAULT_RECIPIENTS_UNKNOWN (-1)

/* What a fault acts on; the runner (or the doctor's lab) fills it. */
struct fault_env {
	struct topo *topo;
	/* Look a role's process up by name ("server", "client", "recipient1"). */
	struct proc *(*find_role)(void *arg, const char *role);
	/* Restart a role (the runner re-expands its command: a restarted server runs without failpoints). */
	int (*restart_role)(void *arg, const char *role, char *err, size_t errlen);
	void *arg;
	/*
	 * The filesystem serving a role's data folder (disk.h), or NULL when
	 * this run serves none for it (NULL itself: the run has no storage).
	 */
	struct disk *(*find_disk)(void *arg, const char *role);
	/* Where the random choices of shaping faults start (the cell's seed), so a run repeats. */
	unsigned long seed;
	/*
	 * One command to the balancer's runtime API (balancer.h) and its answer,
	 * or NULL when the run has no balancer.
	 */
	int (*balancer)(void *arg, const char *cmd, char *reply, size_t len, char *err, size_t errlen);
};

/* What a fault acted on, counted by its apply and its heal. */
struct fault_touched {
	uint64_t packets;             /* packets the router's fault rules dropped or reset */
	int flows;                    /* flows: conntrack entries evicted, or flows a rule acts on */
	int signalled;                /* processes signalled (crash, pause, resume) */
	int started;                  /* processes started (restart) */
	uint64_t ops;                 /* file operations failed or delayed; writes dropped (storage) */
	uint64_t bytes;               /* bytes of unsynced writes dropped (lose-unsynced) */
	uint64_t held;                /* packets the router's queue kept until a heal or a fault */
	uint64_t delayed;             /* packets it kept for a while (delay, reorder) */
	uint64_t duplicated;          /* packets it had the kernel send twice */
};

/* One applied (or to-be-applied) fault. */
struct fault {
	const struct fault_ops *ops;
	char args[FAULT_MAX_ARGS][32];
	int nargs;
	bool active;                  /* applied and not healed (for faults that can be healed) */
	bool healed;                  /* heal ran: the counts are final */
	struct nft_fault nft;         /* rules to remove on heal, and their counters */
	int queue_rule;               /* the router queue's rule (pktq.h) to remove on heal, or 0 */
	struct fault_touched touched;
};

/* What a fault's arguments name: every one a role or a host, or a role and then values (ms, fsync). */
enum fault_arg_kind { FAULT_ARG_ROLE, FAULT_ARG_HOST, FAULT_ARG_ROLE_THEN_VALUES };

/* What the doctor saw when it proved a fault. */
struct fault_proof {
	bool ok;
	char observed[256];
	bool skipped;                 /* this machine cannot show it (observed says why): no verdict */
};

struct fault_ops {
	const char *name;
	const char *usage;            /* "drop-replies FROM-HOST TO-HOST" */
	const char *summary;          /* one line for `acklab list` */
	int min_args, max_args;
	enum fault_arg_kind arg_kind; /* what every argument names */
	unsigned needs;               /* capability bits (capability.h) the stack must offer */
	/*
	 * Check the arguments before anything runs: how many, and what they
	 * name. args holds min(nargs, FAULT_MAX_ARGS) words. recipients is the
	 * run's recipient count, or FAULT_RECIPIENTS_UNKNOWN, when names that
	 * depend on it are the caller's to check. Returns 0, or -1 with err and
	 * *bad_arg: the index of the argument at fault (nargs: one is missing
	 * after the last), -1 for the whole fault.
	 */
	int (*validate)(const struct fault_ops *ops, const char *const *args, int nargs,
			int recipients, int *bad_arg, char *err, size_t errlen);
	int (*apply)(struct fault *f, struct fault_env *env, char *err, size_t errlen);
	/* NULL when the fault is instantaneous (crash, restart) */
	int (*heal)(struct fault *f, struct fault_env *env, char *err, size_t errlen);
	/* A human sentence: "router drops every packet from client to server" */
	void (*describe)(const struct fault *f, char *buf, size_t len);
	/* The doctor's check: what it must see (one line), and the proof on the lab (lab.h). */
	const char *proof;
	void (*prove)(struct lab *lab, struct fault_proof *out);
	/*
	 * How many leading arguments name what arg_kind says; the rest are
	 * values (80ms, 5%) that validate checks. 0: every argument is a name.
	 */
	int nnames;
};

/* ops->validate (which checks the count first, then what the arguments name). */
int fault_validate(const struct fault_ops *ops, const char *const *args, int nargs,
		   int recipients, int *bad_arg, char *err, size_t errlen);

/* Fill f from ops and args (copied) once validate accepts them (recipients unknown). */
int fault_init(struct fault *f, const struct fault_ops *ops, const char *const *args, int nargs,
	       char *err, size_t errlen);
/* Errors come back as "fault NAME: what". */
int fault_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen);
/* Heal if active ("heal NAME: what" on error); instantaneous faults are a no-op. */
int fault_heal(struct fault *f, struct fault_env *env, char *err, size_t errlen);

/*
 * Heal the active faults of faults[0..n) (only those named name, unless name
 * is NULL or ""), the last applied first, so each heal finds the network and
 * the processes as they were when its fault was applied. healed (may be
 * NULL) is called after each heal. Stops at the first failure: -1 with err.
 */
int fault_heal_all(struct fault *faults, int n, const char *name, struct fault_env *env,
		   void (*healed)(void *arg, struct fault *f), void *arg, char *err, size_t errlen);

void fault_describe(const struct fault *f, char *buf, size_t len);

/*
 * What f touched, as {"packets":N,"flows":N,"signalled":N,"started":N,
 * "ops":N,"bytes":N,"held":N,"delayed":N,"duplicated":N} for
 * the history (final once healed). *out is the caller's. Returns 0, or -1
 * when out of memory.
 */
int fault_touched(const struct fault *f, json_t **out);
/*
 * Did f act on anything: a packet dropped or reset by its rules (for a fault
 * made of router rules, marking a flow is not enough), a packet held,
 * delayed or duplicated by the router's queue, a conntrack entry evicted, a
 * process signalled or started, a file operation failed, delayed or
 * dropped? Also given as "bit" by
 * fault_touched(). A fault that did not bite makes a clean verdict vacuous.
 */
bool fault_bit(const struct fault *f);

/* How many of nargs arguments are names (ops->nnames, or all of them). */
int fault_names_in(const struct fault_ops *ops, int nargs);

/*
 * Validators rows share; both check the count against the row first, then
 * the names among the arguments (fault_names_in).
 * fault_validate_roles: every argument names a role (client, server,
 * recipientN). fault_validate_hosts: every argument names a host with a
 * link (not the router), each a different one.
 */
int fault_validate_roles(const struct fault_ops *ops, const char *const *args, int nargs,
			 int recipients, int *bad_arg, char *err, size_t errlen);
int fault_validate_hosts(const struct fault_ops *ops, const char *const *args, int nargs,
			 int recipients, int *bad_arg, char *err, size_t errlen);

#endif
