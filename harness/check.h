/*
 * check: the third stage. A pure function from a cell's folder to its
 * verdict: it reads plan.json (the scenario's expectations, the tokens),
 * cell.json (what the run stage says happened to the run itself),
 * history.jsonl (every event) and store.jsonl (the store as read back), and
 * gives every message its class, the cell's measurements (how long the
 * client took to notice a broken connection) and whether the cell met its
 * expectation. No network, no processes: checking a stored run again gives
 * the verdict the run gave, and `acklab report` does exactly that.
 *
 * struct cell_result is the checker's output; the reporters read it.
 */
#ifndef ACKLAB_CHECK_H
#define ACKLAB_CHECK_H

#include <jansson.h>
#include <stdbool.h>

#include "checker.h"
#include "history.h"

enum cell_status {
	CELL_NOT_RUN,                 /* never started (interrupted, or its shard did not run it); zero, so a
	                                 cell_result nobody filled is never counted as met */
	CELL_MET,                     /* ran, and every message came out as expected */
	CELL_UNMET,                   /* ran, and the classes differ from the expectation */
	CELL_ERROR,                   /* could not run to the end (error says why) */
	CELL_NA,                      /* the stack cannot do what the scenario needs (na says what) */
};

struct cell_result {
	char scenario[64];            /* scenario name */
	char title[128];              /* scenario title */
	char lesson[2048];
	char scenario_path[512];
	char scenario_sha256[65];
	int expect_line;              /* the line of the expect statement this cell is held to; 0 when
	                                 none applies (then it must come out clean) */
	char expect_path[512];        /* the file of that line: the stack's own expect line wins, then
	                                 the scenario's for the stack, then its '*'; "" when none */
	char stack[64];
	char sender[64];              /* a receive cell (its stack is a recipient stack): the send stack
	                                 it ran with; "" for a send cell (recipient.h) */
	int scenario_order, stack_order;   /* the matrix's row and column order */
	enum cell_status status;
	bool ran;                     /* true for MET and UNMET: chk holds the classes */
	bool classified;              /* chk holds the classes (also for an ERROR cell that got far
	                                 enough to send: what happened to each message still counts) */
	char error[512];              /* CELL_ERROR, CELL_NOT_RUN */
	char na[256];                 /* CELL_NA: which capability is missing and why it is needed */
	struct chk_result chk;
	char untouched[256];          /* the faults that touched nothing ("drop-replies client server
	                                 (step at line 24)"), or "" */
	double duration_ms;
	unsigned long seed;
	char dir[512];                /* the cell's folder, relative to the run folder (or absolute) */
	json_t *extra;                /* measurements, e.g. {"detect_ms": 312.4}; owned, may be NULL */
	json_t *client;               /* the client's timers as planned ({"timeout-ms": 300,
	                                 "tcp-user-timeout-ms": 600, ...}); owned, may be NULL */
	json_t *commands;             /* every role's command line as run, from cell.json
	                                 ([{"role","host","argv","command"}]); owned, may be NULL */
	struct history *history;      /* owned; NULL when the cell did not run */
	bool history_events_only;     /* a big cell's history: its events without the per-message
	                                 ones (history_load_cell_events); stories are not drawn */
	long long t0_ns;              /* the history's time zero */
};

/*
 * Check the cell in run_dir/cell_dir (cell_dir like "lost-ack/http"; run_dir
 * may be NULL when cell_dir is a path by itself). Fills out whatever
 * happened (out->status says which case); out->dir is cell_dir. Returns 0,
 * or -1 with err when the folder holds no readable plan.json.
 * The caller releases out with cell_result_release().
 */
int check_cell_dir(const char *run_dir, const char *cell_dir, struct cell_result *out, char *err,
		   size_t errlen);
void cell_result_release(struct cell_result *r);

/* Counted as met (the exit status and "N of M met"): only CELL_MET. */
static inline bool cell_met(const struct cell_result *r)
{
	return r->status == CELL_MET;
}

/* "met", "unmet", "error", "n/a", "not run". */
const char *cell_status_name(enum cell_status s);

#endif
