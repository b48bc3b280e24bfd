/*
 * runner: one cell of the matrix — one scenario against one stack — from an
 * empty sandbox to a checked result.
 *
 * It builds the topology, starts the capture, the server, the recipients and
 * the client in their hosts, arms the scenario's rules, walks its workload
 * steps on one poll loop (role output, packets, process exits, time), reads
 * the store back, tears everything down, writes history.jsonl and runs the
 * checker. The network and processes exist only inside runner_run_cell();
 * what comes out is data (struct cell_result and the files in the cell dir).
 */
#ifndef ACKLAB_RUNNER_H
#define ACKLAB_RUNNER_H

#include <stdbool.h>

#include "outdir.h"
#include "report.h"
#include "scenario.h"
#include "stack.h"

struct runner_opts {
	const char *bin_dir;          /* where chatd, chatc live ({bin}) */
	const char *run_dir;          /* the run folder; the cell writes to run_dir/cell->dir */
	const struct outdir *run_out; /* the same, open: cell folders are made in it (outdir.h) */
	unsigned nonce;               /* makes message tokens unique per run */
	bool verbose;                 /* echo history entries to stderr as they happen */
	volatile int *stop;           /* set by a signal handler: abandon the cell */
};

/*
 * Run one cell. Always fills out (out->ran false and out->error set when the
 * cell could not run). The caller owns out->extra (json_decref) afterwards.
 * out->history is NULL on return (the history is in the cell's history.jsonl).
 * Returns 0 when the cell ran (pass or fail), -1 when it could not.
 */
int runner_run_cell(const struct scenario *s, const struct stack *st, const struct runner_opts *o,
		    struct cell_result *out);

#endif
