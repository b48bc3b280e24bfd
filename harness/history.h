/*
 * history: the observed history of one run, merged and time-ordered.
 *
 * Every role's event lines (JSON objects with "ev" and "t") and every fault
 * applied or healed become entries on one CLOCK_MONOTONIC time base. Each
 * entry is a JSON object with at least "t" (ns), "role" (which role or
 * "acklab" for faults and harness steps) and "ev". Lines a role prints that
 * are not JSON are kept as {"ev":"text","text":...}. An event without "t"
 * gets the time acklab read it. The checker reads only this; the runner
 * only writes it.
 */
#ifndef ACKLAB_HISTORY_H
#define ACKLAB_HISTORY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "outdir.h"

struct history;

struct history *history_new(void);
void history_free(struct history *h);

/*
 * Add a line a role printed, read at t_read_ns. Returns the stored entry
 * (borrowed: valid until history_free), never NULL unless out of memory.
 */
json_t *history_add_line(struct history *h, const char *role, const char *line, int64_t t_read_ns);

/*
 * Add a line the store read-back printed: a JSON object is a stored row and
 * gets "ev":"stored" when it has no "ev" (the documented store format is
 * just the row); anything else is kept as text. Same contract as above.
 */
json_t *history_add_store_line(struct history *h, const char *line, int64_t t_read_ns);

/* Add an entry built by the caller; steals the reference to obj. Adds "role" and "t" if missing. */
json_t *history_add(struct history *h, const char *role, json_t *obj, int64_t t_ns);

/* Number of entries, and entry i in time order (stable for equal times). Borrowed. */
size_t history_len(const struct history *h);
json_t *history_at(struct history *h, size_t i);

/*
 * Write as JSON lines in time order, "t" rewritten relative to t0_ns as
 * "t_ms" too, to the file name in dir (opened by outdir_open_file(): a link
 * there is refused, not followed).
 */
int history_write_jsonl(struct history *h, const struct outdir *dir, const char *name, int64_t t0_ns,
			char *err, size_t errlen);

/* Load a history written by history_write_jsonl (for checker tests and re-checks). */
struct history *history_load_jsonl(const char *path, char *err, size_t errlen);
/* The same from len bytes in memory; name stands for the file in errors. */
struct history *history_load_jsonl_text(const char *name, const char *text, size_t len, char *err,
					size_t errlen);

/*
 * A cell's history as the check stage reads it from the cell's folder: the
 * entries of history_path without the store role's rows (its "started" and
 * "exit" stay), and every line of store_path (what the store read-back
 * printed) as history_add_store_line() makes it at store_t_ns, the time the
 * run read it. A missing store_path is no store rows (the run ended before
 * reading the store). NULL with err when either file cannot be read.
 * checker_run_files() gives the verdicts of this history without building it.
 */
struct history *history_load_cell(const char *history_path, const char *store_path, int64_t store_t_ns,
				  char *err, size_t errlen);
/*
 * The entries of history_path that are not about one message (no "id",
 * "token" or "text"; every fault entry): the roles' starts, connections,
 * exits and the faults, for the measures a big cell still gets when its
 * whole history would not fit in memory as objects. No store rows.
 */
struct history *history_load_cell_events(const char *history_path, char *err, size_t errlen);

#endif
