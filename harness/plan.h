/*
 * plan: the first stage. A cell (one scenario against one stack) is made
 * into a fully resolved plan before anything runs, and written as plan.json
 * in the cell's folder. The plan carries the scenario's and the stack's
 * text (with their paths and SHA-256), the seed, the token nonce and every
 * token, every timer after defaults, the faults in the order the scenario
 * gives them, what the scenario needs and what the stack offers. So a plan
 * can be run again exactly (`acklab run --plan DIR/plan.json`) even after
 * the files it came from have changed, and the checker and reporters read
 * expectations from the same text the run used.
 *
 * A plan whose stack lacks a capability its scenario needs is still made
 * (and written): it says "n/a" and why, and the run stage does not run it.
 */
#ifndef ACKLAB_PLAN_H
#define ACKLAB_PLAN_H

#include <jansson.h>
#include <stddef.h>

#include "scenario.h"
#include "stack.h"

/* The client and listener timers a stack's command may take, with acklab's defaults. */
struct plan_timer {
	const char *key;
	long def;
};
extern const struct plan_timer plan_timers[];
extern const size_t plan_ntimers;

struct plan {
	struct scenario *s;           /* owned: parsed from the plan's own scenario text */
	struct stack *st;             /* owned: parsed from the plan's own stack text */
	char cell[160];               /* "lost-ack/http": the cell's folder under the run folder */
	char stackdir[4096];          /* the stack file's folder, absolute ({stackdir}); recorded in
	                                 plan.json, so a rerun from elsewhere finds the same folder */
	unsigned nonce;               /* makes tokens unique per run */
	unsigned long seed;           /* every random choice of the roles ({seed}) */
	char (*tokens)[96];           /* tokens[i] for s->msg_ids[i] */
	long client_timers[16], listen_timers[16];   /* by plan_timers index: the stack's own value
	                                                wins, then the scenario's, then the default */
	const char *client_timer_from[16], *listen_timer_from[16];  /* "stack", "scenario", "default" */
	unsigned needs, offers;       /* capability bits (capability.h) */
	char na[256];                 /* why this stack cannot run this scenario, or "" */
	/*
	 * The expectation the cell is held to, and where it is written: the
	 * stack's own line for the scenario wins, then the scenario's line for
	 * the stack, then the scenario's '*' line. NULL when none applies (the
	 * cell must come out clean); points into s or st.
	 */
	const struct scn_expect *expect;
	const char *expect_file;      /* the file of that line (s->path or st->path), or NULL */
	int expect_line;
	const char *expect_by;        /* "stack", "scenario", "scenario *" or "none" */
	json_t *doc;                  /* the plan as written to plan.json; owned */
};

/*
 * Make the plan of s against st. The scenario's and stack's files are read
 * again (s->path, st->path) so the plan holds the exact text it parses; a
 * file changed since it was first parsed is an error. Returns 0 with *out
 * owned by the caller (plan_free), or -1 with err.
 */
int plan_make(const struct scenario *s, const struct stack *st, unsigned nonce, unsigned long seed,
	      struct plan **out, char *err, size_t errlen);
/* Load a plan.json written by plan_write; the scenario and stack are parsed from its text. */
int plan_load(const char *path, struct plan **out, char *err, size_t errlen);
/* Write p->doc as path (pretty, one key per line). */
int plan_write(const struct plan *p, const char *path, char *err, size_t errlen);
/* The same, as plan.json in the cell folder dir (outdir.h: a link there is refused). */
struct outdir;
int plan_write_at(const struct plan *p, const struct outdir *dir, char *err, size_t errlen);
void plan_free(struct plan *p);

/* The token of msg_id in this plan ("acklab-5f2c-m3"), or "" when it sends no such message. */
const char *plan_token(const struct plan *p, const char *msg_id);
/* A timer's value for the client (listener=0) or the recipients (listener=1), by key; def if unknown. */
long plan_timer(const struct plan *p, int listener, const char *key, long def);

/* SHA-256 of len bytes as 64 hex digits (hex must hold 65). */
void plan_sha256_hex(const void *data, size_t len, char *hex);

#endif
