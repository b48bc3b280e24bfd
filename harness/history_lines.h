/*
 * history_lines: the lines of a history file (history.jsonl, store.jsonl),
 * read in large blocks and put through history_scan_line() by reader
 * threads while the caller works on the lines before them.
 *
 * Reading and scanning is more than half of checking a big cell from its
 * files; the checker must see the lines in order, the scanning need not
 * wait for it. So the file is cut into blocks that can each be read and
 * scanned alone (a block holds the lines that start in it), one reader
 * thread per core takes the next block, and the caller gets the blocks in
 * file order: each line's result is a function of its bytes alone, so what
 * the caller sees does not depend on how the threads happen to run.
 * The readers run ten nice steps below the caller: when they and the
 * caller want more cores than there are, the caller, whose work is the
 * serial part, goes first. Without threads (pthread_create fails, or
 * readers 0) the same work is done in the caller, in the same order.
 */
#ifndef ACKLAB_HISTORY_LINES_H
#define ACKLAB_HISTORY_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "history_scan.h"

struct history_lines;

/* One line of the file, as getline() and then stripping the trailing '\n' and '\r' would give it. */
struct history_line {
	char *text;                   /* NUL-terminated; may hold NULs before len (jansson stops at the first) */
	size_t len;
	bool scanned;                 /* history_scan_line() read it: f holds its fields (text is changed) */
	struct history_fields f;
};

/* More work on a line that depends on its bytes alone, done by the reader right after scanning it. */
typedef void history_line_prepare_fn(struct history_line *line);
/*
 * Open path and start reading ahead, in blocks of `block` bytes (0: 1 MiB;
 * small blocks put many block ends in a small file, for tests) with
 * `readers` threads (-1: one per core, at most 4; 0: none, the caller
 * reads), running prepare (may be NULL) on every line. NULL with errno set
 * when it cannot be opened (or no memory).
 */
struct history_lines *history_lines_open(const char *path, size_t block, int readers,
					 history_line_prepare_fn *prepare);
/*
 * The next line, empty ones included: 1 with *line (the line and its
 * strings stay valid until the next call; the caller may change them), 0
 * at the end of the file, -1 on a read error (errno set).
 */
int history_lines_next(struct history_lines *r, struct history_line **line);
/* Stop reading and free everything (accepts NULL). */
void history_lines_close(struct history_lines *r);

#endif
