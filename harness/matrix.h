/*
 * matrix: a whole run — every chosen scenario against every chosen stack —
 * through the stages: each cell is planned (plan.json) in the parent, run in
 * a child process of its own (so one cell's failure, leak or crash cannot
 * touch another; the pipe from the child carries progress only, never a
 * result), checked from its folder by the parent once the child is gone,
 * and finally reported. A cell whose stack cannot do what its scenario needs
 * is planned and not run: n/a.
 *
 * Sharding: with shard_total N > 1, only the cells whose index in the list
 * sorted by (scenario, stack) is congruent to shard_index-1 mod N run here;
 * the run folder is an ordinary one, and `acklab report` merges several.
 */
#ifndef ACKLAB_MATRIX_H
#define ACKLAB_MATRIX_H

#include <stdbool.h>

#include "plan.h"
#include "scenario.h"
#include "stack.h"

struct matrix_opts {
	struct scenario **scenarios;
	int nscenarios;
	struct stack_set *stacks;
	const char *const *only_stacks;   /* NULL-terminated names from --stack, or NULL: defaults */
	struct plan *plan;                /* --plan: run exactly this one cell (scenarios unused) */
	const char *out_dir;              /* the run folder to create; NULL: reports/<run> */
	const char *reports_dir;          /* where reports/<run> and reports/latest go */
	const char *bin_dir;
	const char *summary_file;         /* --summary: append summary.md here too, or NULL */
	int jobs;
	int shard_index, shard_total;     /* --shard K/N; 1/1 runs every cell */
	unsigned long seed;               /* {seed} of every role */
	bool verbose;
	volatile int *stop;
};

/* The most cells -j may run at a time. */
#define MATRIX_MAX_JOBS 64
/*
 * The default's parts: cells per core, and the memory one cell may take
 * (its worker, the server, the client, recipients and the store reader,
 * about 55 MiB measured and more under the sanitizers, plus five
 * namespaces and the capture's ring).
 */
#define MATRIX_JOBS_PER_CORE 4
#define MATRIX_CELL_MIB 128

/*
 * The default -j for this machine: MATRIX_JOBS_PER_CORE cells per core this
 * process may run on (a cell spends most of its life waiting on its
 * scenario's timers, so several share a core without changing a verdict),
 * at most one per MATRIX_CELL_MIB of available memory, within
 * 1..MATRIX_MAX_JOBS. why (if not NULL) gets the figures behind it for
 * --help, e.g. "8 (2 cores, 23708 MiB available)".
 */
int matrix_default_jobs(char *why, size_t len);

/*
 * Run the matrix. Returns the exit status: 0 all cells met expectations and
 * every report was written, 1 not (a report that could not be written says
 * why on stderr), 130 interrupted.
 */
int matrix_run(const struct matrix_opts *o);

/*
 * Make the cell's folder (run/SCENARIO/STACK, emptied of an earlier run's
 * files) and write its plan.json there. Returns 0 or -1 with err.
 */
struct outdir;
int matrix_write_cell_plan(const struct plan *p, const struct outdir *run, char *err, size_t errlen);

/*
 * Which cells of the list of (scenario, stack) pairs this shard runs: the
 * pairs are sorted by scenario name then stack name, and the i-th belongs to
 * shard (i mod total) + 1. Fills keep[n]. Pure, for tests.
 */
void matrix_shard_select(const char *const *scenario, const char *const *stack, int n, int index,
			 int total, bool *keep);

#endif
