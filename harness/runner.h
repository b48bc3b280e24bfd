/*
 * runner: the run stage. One cell of the matrix (one plan: a scenario
 * against a stack) from an empty sandbox to its record on disk.
 *
 * It builds the topology, starts the capture, the server, the recipients and
 * the client in their hosts, arms the scenario's rules, walks its workload
 * steps on one poll loop (role output, packets, process exits, time), reads
 * the store back, tears everything down, and writes the cell's record:
 * plan.json, history.jsonl, store.jsonl, cell.json (plus the capture and
 * every role's logs). It never classifies: the check stage (check.h) reads
 * the record. The network and processes exist only inside runner_run_plan().
 */
#ifndef ACKLAB_RUNNER_H
#define ACKLAB_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "outdir.h"
#include "plan.h"

struct runner_opts {
	const char *bin_dir;          /* where chatd, chatc live ({bin}) */
	const char *run_dir;          /* the run folder; the cell writes to run_dir/plan->cell */
	const struct outdir *run_out; /* the same, open: cell folders are made in it (outdir.h) */
	bool verbose;                 /* echo history entries to stderr as they happen */
	volatile int *stop;           /* set by a signal handler: abandon the cell */
};

/*
 * Run the cell of plan p and write its record. Whatever went wrong inside
 * the cell (a role that would not start, an await that timed out, an
 * interruption) is part of the record (cell.json "error"), not a failure of
 * this call. Returns 0 when the record is written, -1 with err when not even
 * that was possible (the cell's folder cannot be made or written).
 */
int runner_run_plan(const struct plan *p, const struct runner_opts *o, char *err, size_t errlen);

#endif
