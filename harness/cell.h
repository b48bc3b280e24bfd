/*
 * cell: the private state of one running cell, shared by the three files
 * that run it: runner.c (the lifecycle and the workload steps), cell_loop.c
 * (the poll loop: role output, packets and exits into the history, rules and
 * faults fired from it) and cell_roles.c (starting, restarting and waiting
 * for roles). Nothing outside the runner includes this.
 */
#ifndef ACKLAB_CELL_H
#define ACKLAB_CELL_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "fault.h"
#include "history.h"
#include "plan.h"
#include "outdir.h"
#include "proc.h"
#include "runner.h"
#include "topo.h"
#include "trigger.h"

#define RUNNER_MAX_ROLES (TOPO_MAX_HOSTS + 2)
#define RUNNER_READY_MS 10000
#define RUNNER_STORE_MS 10000
#define RUNNER_CLIENT_EXIT_MS 10000

struct role {
	char name[32];
	char host[32];
	struct proc *proc;
	const struct stack_cmd *cmd;
	bool exited_recorded;
	bool eof;
};

struct cell {
	const struct plan *plan;      /* what to run: every setting resolved */
	const struct scenario *s;     /* plan->s */
	const struct stack *st;
	const struct runner_opts *o;
	char dir[PATH_MAX];
	struct outdir out;            /* the cell folder, open (dir is its path) */
	struct topo *topo;
	struct capture *cap;
	struct history *hist;
	struct role roles[RUNNER_MAX_ROLES];
	int nroles;
	struct trigger rules[SCN_MAX_RULES];
	bool rule_failed;
	struct fault faults[SCN_MAX_RULES + SCN_MAX_STEPS];
	int nfaults;
	char tokens[SCN_MAX_IDS][96];
	int64_t t0, workload_start;
	bool workload_started;
	size_t arrivals;              /* role entries seen, in arrival order */
	size_t await_from;            /* arrivals index an un-keyed await looks from */
	/* arrival log: (role, entry) pairs for awaits, in arrival order */
	struct { char role[32]; json_t *ev; } *log;
	size_t nlog, caplog;
	char err[1024];
	bool failed;
	const char *channel_override; /* {channel} for the next role started, if set */
};

/* Lookups. */
struct role *cell_role(struct cell *c, const char *name);
const char *cell_token(struct cell *c, const char *msg_id);
/* Mark the cell failed with a reason (the first reason wins). */
void cell_fail(struct cell *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Remember an entry in arrival order, for awaits. */
void cell_log_arrival(struct cell *c, const char *role, json_t *ev);

/* cell_loop.c: faults, and the loop that feeds the history. */
void cell_apply_fault(struct cell *c, const struct scn_fault *sf, const char *why);
void cell_heal(struct cell *c, const char *name, const char *why);
/* One turn: wait up to max_ms (at most 10) for output, packets, exits and time rules. */
void cell_turn(struct cell *c, int max_ms);
/* Has role said ev (for msg, if set) since arrival index from? "done" = sent or failed. */
bool cell_seen(struct cell *c, size_t from, const char *role, const char *ev, const char *msg);
/* Record that role r's process exited (history, awaits, exit rules). */
void cell_record_exit(struct cell *c, struct role *r);
/* Turn the loop until cell_seen() holds (0), or ms pass, or the role exits (-1). */
int cell_wait_for(struct cell *c, const char *role, const char *ev, const char *msg, size_t from, int ms);
/* Turn the loop for ms. */
void cell_idle(struct cell *c, int ms);

/* cell_roles.c: roles. */
struct role *cell_add_role(struct cell *c, const char *name, const char *host, const struct stack_cmd *cmd);
/* Expand the stack's command for the role and start it (a server's failpoints only in its first life). */
int cell_start_role(struct cell *c, struct role *r, bool first_life, char *err, size_t errlen);
/* Start and wait for the role's ready event; fails the cell otherwise. */
int cell_start_and_wait(struct cell *c, struct role *r);

#endif
