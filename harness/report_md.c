/*
 * report_md: summary.md, the report a person reads, in a terminal or as a
 * CI step summary. Failures come first, each with the expect line it did
 * not meet (file:line) and the command that runs it again; then the matrix
 * as a Markdown table, the cells that could not run here, the detection
 * times, and for every cell with a message that is not ok (or a verdict
 * that differs from the expectation) its story: the message table, the
 * timeline drawn as an ASCII sequence diagram in the article's manner (one
 * column per lane, an arrow per request, reply, push or write, X where the
 * router dropped a packet, the sentence beside each row), what the store
 * holds, and the same message in a stack that survived the same fault.
 * Long diagrams are folded in <details> so a CI page stays short.
 *
 * Everything is written in end(), where every cell is at hand with its
 * history (report.h), into one memory buffer written as the file at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "story.h"
#include "util.h"

#define RM_FOLD_ROWS 24               /* diagrams longer than this are folded */
#define RM_TIME_COL 10

/* Markdown table cells cannot hold '|' or newlines. */
static void rm_cell_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s == '\n' ? ' ' : *s, f);
	}
}

/* The lane's column name, at most width - 1 characters. */
static void rm_lane_head(int lane, char *buf, size_t len)
{
	char name[32];

	story_lane_name(lane, name, sizeof name);
	if (lane >= STORY_LANE_RECIPIENT)
		snprintf(buf, len, "rcpt%d", lane - STORY_LANE_RECIPIENT + 1);
	else
		snprintf(buf, len, "%s", name);
}

/* The glyph of a mark on its lane. */
static char rm_mark(const struct story_line *l)
{
	if (l->kind == STORY_FAULT)
		return '!';
	if (l->kind == STORY_SHOWN)
		return strncmp(l->label, "Sent", 4) == 0 ? 'S' : strncmp(l->label, "Failed", 6) == 0 ? 'F' : 's';
	return '*';
}

/* One row: lifelines, the mark or arrow of the line, then who and what. */
static void rm_row(FILE *f, const struct story *s, const struct story_line *l, int width)
{
	char row[512], when[32];
	int ncols = RM_TIME_COL + s->nlanes * width, a, b, stop;

	if (ncols >= (int)sizeof row)
		ncols = (int)sizeof row - 1;
	memset(row, ' ', (size_t)ncols);
	row[ncols] = '\0';
#define RM_X(lane) (RM_TIME_COL + (lane) * width + width / 2)
	for (int k = 0; k < s->nlanes && RM_X(k) < ncols; k++)
		row[RM_X(k)] = '|';
	snprintf(when, sizeof when, "%+.1f", l->t_ms);
	memcpy(row + RM_TIME_COL - 2 - strlen(when), when, strlen(when));
	a = l->from < s->nlanes ? l->from : s->nlanes - 1;
	b = l->to < s->nlanes ? l->to : s->nlanes - 1;
	if (a == b) {
		row[RM_X(a)] = rm_mark(l);
	} else {
		/* A dropped packet's arrow stops at the router when it crosses it; else at its target. */
		bool via_router = (a < STORY_LANE_ROUTER) != (b < STORY_LANE_ROUTER) ||
				  a == STORY_LANE_ROUTER || b == STORY_LANE_ROUTER;

		stop = l->dropped && via_router ? STORY_LANE_ROUTER : b;
		if (a < stop) {
			for (int x = RM_X(a) + 1; x < RM_X(stop); x++)
				row[x] = '-';
			row[RM_X(stop) - 1] = l->dropped && stop == STORY_LANE_ROUTER ? '-' : '>';
		} else {
			for (int x = RM_X(stop) + 1; x < RM_X(a); x++)
				row[x] = '-';
			row[RM_X(stop) + 1] = l->dropped && stop == STORY_LANE_ROUTER ? '-' : '<';
		}
		if (l->dropped)
			row[RM_X(stop)] = 'X';
	}
#undef RM_X
	fprintf(f, "%s  %-10s %s", row, l->role, l->what);
	if (l->frames[0])
		fprintf(f, " [%s]", l->frames);
	fputc('\n', f);
}

