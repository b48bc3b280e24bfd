/*
 * explore: random fault schedules, replay by seed, and shrinking to a
 * minimal scenario.
 *
 * The unit is the plan. acklab explore draws, from each seed, a schedule of
 * faults and heals for a scenario's nemesis (explore_schedule.c), weaves it
 * into the scenario's steps as plain `fault` and `heal` lines, writes that
 * scenario out (RUN/sSEED/NAME.scn) and makes each cell's plan from it, so
 * the plan carries the exact schedule and `acklab run --plan` repeats it.
 * acklab shrink takes a failing plan, reruns smaller versions of its
 * scenario (explore_shrink.c) and writes the smallest that still fails as a
 * readable .scn file. Cells run in forked workers and are checked from
 * their folders, as the matrix does (explore_cell.c); the commands are
 * explore_cli.c.
 *
 * Randomness is ours and seeded (splitmix64), never rand(): the same seed
 * gives the same schedule on every machine and every build.
 */
#ifndef ACKLAB_EXPLORE_H
#define ACKLAB_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include "check.h"
#include "plan.h"
#include "scenario.h"

/* --- explore_schedule.c: the seeded generator, the schedule, the text ----- */

/* splitmix64: the next number of the sequence in *state. */
uint64_t explore_rng_next(uint64_t *state);
/* A number in [lo, hi] (lo <= hi) from *state. */
int explore_rng_range(uint64_t *state, int lo, int hi);

/* One drawn fault or heal, at t_ms after the workload starts. */
struct explore_event {
	int t_ms;
	bool ends;                    /* it ends a fault (a heal, a crash's restart) */
	struct scn_step step;         /* SCN_FAULT or SCN_HEAL, as a hand-written line would parse */
};

struct explore_schedule {
	struct explore_event *ev;     /* owned; in time order */
	int n;
};

/*
 * Draw the faults of nemesis n (or of the names in faults, when not NULL:
 * acklab explore --faults) over horizon_ms, from seed. Each fault starts
 * every_ms ± jitter_ms after the previous one started (never before it was
 * healed) and is healed for_ms later. Returns 0 with *out filled (free with
 * explore_schedule_free), or -1 with err (an unknown fault name).
 */
int explore_draw(const struct scn_nemesis *n, const char *const *faults, int horizon_ms, uint64_t seed,
		 struct explore_schedule *out, char *err, size_t errlen);
void explore_schedule_free(struct explore_schedule *sch);
/* How long the workload of s lasts by its waits alone (awaits count as nothing), in ms. */
int explore_horizon_ms(const struct scenario *s);
/*
 * The steps of s with the schedule woven in at its moments: an event inside
 * a short wait (up to 50 ms) at the end of that wait, a longer wait split
 * around it, events after the last step after it with waits; before each
 * fault, an await of every client's message sent since the last fault (so
 * a fault meets messages by step order, not by a race with an answer).
 * Returns a new array of *nout steps (caller frees), or NULL.
 */
struct scn_step *explore_weave(const struct scenario *s, const struct explore_schedule *sch, int *nout);
/*
 * A scenario's text with steps as its workload: the comment lines of note,
 * then the lesson of the original; every setting line of the original text
 * (scenario, title, client, on, ...) as written; recipients and settle as
 * parsed (and the scenario named name, when not NULL); the steps one per
 * line; the expect lines of the original, each
 * with may-miss added when may_miss (a random fault may touch nothing).
 * Returns a malloc'd string, or NULL with err.
 */
char *explore_render(const struct scenario *s, const char *text, const struct scn_step *steps, int nsteps,
		     const char *note, const char *name, bool may_miss, char *err, size_t errlen);
/* The nonce of the plans drawn from seed: the tokens, so a replay sends the very same texts. */
unsigned explore_nonce(uint64_t seed);

/* --- explore_cell.c: running cells in workers ---------------------------- */

struct explore_cell {
	struct plan *plan;            /* owned */
	char run_dir[4096];           /* where the cell's folder RUN/SCENARIO/STACK is made */
	pid_t pid;                    /* the worker, or 0 */
	int fd;                       /* its pipe (errors only), or -1 */
	char msg[512];
	size_t len;
	int64_t started;
	int tag;                      /* the caller's (which seed) */
};

struct explore_run_opts {
	const char *bin_dir;
	bool verbose;
	volatile int *stop;
};

/* Start the worker of x (x->plan, x->run_dir set). 0 or -1 with err. */
int explore_cell_start(struct explore_cell *x, const struct explore_run_opts *o, char *err, size_t errlen);
/*
 * Wait until one of the n cells of xs that are running has ended (at most
 * timeout_ms); returns its index, or -1 when none ended in time.
 */
int explore_cell_wait(struct explore_cell *xs, int n, int timeout_ms);
/* Check an ended cell from its folder into r (release with cell_result_release). */
void explore_cell_check(struct explore_cell *x, struct cell_result *r);
/*
 * Run copies of one plan side by side (RUN_DIR/c1, c2, ...: a race in the
 * system under test shows in one and not the other), each to its end, and
 * check each into r[i]. 0, or -1 with err (no worker started or ran).
 */
#define EXPLORE_MAX_COPIES 8
int explore_cell_run(struct plan *p, const char *run_dir, int copies, const struct explore_run_opts *o,
		     struct cell_result *r, char *err, size_t errlen);

/* --- explore_shrink.c ------------------------------------------------------ */

struct shrink_opts {
	const char *plan_path;        /* the failing cell's plan.json */
	const char *out_file;         /* the .scn to write; NULL: beside the plan, NAME-min.scn */
	const char *work_dir;         /* where the reruns' cells go */
	int max_runs;                 /* bound on reruns */
	int copies;                   /* cells per rerun, side by side: a cut is kept when one fails */
	const char *stacks_dir;       /* the installed stacks: one of them is named, others given by path */
	struct explore_run_opts run;
};

/* The shrink command's work; prints its progress. Returns the exit status (0: written, 1: the plan
 * does not fail, 2: usage, 130: interrupted). */
int explore_shrink(const struct shrink_opts *o);

#endif

/* --- explore_stats.c: per stack, what the explored cells measured ---------- */

struct explore_stats {
	char stack[64];
	double *latency_ms;           /* owned: Sent minus send, per message shown Sent */
	size_t n, cap;
	long messages;                /* messages sent */
	double workload_ms;           /* summed over cells: first send to last answer */
};

/* Add a checked cell's latencies and throughput to the stats of its stack (stats[0..*n), at most max). */
void explore_stats_add(struct explore_stats *stats, int *n, int max, const struct cell_result *r);
/* "http  3600 messages  812 msgs/s  Sent-send p50 1.3 ms p99 212.0 ms", one line per stack. */
void explore_stats_print(FILE *f, struct explore_stats *stats, int n);
void explore_stats_free(struct explore_stats *stats, int n);
