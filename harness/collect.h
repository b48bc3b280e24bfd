/*
 * collect: the report stage's input. Finds the cells of one or more run
 * folders (a cell is a folder SCENARIO/STACK holding plan.json), checks each
 * from its record (check.h), and writes the reports of all of them as one
 * matrix. `acklab run` reports its own folder this way at the end, and
 * `acklab report DIR...` re-checks and merges stored runs (CI shards) the
 * same way, so both give the same verdicts from the same files.
 */
#ifndef ACKLAB_COLLECT_H
#define ACKLAB_COLLECT_H

#include <stdbool.h>
#include <stdio.h>

#include "check.h"

struct collection {
	struct cell_result *cells;    /* owned */
	int n, cap;
};

/*
 * Check every cell under run_dir and add it. A cell already in c (same
 * scenario and stack, e.g. from another shard) is an error unless the one
 * present did not run (then the run one replaces it). Cell dirs are stored
 * as prefix/SCENARIO/STACK (prefix "" keeps them relative). Returns the
 * number of cells added, or -1 with err.
 */
int collect_run_dir(struct collection *c, const char *run_dir, const char *prefix, char *err,
		    size_t errlen);
/* Sort by the matrix's order is the caller's; this frees every cell. */
void collect_free(struct collection *c);

/*
 * Write results.json, junit.xml and summary.md for the cells into out (an
 * open run folder, outdir.h);
 * then append summary.md to summary_file when set. Returns 0, or -1 with
 * err naming what could not be written.
 */
struct outdir;
int collect_report(const struct collection *c, const struct outdir *out, double duration_ms,
		   const char *summary_file, char *err, size_t errlen);

/* Exit status for a checked collection: 0 all ran cells met, 1 not, 4 nothing could run. */
int collect_exit_status(const struct collection *c);
/* "24 of 26 cells met their expectation, 2 n/a" and the like, on out. */
void collect_print_tally(FILE *out, const struct collection *c);

#endif