/* The diagram: in Markdown (a legend, a fenced block, folded when long) or plain for a terminal. */
static void rm_diagram(FILE *f, const struct cell_result *c, const struct story *s, bool markdown)
{
	int width = s->nlanes <= 7 ? 9 : 7;
	bool fold = markdown && s->n > RM_FOLD_ROWS;
	char head[32], hdr[512];
	int end = 0;

	if (markdown)
		fprintf(f, "What happened, lane by lane: time in ms from the cell's start; `->` a request, reply, "
			   "push or write, `X` where the router dropped it (or a write failed), `!` a fault, "
			   "`S`/`F`/`s` the screen showing Sent/Failed/Sending, `*` anything else. Addresses: %s.\n\n",
			s->legend);
	if (fold)
		fprintf(f, "<details><summary>%zu events (click to open)</summary>\n\n", s->n);
	if (markdown)
		fprintf(f, "```text\n");
	memset(hdr, ' ', sizeof hdr);
	memcpy(hdr + RM_TIME_COL - 4, "ms", 2);
	for (int k = 0; k < s->nlanes; k++) {
		int x = RM_TIME_COL + k * width + width / 2;

		rm_lane_head(k, head, sizeof head);
		/* Each name starts two columns left of its lifeline. */
		if (x + (int)strlen(head) < (int)sizeof hdr - 1)
			memcpy(hdr + x - 2, head, strlen(head));
		end = x - 2 + (int)strlen(head);
	}
	hdr[end < (int)sizeof hdr ? end : (int)sizeof hdr - 1] = '\0';
	while (end > 0 && hdr[end - 1] == ' ')
		hdr[--end] = '\0';
	fprintf(f, "%s\n", hdr);
	for (size_t k = 0; k < s->n; k++)
		rm_row(f, s, &s->lines[k], width);
	if (!s->kept)
		fprintf(f, "(the history of this cell was not kept)\n");
	for (int i = 0; i < c->chk.nmsgs; i++)
		if (s->affected[i])
			fprintf(f, "%s\n", s->store[i]);
	if (markdown)
		fprintf(f, "```\n\n");
	if (fold)
		fprintf(f, "</details>\n\n");
}

void report_print_story(FILE *out, const struct cell_result *c)
{
	struct story story;

	if (!report_has_story(c) || story_build(c, &story) == -1)
		return;
	fprintf(out, "\n%s × %s: %s %s\n", c->scenario, c->stack, c->ran ? c->chk.verdict : "error",
		cell_met(c) ? "(as expected)" : "(NOT as expected)");
	rm_diagram(out, c, &story, false);
	fprintf(out, "(%s)\n\n", story.legend);
	story_free(&story);
}

/* The affected messages of c beside the same message in a stack that survived the same fault. */
static void rm_contrast(FILE *f, const struct cell_result *c, const struct cell_result *cells, int ncells)
{
	char mine[1200], theirs[1200];
	int shown = 0;

	for (int i = 0; i < c->chk.nmsgs && shown < 3; i++) {
		const struct chk_message *m = &c->chk.msgs[i];
		const struct cell_result *good;

		if (m->cls == CHK_OK || !(good = story_contrast_cell(c, m->id, cells, ncells)) ||
		    story_account(c, m->id, mine, sizeof mine) == -1 ||
		    story_account(good, m->id, theirs, sizeof theirs) == -1)
			continue;
		if (!shown++)
			fprintf(f, "**Beside a stack that survived the same fault:**\n\n");
		fprintf(f, "- %s (%s here): %s\n- %s (ok there): %s\n", m->id, chk_class_name(m->cls), mine,
			m->id, theirs);
	}
	if (shown)
		fputc('\n', f);
}

static void rm_lesson(FILE *f, const char *l)
{
	while (*l) {
		const char *nl = strchr(l, '\n');
		int len = nl ? (int)(nl - l) : (int)strlen(l);

		fprintf(f, ">%s%.*s\n", len ? " " : "", len, l);
		l += len + (nl ? 1 : 0);
	}
	fputc('\n', f);
}

