/*
 * report: the table of reporters and what they share: the matrix's shape
 * (scenarios by stacks, in the order cells came), a cell's short text, XML
 * escaping and writing a finished buffer to a file. The terminal matrix is
 * printed from here too; each file format lives in its own report_*.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "util.h"

const struct reporter_ops *const report_table[] = {
	&report_json_ops,
	&report_junit_ops,
	&report_md_ops,
	&report_html_ops,
	NULL,
};

bool report_has_story(const struct cell_result *c)
{
	if (c->status == CELL_NA || c->status == CELL_NOT_RUN)
		return false;
	if (!cell_met(c))
		return true;
	for (int i = 0; i < c->chk.nmsgs; i++)
		if (c->chk.msgs[i].cls != CHK_OK)
			return true;
	return false;
}

void report_rerun(const struct cell_result *c, char *buf, size_t len)
{
	snprintf(buf, len, "./run.sh run %s --stack %s -v", c->scenario, c->stack);
}

/* path relative to the working folder when it is under it, else as it is. */
static const char *report_relative_path(const char *path)
{
	static char cwd[PATH_MAX];
	size_t n;

	if (!cwd[0] && !getcwd(cwd, sizeof cwd - 1))
		cwd[0] = '\0';
	n = strlen(cwd);
	if (n && strncmp(path, cwd, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

const char *report_scenario_path(const struct cell_result *c)
{
	return report_relative_path(c->scenario_path);
}

const char *report_expect_file(const struct cell_result *c)
{
	if (c->expect_line > 0 && c->expect_path[0])
		return report_relative_path(c->expect_path);
	return report_scenario_path(c);
}

void report_expect_where(const struct cell_result *c, char *buf, size_t len)
{
	const char *path = report_scenario_path(c);

	/* A stack's own expect line is in the stack file: name that file. */
	if (c->expect_line > 0 && c->expect_path[0] && strcmp(c->expect_path, c->scenario_path) != 0) {
		snprintf(buf, len, "%s:%d", report_relative_path(c->expect_path), c->expect_line);
		return;
	}

	if (c->expect_line > 0)
		snprintf(buf, len, "%s:%d", path[0] ? path : c->scenario, c->expect_line);
	else
		snprintf(buf, len, "%s", path[0] ? path : c->scenario);
}

int report_shown_messages(const struct cell_result *c, int *idx)
{
	int n = 0;

	if (c->chk.nmsgs <= REPORT_BIG_CELL) {
		for (int i = 0; i < c->chk.nmsgs; i++)
			idx[n++] = i;
		return n;
	}
	for (int k = 0; k < CHK_CLASS_COUNT; k++)
		for (int i = 0, shown = 0; i < c->chk.nmsgs && shown < REPORT_BIG_SHOWN; i++)
			if ((int)c->chk.msgs[i].cls == k) {
				idx[n++] = i;
				shown++;
			}
	return n;
}

void report_class_counts(const struct cell_result *c, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int k = 0; k < CHK_CLASS_COUNT; k++)
		if (c->chk.counts[k] && strlen(buf) < len)
			snprintf(buf + strlen(buf), len - strlen(buf), " %s %d;", chk_class_name((enum chk_class)k),
				 c->chk.counts[k]);
}

int report_begin_nothing(void **state, const struct run_info *run, char *err, size_t errlen)
{
	(void)run;
	(void)err;
	(void)errlen;
	*state = NULL;
	return 0;
}

int report_cell_nothing(void *state, const struct cell_result *cell, char *err, size_t errlen)
{
	(void)state;
	(void)cell;
	(void)err;
	(void)errlen;
	return 0;
}

static bool report_on_side(const struct cell_result *c, int side)
{
	return side < 0 || (c->sender[0] != '\0') == (side == REPORT_RECEIVE);
}

static void report_matrix_build_of(struct report_matrix *m, const struct cell_result *cells, int ncells,
				   int side)
{
	int i, j;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < ncells; i++) {
		if (!report_on_side(&cells[i], side))
			continue;
		if (!m->sender && cells[i].sender[0])
			m->sender = cells[i].sender;
		for (j = 0; j < m->nrows && strcmp(m->rows[j], cells[i].scenario) != 0; j++)
			;
		if (j == m->nrows && m->nrows < REPORT_MAX_ROWS) {
			m->rows[m->nrows] = cells[i].scenario;
			m->titles[m->nrows++] = cells[i].title[0] ? cells[i].title : cells[i].scenario;
		}
		for (j = 0; j < m->ncols && strcmp(m->cols[j], cells[i].stack) != 0; j++)
			;
		if (j == m->ncols && m->ncols < REPORT_MAX_COLS)
			m->cols[m->ncols++] = cells[i].stack;
	}
}

void report_matrix_build(struct report_matrix *m, const struct cell_result *cells, int ncells)
{
	report_matrix_build_of(m, cells, ncells, -1);
}

void report_matrix_build_side(struct report_matrix *m, const struct cell_result *cells, int ncells,
			      enum report_side side)
{
	report_matrix_build_of(m, cells, ncells, (int)side);
}

const struct cell_result *report_matrix_cell(const struct report_matrix *m,
					     const struct cell_result *cells, int ncells, int row, int col)
{
	int i;

	for (i = 0; i < ncells; i++)
		if (strcmp(cells[i].scenario, m->rows[row]) == 0 &&
		    strcmp(cells[i].stack, m->cols[col]) == 0)
			return &cells[i];
	return NULL;
}

void report_cell_text(const struct cell_result *c, bool utf8, char *buf, size_t len)
{
	bool pass = cell_met(c);
	const char *mark = utf8 ? (pass ? "✓" : "✗") : (pass ? "ok" : "FAIL");

	switch (c->status) {
	case CELL_NA:
		snprintf(buf, len, "n/a");
		break;
	case CELL_NOT_RUN:
		snprintf(buf, len, "-");
		break;
	case CELL_ERROR:
		if (c->classified && strcmp(c->chk.verdict, "clean") != 0)
			snprintf(buf, len, "error: %s %s", c->chk.verdict, mark);
		else
			snprintf(buf, len, "error %s", mark);
		break;
	default:
		snprintf(buf, len, "%s %s", c->chk.verdict, mark);
	}
}

int report_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void report_pad(FILE *out, const char *s, int width)
{
	int n = width - report_width(s);

	fputs(s, out);
	while (n-- > 0)
		fputc(' ', out);
}

/* One side's table; counts add to tally[0..2] (as expected, not, n/a). */
static void report_print_side(FILE *out, const struct cell_result *cells, int ncells, bool utf8,
			      enum report_side side, int *tally)
{
	struct report_matrix m;
	int widths[REPORT_MAX_COLS + 1], r, c, npass = 0, nfail = 0, nna = 0;
	char text[200], head[128];

	report_matrix_build_side(&m, cells, ncells, side);
	if (m.nrows == 0)
		return;
	if (side == REPORT_RECEIVE)
		snprintf(head, sizeof head, "receive side (sender %s)", m.sender ? m.sender : "?");
	else
		str_copy(head, "scenario", sizeof head);
	if (side == REPORT_RECEIVE && tally[0] + tally[1] + tally[2])
		fputc('\n', out);
	widths[0] = report_width(head);
	for (r = 0; r < m.nrows; r++)
		if (report_width(m.titles[r]) > widths[0])
			widths[0] = report_width(m.titles[r]);
	for (c = 0; c < m.ncols; c++) {
		widths[c + 1] = report_width(m.cols[c]);
		for (r = 0; r < m.nrows; r++) {
			const struct cell_result *cell = report_matrix_cell(&m, cells, ncells, r, c);

			if (!cell)
				continue;
			report_cell_text(cell, utf8, text, sizeof(text));
			if (report_width(text) > widths[c + 1])
				widths[c + 1] = report_width(text);
		}
	}
	report_pad(out, head, widths[0]);
	for (c = 0; c < m.ncols; c++) {
		fputs("  ", out);
		report_pad(out, m.cols[c], c + 1 < m.ncols ? widths[c + 1] : 0);
	}
	fputc('\n', out);
	for (r = 0; r < m.nrows; r++) {
		report_pad(out, m.titles[r], widths[0]);
		for (c = 0; c < m.ncols; c++) {
			const struct cell_result *cell = report_matrix_cell(&m, cells, ncells, r, c);

			if (cell) {
				report_cell_text(cell, utf8, text, sizeof(text));
				if (cell_met(cell))
					npass++;
				else if (cell->status == CELL_NA)
					nna++;
				else if (cell->status != CELL_NOT_RUN)
					nfail++;
			} else {
				str_copy(text, "-", sizeof(text));
			}
			fputs("  ", out);
			report_pad(out, text, c + 1 < m.ncols ? widths[c + 1] : 0);
		}
		fputc('\n', out);
	}
	tally[0] += npass;
	tally[1] += nfail;
	tally[2] += nna;
}

void report_print_matrix(FILE *out, const struct cell_result *cells, int ncells, bool utf8)
{
	int tally[3] = { 0, 0, 0 };

	report_print_side(out, cells, ncells, utf8, REPORT_SEND, tally);
	report_print_side(out, cells, ncells, utf8, REPORT_RECEIVE, tally);
	fprintf(out, "%s = as expected, %s = not (or could not run); each class (LOST, DUP, PHANTOM, FAILED, ...) "
		"names its messages; n/a = the stack cannot do what the scenario "
		"needs (not run, not counted as met); - = not run. %d as expected, %d not, %d n/a.\n",
		utf8 ? "✓" : "ok", utf8 ? "✗" : "FAIL", tally[0], tally[1], tally[2]);
}

void report_xml_escape(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return;
	for (; *s; s++) {
		const char *rep = NULL;
		char one[8];
		size_t rl;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default:
			/* XML 1.0 forbids most control characters even as references. */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' && *s != '\r')
				rep = "?";
			break;
		}
		if (!rep) {
			one[0] = *s;
			one[1] = '\0';
			rep = one;
		}
		rl = strlen(rep);
		if (n + rl >= len)
			break;
		memcpy(buf + n, rep, rl);
		n += rl;
	}
	buf[n] = '\0';
}

