/*
 * cell: the private state of one running cell, and the layers that run it.
 * Calls go one way, from the top down; a lower file never calls a higher one:
 *
 *   runner.c      the lifecycle and the workload steps
 *   cell_loop.c   the poll loop: role output, packets and exits into the
 *                 history, rules and faults fired from it, awaits, starting
 *                 roles and waiting for them to be ready, the settle step
 *   cell_await.c  awaits that ask nothing of the server: the store polled
 *                 with the stack's store command, a packet seen at a host
 *   cell_queue.c  the router's packet queue: hold rules and packet triggers
 *                 with a direction, served from the loop
 *   cell_roles.c  a role's command expanded and started in its host, and
 *                 readiness by port for servers that print no ready line
 *   cell.c        the cell's state: lookups, failure, the arrival log and
 *                 the questions asked of it (has a role said this yet? is
 *                 its connection up? has the cell settled?), without I/O
 *
 * What roles need from the loop (recording an arrival, failing the cell) is
 * in cell.c, below both. Nothing outside the runner (and its unit test of
 * cell.c) includes this.
 */
#ifndef ACKLAB_CELL_H
#define ACKLAB_CELL_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "disk.h"
#include "fault.h"
#include "history.h"
#include "strmap.h"
#include "plan.h"
#include "outdir.h"
#include "proc.h"
#include "runner.h"
#include "topo.h"
#include "trigger.h"

#define RUNNER_MAX_ROLES (TOPO_MAX_HOSTS + 3 + SCN_MAX_CLIENTS)   /* every host's role, the lb, store,
								   store-poll, bot-store, a workload's client2.. */
/* A bound for failures only: a headless Chromium client took 8 s to start on a loaded 2-core machine. */
#define RUNNER_READY_MS 30000
#define RUNNER_STORE_MS 10000
#define RUNNER_CLIENT_EXIT_MS 10000
/*
 * How long nothing may move before a settled cell stops settling. It covers
 * what follows a cell's last visible step within a few milliseconds: the
 * push of a retried message that a server fans out after it answered, the
 * catch-up a recipient does right after it reconnects.
 */
#define CELL_QUIET_MS 50
/* The role that runs the store command for `await store has` (cell_await.c). */
#define CELL_STORE_POLL "store-poll"

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
	struct disk *disk;            /* the server's data folder's filesystem, when faults need one */
	struct history *hist;
	struct role roles[RUNNER_MAX_ROLES];
	int nroles;
	struct trigger rules[SCN_MAX_RULES];
	bool rule_failed;
	int queue_fired[SCN_MAX_RULES];   /* rules the router's queue saw fire, not yet acted on */
	int nqueue_fired;
	struct fault *faults;         /* owned: room for every rule and every step */
	char (*fault_why)[80];        /* owned: what applied faults[i] */
	int nfaults, maxfaults;
	char (*tokens)[96];           /* the plan's, for s->msg_ids[i]; borrowed (tests set their own) */
	int64_t t0, workload_start;
	bool workload_started;
	size_t arrivals;              /* role entries seen, in arrival order */
	size_t await_from;            /* arrivals index an un-keyed await looks from */
	size_t fault_from;            /* arrivals index when the latest fault fired (await ROLE disconnected) */
	int64_t last_move_ns;         /* last movement seen: a role's line or exit, a forwarded packet */
	/* arrival log: (role, entry) pairs for awaits, in arrival order */
	struct { char role[32]; json_t *ev; } *log;
	size_t nlog, caplog;
	char err[1024];
	bool failed;
	json_t *commands;             /* every distinct command line a role was started with, for
	                                 cell.json: [{"role","host","argv","command"}]; owned */
	struct stack_cmd lb_cmd;      /* HAProxy's command, when servers are behind it (cell_lb.c) */
	const char *channel_override; /* {channel} for the next role started, if set */
	const char *store_poll_token; /* await store has: the token the store-poll role looks for */
	bool store_poll_found;        /* ... and whether its output has held it */
	/*
	 * What cell_settled() has learned from the arrival log so far, so that each
	 * turn of settle looks only at new arrivals (a cell may send thousands).
	 */
	struct cell_progress {
		bool ready;
		size_t scanned;               /* arrivals looked at */
		struct strmap by_id, by_token;
		unsigned char *flags;         /* per message: CELL_DONE, CELL_SENT, CELL_WATCHED */
		int *shown;                   /* per message: recipients that have shown it */
		uint64_t *shown_by;           /* per message: bit k-1 for recipientk (k <= 64) */
		int first_open;               /* messages before it are settled for good */
		int nasked;                   /* messages acklab has asked the client to send (in order) */
	} progress;
};

/* --- cell.c: state and the questions asked of the arrival log ------------ */

