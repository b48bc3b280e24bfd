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

/*
 * Run the matrix. Returns the exit status: 0 all cells met expectations and
 * every report was written, 1 not (a report that could not be written says
 * why on stderr), 130 interrupted.
 */
int matrix_run(const struct matrix_opts *o);

#endif
