/*
 * report: the reporters. Each is a small ops table {begin, cell, end}
 * writing one artifact of a run from results only (reporters never run
 * anything): results.json, junit.xml, summary.md, report.html; and the
 * matrix printed on the terminal. Adding a format is one file plus one row
 * in report.c. cell() sees the cells one by one in the matrix's order;
 * end() sees all of them, each with its history still loaded, so a report
 * can set one cell beside another (a bug beside the stack that survived).
 */
#ifndef ACKLAB_REPORT_H
#define ACKLAB_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "check.h"
#include "history.h"
#include "outdir.h"

struct run_info {
	char dir[512];                /* the run folder */
	const struct outdir *out;     /* the same, open: every report is written into it (outdir.h) */
	char started[32];             /* ISO 8601 */
	int ncells;
	double duration_ms;
	bool rootless;
	char kernel[128];             /* uname -r -v of the machine that wrote the reports */
};

struct reporter_ops {
	const char *name;
	int (*begin)(void **state, const struct run_info *run, char *err, size_t errlen);
	int (*cell)(void *state, const struct cell_result *cell, char *err, size_t errlen);
	int (*end)(void *state, const struct run_info *run, const struct cell_result *cells, int ncells,
		   char *err, size_t errlen);
};

/* begin and cell for a reporter that works only in end(), from every cell at once. */
int report_begin_nothing(void **state, const struct run_info *run, char *err, size_t errlen);
int report_cell_nothing(void *state, const struct cell_result *cell, char *err, size_t errlen);

/* NULL-terminated table: json, junit, markdown, html. */
extern const struct reporter_ops *const report_table[];
extern const struct reporter_ops report_json_ops, report_junit_ops, report_md_ops, report_html_ops;

/*
 * The matrix's shape, shared by the terminal and Markdown renderings:
 * scenarios (rows) and stacks (columns) in first-seen order. Names are
 * borrowed from the cells.
 */
#define REPORT_MAX_ROWS 128
#define REPORT_MAX_COLS 32
struct report_matrix {
	const char *rows[REPORT_MAX_ROWS];      /* scenario names */
	const char *titles[REPORT_MAX_ROWS];
	int nrows;
	const char *cols[REPORT_MAX_COLS];      /* stack names */
	int ncols;
	const char *sender;                     /* the receive side: the first cell's sender, or NULL */
};
void report_matrix_build(struct report_matrix *m, const struct cell_result *cells, int ncells);
/*
 * The same, of one side only: the send side (scenarios by send stacks) or
 * the receive side (receive scenarios by recipient stacks, recipient.h).
 */
enum report_side { REPORT_SEND, REPORT_RECEIVE };
void report_matrix_build_side(struct report_matrix *m, const struct cell_result *cells, int ncells,
			      enum report_side side);
/* The cell at (row, col), or NULL when that scenario did not run on that stack. */
const struct cell_result *report_matrix_cell(const struct report_matrix *m,
					     const struct cell_result *cells, int ncells, int row, int col);
/* "LOST m3 ✓", "clean FAIL", "error ✗": a cell's verdict and mark. */
void report_cell_text(const struct cell_result *c, bool utf8, char *buf, size_t len);
/* Columns a UTF-8 string takes on a terminal (one per code point). */
int report_width(const char *s);
/*
 * Write the whole of buf as the file name in the run folder (run->out;
 * outdir_write_file(), so a link there is refused). Any failure, to open,
 * to write or to close, is -1 with err naming the path and the reason.
 */
int report_write_file(const struct run_info *run, const char *name, const char *buf, size_t len,
		      char *err, size_t errlen);
/*
 * Close f, an open_memstream() over *doc and *len, and write what it holds as
 * name in the run folder. The caller still frees *doc. Returns 0 or -1 with
 * err naming the file.
 */
int report_write_memstream(FILE *f, char **doc, size_t *len, const struct run_info *run,
			   const char *name, char *err, size_t errlen);

/*
 * Print the matrix: one row per scenario, one column per stack, each cell
 * "LOST m3 ✓" style (ASCII "ok"/"FAIL" marks when !utf8); the receive side,
 * when there is one, as a table of its own under the send side's.
 */
void report_print_matrix(FILE *out, const struct cell_result *cells, int ncells, bool utf8);

/*
 * Print how long each client took to notice its connection was broken (the
 * cells whose extra holds "detect_ms": the time from the first fault to the
 * client's first "disconnected" event), as a Markdown table or plain lines.
 * Prints nothing when no cell measured it.
 */
void report_print_detection(FILE *out, const struct cell_result *cells, int ncells, bool markdown);

/* Does the cell get a story in the reports: a message not ok, or not as expected (n/a and not run aside)? */
bool report_has_story(const struct cell_result *c);
/*
 * A cell with more messages than this gets a summary in summary.md and
 * report.html (the count of each class, the first REPORT_BIG_SHOWN
 * messages of each) instead of a row per message and a diagram; every
 * message's outcome stays in results.json.
 */
#define REPORT_BIG_CELL 40
#define REPORT_BIG_SHOWN 3
/* The most messages report_shown_messages() gives: a small cell's, or a big one's few of each class. */
#define REPORT_SHOWN_MAX (REPORT_BIG_CELL > REPORT_BIG_SHOWN * CHK_CLASS_COUNT ? REPORT_BIG_CELL : \
			  REPORT_BIG_SHOWN * CHK_CLASS_COUNT)
/*
 * The messages a report lists for c, as indexes into c->chk.msgs (idx has
 * room for REPORT_SHOWN_MAX): every one in the order sent, or for a big
 * cell the first REPORT_BIG_SHOWN of each class, class by class. Returns
 * how many.
 */
int report_shown_messages(const struct cell_result *c, int *idx);
/* " ok 117; lost 3;": the count of each class c has, for a big cell's summary. */
void report_class_counts(const struct cell_result *c, char *buf, size_t len);
/* The command that runs this cell again, verbosely: "./run.sh run lost-ack --stack http-nokey -v". */
void report_rerun(const struct cell_result *c, char *buf, size_t len);
/*
 * Where the cell's expectation is written: "scenarios/lost-ack.scn:31"
 * (the path relative to the working folder when it lies under it), or
 * the scenario file alone when no expect line names the stack.
 */
void report_expect_where(const struct cell_result *c, char *buf, size_t len);
/* The scenario file's path as shown to a reader (relative to the working folder when under it). */
const char *report_scenario_path(const struct cell_result *c);
/* The file of the expect line the cell is held to (a stack's own, or the scenario's), relative like that. */
const char *report_expect_file(const struct cell_result *c);

/*
 * The story of one cell as summary.md draws it (an ASCII sequence diagram
 * with a sentence per row), plain, for a terminal: what `acklab run -v`
 * prints once its cells are checked. Nothing for a cell without a story.
 */
void report_print_story(FILE *out, const struct cell_result *c);

/* Escape s for XML into buf. */
void report_xml_escape(const char *s, char *buf, size_t len);

#endif