int report_write_file(const struct run_info *run, const char *name, const char *buf, size_t len,
		      char *err, size_t errlen)
{
	if (!run->out || run->out->fd < 0)
		return err_set(err, errlen, "%s/%s: the run folder is not open", run->dir, name);
	return outdir_write_file(run->out, name, buf, len, err, errlen);
}

/* Cells where a fault dropped the connections of two or more clients and recipients at once. */
static void report_print_reconnects(FILE *out, const struct cell_result *cells, int ncells, bool markdown)
{
	bool any = false;

	for (int i = 0; i < ncells; i++) {
		json_t *x = cells[i].extra;
		json_int_t roles = json_integer_value(json_object_get(x, "reconnect_roles"));
		json_int_t n = json_integer_value(json_object_get(x, "reconnects"));
		json_int_t never = json_integer_value(json_object_get(x, "never_reconnected"));
		double longest = json_number_value(json_object_get(x, "reconnect_longest_ms"));

		if (!x || roles < 2)
			continue;
		if (!any) {
			fprintf(out, markdown ? "\n## Reconnect storms\n\n"
					"Clients and recipients whose connection a fault broke, how often, and the "
					"longest any of them was without one.\n\n"
					"| scenario | stack | roles | reconnects | longest without a connection |\n"
					"| --- | --- | --- | --- | --- |\n"
					: "\nReconnect storms (roles whose connection broke, reconnects, the longest any was "
					  "without one):\n");
			any = true;
		}
		if (markdown)
			fprintf(out, "| %s | %s | %lld | %lld | %.0f ms%s |\n", cells[i].title, cells[i].stack,
				(long long)roles, (long long)n, longest, never ? " (some never came back)" : "");
		else
			fprintf(out, "  %-38s %-12s %2lld roles %3lld reconnects, longest %5.0f ms%s\n", cells[i].title,
				cells[i].stack, (long long)roles, (long long)n, longest,
				never ? " (some never came back)" : "");
	}
}

