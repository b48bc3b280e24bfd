/*
 * matrix: a whole run — every chosen scenario against every chosen stack.
 *
 * Each cell runs in a child process of its own (so one cell's failure, leak
 * or crash cannot touch another), at most `jobs` at a time; the child sends
 * its cell_result back through a pipe. The parent shows progress (a live
 * line per cell on a terminal, one line per finished cell elsewhere), then
 * writes the reports and prints the matrix. Only data crosses from the
 * cells to the reporters.
 */
#ifndef ACKLAB_MATRIX_H
#define ACKLAB_MATRIX_H

#include <stdbool.h>

#include "scenario.h"
#include "stack.h"

struct matrix_opts {
	struct scenario **scenarios;
	int nscenarios;
	struct stack_set *stacks;
	const char *const *only_stacks;   /* NULL-terminated names from --stack, or NULL: defaults */
	const char *out_dir;              /* the run folder to create; NULL: reports/<run> */
	const char *reports_dir;          /* where reports/<run> and reports/latest go */
	const char *bin_dir;
	int jobs;
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

/* Run the matrix. Returns the exit status: 0 all cells met expectations, 1 not, 130 interrupted. */
int matrix_run(const struct matrix_opts *o);

#endif
