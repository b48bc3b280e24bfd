/*
 * report_md: summary.md, the report a person reads. The matrix comes first
 * as a Markdown table; then, for every cell with a message that is not ok
 * or with a verdict that differs from the expectation, the story of the
 * affected messages: one timeline, built from the cell's history, holding
 * every entry that concerns those messages, every fault, heal and trigger,
 * and the server's lifecycle, ending with what the store holds.
 *
 * Stories are written while the cell's history is still loaded (cell()),
 * into a memory buffer; end() writes the matrix and appends them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "story.h"
#include "util.h"

struct rm_state {
	char *buf;
	size_t len;
	FILE *stories;                /* open_memstream over buf */
	char *nabuf;
	size_t nalen;
	FILE *na;                     /* the cells that could not run here, and why */
};

static int rm_begin(void **state, const struct run_info *run, char *err, size_t errlen)
{
	struct rm_state *st = calloc(1, sizeof(*st));

	if (!st || !(st->stories = open_memstream(&st->buf, &st->len)) ||
	    !(st->na = open_memstream(&st->nabuf, &st->nalen))) {
		if (st && st->stories) {
			fclose(st->stories);
			free(st->buf);
		}
		free(st);
		return err_set(err, errlen, "summary.md: out of memory");
	}
	*state = st;
	return 0;
}

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

static int rm_cell(void *state, const struct cell_result *c, char *err, size_t errlen)
{
	struct rm_state *st = state;
	FILE *f = st->stories;
	struct story story;
	bool affected = false;
	int i;

	for (i = 0; i < c->chk.nmsgs; i++)
		if (c->chk.msgs[i].cls != CHK_OK)
			affected = true;
	if (c->status == CELL_NA || c->status == CELL_NOT_RUN) {
		fprintf(st->na, "- %s × %s: %s\n", c->scenario, c->stack,
			c->status == CELL_NA ? c->na : c->error);
		return 0;
	}
	if (!affected && cell_met(c))
		return 0;
	fprintf(f, "## %s × %s: %s %s\n\n", c->scenario, c->stack, c->ran ? c->chk.verdict : "error",
		cell_met(c) ? "✓" : "✗");
	if (c->lesson[0]) {
		const char *l = c->lesson;

		while (*l) {
			const char *nl = strchr(l, '\n');
			int len = nl ? (int)(nl - l) : (int)strlen(l);

			fprintf(f, ">%s%.*s\n", len ? " " : "", len, l);
			l += len + (nl ? 1 : 0);
		}
		fputc('\n', f);
	}
	if (!c->ran) {
		fprintf(f, "Could not run to the end: %s\n\n", c->error);
		if (!c->classified)
			return ferror(f) ? err_set(err, errlen, "summary.md: out of memory") : 0;
		fprintf(f, "What happened to each message until then:\n\n");
	}
	if (c->ran)
		fprintf(f, "Expected %s, observed %s.\n\n", c->chk.expected, c->chk.verdict);
	if (c->ran && !c->chk.pass)
		fprintf(f, "**Not as expected:** %s.\n\n", c->chk.reason);
	fprintf(f, "| message | class | client | attempts | stored | delivered | why |\n"
		   "| --- | --- | --- | --- | --- | --- | --- |\n");
	for (i = 0; i < c->chk.nmsgs; i++) {
		const struct chk_message *m = &c->chk.msgs[i];

		fprintf(f, "| %s | %s | %s | %d | %d | %d | ", m->id, chk_class_name(m->cls),
			m->client_outcome, m->attempts, m->stored, m->delivered_max);
		rm_cell_text(f, m->why);
		fprintf(f, " |\n");
	}
	fprintf(f, "\n*client*: what the sender's screen finally said; *stored*: rows in the store "
		   "carrying the message; *delivered*: the most distinct copies any one recipient "
		   "was shown.\n\n");
	if (story_build(c, &story) == 0) {
		fprintf(f, "```\n");
		for (size_t k = 0; k < story.n; k++) {
			char when[32];

			snprintf(when, sizeof when, "%+.1f", story.lines[k].t_ms);
			fprintf(f, "  %8s ms  %-8s %s\n", when, story.lines[k].role, story.lines[k].what);
		}
		if (!story.kept)
			fprintf(f, "  (the history of this cell was not kept)\n");
		for (i = 0; i < c->chk.nmsgs; i++)
			if (story.affected[i])
				fprintf(f, "  %s\n", story.store[i]);
		fprintf(f, "```\n\n");
		story_free(&story);
	}
	if (c->dir[0])
		fprintf(f, "Artifacts: `%s/history.jsonl`, `%s/capture.pcap`, logs in `%s/`.\n\n", c->dir,
			c->dir, c->dir);
	return ferror(f) ? err_set(err, errlen, "summary.md: out of memory") : 0;
}

static void rm_matrix(FILE *f, const struct cell_result *cells, int ncells)
{
	struct report_matrix m;
	char text[200];
	int r, c;

	report_matrix_build(&m, cells, ncells);
	fprintf(f, "| scenario |");
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
	struct rm_state *st = state;
	char *doc = NULL;
	size_t doclen = 0;
	int npass = 0, nna = 0, nnot = 0, rc = -1, i;
	FILE *f;

	fclose(st->stories);
	fclose(st->na);
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
	rm_matrix(f, cells, ncells);
	if (st->nalen)
		fprintf(f, "## Not run here\n\n%.*s\n", (int)st->nalen, st->nabuf);
	report_print_detection(f, cells, ncells, true);
	fputc('\n', f);
	if (st->len)
		fwrite(st->buf, 1, st->len, f);
	rc = report_write_memstream(f, &doc, &doclen, run, "summary.md", err, errlen);
done:
	free(doc);
	free(st->buf);
	free(st->nabuf);
	free(st);
	return rc;
}

const struct reporter_ops report_md_ops = {
	.name = "markdown",
	.begin = rm_begin,
	.cell = rm_cell,
	.end = rm_end,
};