struct role *cell_role(struct cell *c, const char *name);
const char *cell_token(struct cell *c, const char *msg_id);
/* Mark the cell failed with a reason (the first reason wins). */
void cell_fail(struct cell *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Remember an entry in arrival order, for awaits; it counts as movement (last_move_ns). */
void cell_log_arrival(struct cell *c, const char *role, json_t *ev);
/* Has role said ev (for msg, if set) since arrival index from? "done" = sent or failed. */
bool cell_seen(struct cell *c, size_t from, const char *role, const char *ev, const char *msg);
/* The arrival index of the first such event from index from, or SIZE_MAX. */
size_t cell_seen_at(struct cell *c, size_t from, const char *role, const char *ev, const char *msg);
/*
 * Does an await of role's ev (for msg) hold now? Events are looked for from
 * arrival index from, except the connection forms: "disconnected" holds once
 * role has said so since the latest fault fired (c->fault_from), "connected"
 * while role's latest connection event is "connected". A role that has never
 * reported a connection (an HTTP client) has none to wait for: both hold.
 */
bool cell_await_holds(struct cell *c, size_t from, const char *role, const char *ev, const char *msg);
/*
 * Has the cell settled, as far as acklab can see without reading the store?
 * Every message acklab asked the client to send is done (Sent or Failed);
 * every one shown Sent on the channel recipients follow has been shown by
 * every recipient; no recipient is between a disconnect and its reconnect.
 * Fills why (if not NULL) with what is still awaited.
 */
bool cell_settled(struct cell *c, char *why, size_t whylen);
/*
 * acklab has asked the client to send the next message (messages are asked
 * in the scenario's order); watched: recipients follow its channel. 0 or -1.
 */
int cell_asked(struct cell *c, bool watched);
/* Free what cell_settled() keeps (safe when it never ran). */
void cell_progress_free(struct cell *c);

/* --- cell_roles.c: roles ---------------------------------------------------- */

struct role *cell_add_role(struct cell *c, const char *name, const char *host, const struct stack_cmd *cmd);
/*
 * Expand the stack's command for the role and start it (a server's
 * failpoints only in its first life); records "started". Does not wait.
 */
int cell_start_role(struct cell *c, struct role *r, bool first_life, char *err, size_t errlen);
/* Is this role ready when its port accepts connections (no ready line)? */
bool cell_role_ready_by_port(struct cell *c, const struct role *r);
/*
 * One attempt: does the role's port accept a connection from the client
 * host now? On 1 records the "ready" event a ready line would have given.
 * Returns 1, 0 (not yet; why says what happened), or -1 on error.
 */
int cell_probe_port(struct cell *c, struct role *r, char *why, size_t whylen);

/* --- cell_lb.c: server instances behind a balancer ---------------------------------- */

/* Start server1..serverN, wait until they are ready, then HAProxy in front of them. 0 or -1 (failed). */
int cell_start_servers(struct cell *c);
/* One command to HAProxy's runtime API (fault_env.balancer). 0, or -1 with err. */
int cell_lb_command(void *arg, const char *cmd, char *reply, size_t len, char *err, size_t errlen);
/* Free what cell_start_servers() made. */
void cell_lb_free(struct cell *c);

/* --- cell_await.c: awaits that ask nothing of the server ----------------------- */

/* await store has MSG: run the store command until its output holds MSG's token. 0 or -1. */
int cell_await_store(struct cell *c, const char *msg, int ms);
/* await packet MSG at HOST: a packet carrying MSG has left the router toward HOST. 0 or -1. */
int cell_await_packet(struct cell *c, const char *msg, const char *host, int ms);

/* --- cell_loop.c: the loop ---------------------------------------------------- */

void cell_apply_fault(struct cell *c, const struct scn_fault *sf, const char *why);
/* Rule i's trigger has fired: apply its fault (or heal), recording why. */
void cell_fire_rule(struct cell *c, int i);
/* What the router's queue calls to fire rule i of the cell (cell_fire_rule, from the loop). */
typedef void (*cell_fire_fn)(struct cell *c, int rule);
void cell_heal(struct cell *c, const char *name, const char *why);
/* One history entry "faults" listing every fault applied with what it touched in the end. */
void cell_record_faults_touched(struct cell *c);
/*
 * One turn: wait up to max_ms for output, packets, exits (on the roles'
 * pidfds) and the next time rule, and handle all of it.
 */
void cell_turn(struct cell *c, int max_ms);
/* Record that role r's process exited (history, awaits, exit rules). */
void cell_record_exit(struct cell *c, struct role *r);
/* Turn the loop until cell_await_holds() (0), or ms pass, or the role exits (-1). */
int cell_wait_for(struct cell *c, const char *role, const char *ev, const char *msg, size_t from, int ms);
/* Turn the loop for ms. */
void cell_idle(struct cell *c, int ms);
/*
 * Start every role of rs at once, then wait for all of them to be ready
 * (a ready line, or the port for stacks that say so); fails the cell
 * otherwise. Returns 0 or -1.
 */
int cell_start_all(struct cell *c, struct role **rs, int n);
/* Wait for roles already started (arrivals from index from) to be ready. Returns 0 or -1. */
int cell_await_ready(struct cell *c, struct role **rs, int n, size_t from);
/*
 * The settle step: turn the loop until the cell has settled (cell_settled)
 * and nothing has moved for CELL_QUIET_MS, or until ms pass; records how it
 * ended in the history ("settled").
 */
void cell_settle(struct cell *c, int ms);

#endif