/* Every role's command line as it ran (cell.json), folded: what to paste to run one by hand. */
static void rm_commands(FILE *f, const struct cell_result *c)
{
	size_t i;
	json_t *cmd;

	if (!json_array_size(c->commands))
		return;
	fputs("<details><summary>Command lines, as each role ran them</summary>\n\n```\n", f);
	json_array_foreach(c->commands, i, cmd)
		fprintf(f, "%s (in %s): %s\n", json_string_value(json_object_get(cmd, "role")) ?: "",
			json_string_value(json_object_get(cmd, "host")) ?: "",
			json_string_value(json_object_get(cmd, "command")) ?: "");
	fputs("```\n\n</details>\n\n", f);
}

static int rm_cmp_ms(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * A big cell's throughput and latency, from the checker's view of each
 * message: Sent minus send for every message the client showed Sent (p50,
 * p99), and messages Sent per second from the first send to the last Sent.
 */
static void rm_big_timing(FILE *f, const struct cell_result *c)
{
	double *lat = calloc((size_t)c->chk.nmsgs + 1, sizeof *lat), first = 0, last = 0;
	int n = 0;

	if (!lat)
		return;
	for (int i = 0; i < c->chk.nmsgs; i++) {
		const struct chk_message *m = &c->chk.msgs[i];

		if (strcmp(m->client_outcome, "sent") != 0)
			continue;
		first = n == 0 || m->send_ms < first ? m->send_ms : first;
		last = n == 0 || m->client_ms > last ? m->client_ms : last;
		lat[n++] = m->client_ms - m->send_ms;
	}
	if (n) {
		qsort(lat, (size_t)n, sizeof *lat, rm_cmp_ms);
		fprintf(f, "Throughput and latency: %d messages shown Sent, %.0f per second from the first send to "
			   "the last Sent; Sent minus send p50 %.1f ms, p99 %.1f ms.\n\n", n,
			last > first ? n / ((last - first) / 1e3) : 0.0, lat[n / 2],
			lat[n * 99 / 100 < n ? n * 99 / 100 : n - 1]);
	}
	free(lat);
}

/* A big cell: the count of each class, and the first few messages of each with what happened to them. */
static void rm_big_cell(FILE *f, const struct cell_result *c)
{
	int idx[REPORT_SHOWN_MAX], n = report_shown_messages(c, idx);
	char counts[512];

	report_class_counts(c, counts, sizeof counts);
	fprintf(f, "%d messages:%s the first %d of each class:\n\n| message | class | client | attempts | stored | "
		   "delivered | why |\n| --- | --- | --- | --- | --- | --- | --- |\n", c->chk.nmsgs, counts,
		REPORT_BIG_SHOWN);
	for (int k = 0; k < n; k++) {
		const struct chk_message *m = &c->chk.msgs[idx[k]];
		char why_buf[256];

		fprintf(f, "| %s | %s | %s | %d | %d | %d | ", m->id, chk_class_name(m->cls), m->client_outcome,
			m->attempts, m->stored, m->delivered_max);
		rm_cell_text(f, chk_why(m, why_buf, sizeof why_buf));
		fprintf(f, " |\n");
	}
	fprintf(f, "\nEvery message's outcome is in results.json; the sequence diagram is left out for a cell "
		   "this big (`acklab run --plan %s/plan.json -v` tells it whole).\n\n", c->dir[0] ? c->dir : "CELL");
	rm_big_timing(f, c);
}

static void rm_story(FILE *f, const struct cell_result *c, const struct cell_result *cells, int ncells)
{
	struct story story;
	char where[600], rerun[300];

	fprintf(f, "<a id=\"story-%s-%s\"></a>\n\n## %s × %s: %s %s\n\n", c->scenario, c->stack, c->scenario,
		c->stack, c->ran ? c->chk.verdict : "error", cell_met(c) ? "✓" : "✗");
	if (c->lesson[0])
		rm_lesson(f, c->lesson);
	if (!c->ran) {
		fprintf(f, "Could not run to the end: %s\n\n", c->error);
		if (!c->classified && c->history && story_build(c, &story) == 0) {
			/* No message to classify, but what did happen is still worth a look. */
			fprintf(f, "What happened until then:\n\n");
			rm_diagram(f, c, &story, true);
			story_free(&story);
		}
		if (!c->classified) {
			rm_commands(f, c);
			return;
		}
		fprintf(f, "What happened to each message until then:\n\n");
	}
	report_expect_where(c, where, sizeof where);
	if (c->ran)
		fprintf(f, "Expected %s (`%s`), observed %s.\n\n", c->chk.expected, where, c->chk.verdict);
	if (!cell_met(c)) {
		report_rerun(c, rerun, sizeof rerun);
		if (c->ran)
			fprintf(f, "**Not as expected:** %s.\n\n", c->chk.reason);
		fprintf(f, "Expectation: `%s`. Run it again: `%s`.\n\n", where, rerun);
	}
	if (c->chk.nmsgs > REPORT_BIG_CELL) {
		rm_big_cell(f, c);
		rm_contrast(f, c, cells, ncells);
		rm_commands(f, c);
		return;
	}
	fprintf(f, "| message | class | client | attempts | stored | delivered | why |\n"
		   "| --- | --- | --- | --- | --- | --- | --- |\n");
	for (int i = 0; i < c->chk.nmsgs; i++) {
		const struct chk_message *m = &c->chk.msgs[i];
		char why_buf[256];

		fprintf(f, "| %s | %s | %s | %d | %d | %d | ", m->id, chk_class_name(m->cls), m->client_outcome,
			m->attempts, m->stored, m->delivered_max);
		rm_cell_text(f, chk_why(m, why_buf, sizeof why_buf));
		fprintf(f, " |\n");
	}
	fprintf(f, "\n*client*: what the sender's screen finally said; *stored*: rows in the store "
		   "carrying the message; *delivered*: the most distinct copies any one recipient "
		   "was shown.\n\n");
	if (story_build(c, &story) == 0) {
		rm_diagram(f, c, &story, true);
		story_free(&story);
	}
	rm_contrast(f, c, cells, ncells);
	if (c->dir[0])
		fprintf(f, "Artifacts: `%s/history.jsonl`, `%s/capture.pcap`, logs in `%s/`.\n\n", c->dir,
			c->dir, c->dir);
	rm_commands(f, c);
}

/* The cells not as expected, first, each with what to look at and how to run it again. */
static void rm_failures(FILE *f, const struct cell_result *cells, int ncells)
{
	int n = 0;

	for (int i = 0; i < ncells; i++)
		n += cells[i].status == CELL_UNMET || cells[i].status == CELL_ERROR;
	if (!n)
		return;
	fprintf(f, "## ✗ %d cell%s not as expected\n\n", n, n == 1 ? "" : "s");
	for (int i = 0; i < ncells; i++) {
		const struct cell_result *c = &cells[i];
		char where[600], rerun[300];

		if (c->status != CELL_UNMET && c->status != CELL_ERROR)
			continue;
		report_expect_where(c, where, sizeof where);
		report_rerun(c, rerun, sizeof rerun);
		fprintf(f, "- **%s × %s**: ", c->scenario, c->stack);
		if (c->status == CELL_ERROR)
			fprintf(f, "could not run to the end: %s", c->error);
		else
			fprintf(f, "expected %s, observed %s (%s)", c->chk.expected, c->chk.verdict, c->chk.reason);
		fprintf(f, ".\n  Expectation: `%s`%s. Run it again: `%s`", where,
			c->expect_line ? "" : " (no expect line names this stack: it must come out clean)", rerun);
		if (c->dir[0])
			fprintf(f, ", or exactly as planned: `acklab run --plan %s/plan.json -v`", c->dir);
		fprintf(f, ". [Its story](#story-%s-%s).\n", c->scenario, c->stack);
	}
	fputc('\n', f);
}

static void rm_matrix(FILE *f, const struct cell_result *cells, int ncells, enum report_side side)
{
	struct report_matrix m;
	char text[200];
	int r, c;

	report_matrix_build_side(&m, cells, ncells, side);
	if (m.nrows == 0)
		return;
	if (side == REPORT_RECEIVE)
		fprintf(f, "## Receive side\n\nEach receive scenario sends with `%s` and checks what a "
			   "recipient shows, once per recipient stack: a push is a hint, the history the truth.\n\n",
			m.sender ? m.sender : "?");
	fprintf(f, "| %s |", side == REPORT_RECEIVE ? "receive scenario" : "scenario");
	for (c = 0; c < m.ncols; c++)
		fprintf(f, " %s |", m.cols[c]);
	fprintf(f, "\n| --- |");
	for (c = 0; c < m.ncols; c++)
		fprintf(f, " --- |");
	fputc('\n', f);
	for (r = 0; r < m.nrows; r++) {
		fprintf(f, "| ");
		rm_cell_text(f, m.titles[r]);
		fprintf(f, " |");
		for (c = 0; c < m.ncols; c++) {
			const struct cell_result *cell = report_matrix_cell(&m, cells, ncells, r, c);

			if (cell)
				report_cell_text(cell, true, text, sizeof(text));
			else
				str_copy(text, "-", sizeof(text));
			if (cell && report_has_story(cell))
				fprintf(f, " [%s](#story-%s-%s) |", text, cell->scenario, cell->stack);
			else
				fprintf(f, " %s |", text);
		}
		fputc('\n', f);
	}
	fprintf(f, "\n✓ = as expected, ✗ = not (or could not run); each class (LOST, DUP, PHANTOM, FAILED, ...) "
		   "names its messages; n/a = the stack cannot do what the scenario needs "
		   "(not run, not counted as met); - = not run.\n\n");
}

static int rm_end(void *state, const struct run_info *run, const struct cell_result *cells,
		  int ncells, char *err, size_t errlen)
{
	char *doc = NULL;
	size_t doclen = 0;
	int npass = 0, nna = 0, nnot = 0, rc = -1, i;
	bool any_na = false;
	FILE *f;

	(void)state;
	for (i = 0; i < ncells; i++) {
		npass += cell_met(&cells[i]);
		nna += cells[i].status == CELL_NA;
		nnot += cells[i].status == CELL_NOT_RUN;
	}
	f = open_memstream(&doc, &doclen);
	if (!f) {
		err_set(err, errlen, "summary.md: out of memory");
		goto done;
	}
	fprintf(f, "# acklab run\n\nStarted %s; %d cell%s, %d as expected, %d not, %d n/a%s; %.1f s%s.\n\n",
		run->started, ncells, ncells == 1 ? "" : "s", npass, ncells - npass - nna - nnot, nna,
		nnot ? ", some not run" : "", run->duration_ms / 1000.0, run->rootless ? "; rootless" : "");
	rm_failures(f, cells, ncells);
	rm_matrix(f, cells, ncells, REPORT_SEND);
	rm_matrix(f, cells, ncells, REPORT_RECEIVE);
	for (i = 0; i < ncells; i++) {
		if (cells[i].status != CELL_NA && cells[i].status != CELL_NOT_RUN)
			continue;
		if (!any_na)
			fprintf(f, "## Not run here\n\n");
		any_na = true;
		fprintf(f, "- %s × %s: %s\n", cells[i].scenario, cells[i].stack,
			cells[i].status == CELL_NA ? cells[i].na : cells[i].error);
	}
	if (any_na)
		fputc('\n', f);
	report_print_detection(f, cells, ncells, true);
	fputc('\n', f);
	/* The stories of the cells not as expected first, then the expected bugs. */
	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < ncells; i++)
			if (report_has_story(&cells[i]) && cell_met(&cells[i]) == (pass == 1))
				rm_story(f, &cells[i], cells, ncells);
	rc = report_write_memstream(f, &doc, &doclen, run, "summary.md", err, errlen);
done:
	free(doc);
	return rc;
}

const struct reporter_ops report_md_ops = {
	.name = "markdown",
	.begin = report_begin_nothing,
	.cell = report_cell_nothing,
	.end = rm_end,
};