void report_print_detection(FILE *out, const struct cell_result *cells, int ncells, bool markdown)
{
	bool any = false;

	for (int i = 0; i < ncells; i++) {
		json_t *d = cells[i].extra ? json_object_get(cells[i].extra, "detect_ms") : NULL;

		if (!json_is_number(d))
			continue;
		if (!any) {
			fprintf(out, markdown ? "\n## Time to notice a broken connection\n\n"
					"From the first fault to the moment the client reported its connection dead.\n\n"
					"| scenario | stack | noticed after |\n| --- | --- | --- |\n"
					: "\nTime from the fault to the client noticing its connection was broken:\n");
			any = true;
		}
		if (markdown)
			fprintf(out, "| %s | %s | %.0f ms |\n", cells[i].title, cells[i].stack,
				json_number_value(d));
		else
			fprintf(out, "  %-30s %-12s %7.0f ms\n", cells[i].title, cells[i].stack,
				json_number_value(d));
	}
	report_print_reconnects(out, cells, ncells, markdown);
}

int report_write_memstream(FILE *f, char **doc, size_t *len, const struct run_info *run,
			   const char *name, char *err, size_t errlen)
{
	/* A stream that failed on the way (out of memory) holds a cut document: never write that. */
	bool failed = ferror(f) != 0;

	if (fclose(f) != 0 || failed)
		return err_set(err, errlen, "%s/%s: out of memory", run->dir, name);
	return report_write_file(run, name, *doc, *len, err, errlen);
}
