/*
 * report_json: results.json, the machine-readable record of a run: the run's
 * facts, then one object per cell with its verdict, the expectation, the
 * reason it failed, every message's class and evidence, counts per class,
 * measurements, and the paths of the cell's artifacts (relative to the run
 * folder) so a tool can open the history, capture and logs behind a verdict.
 *
 * A cell's fields are jansson's; its messages (a million, in a big cell)
 * are written straight to the document, one compact object a line, so the
 * file is built without a JSON tree of them.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "version.h"
#include "util.h"

struct rj_state {
	char run_dir[512];
};

static int rj_begin(void **state, const struct run_info *run, char *err, size_t errlen)
{
	struct rj_state *st = calloc(1, sizeof(*st));

	if (!st)
		return err_set(err, errlen, "results.json: out of memory");
	str_copy(st->run_dir, run->dir, sizeof(st->run_dir));
	*state = st;
	return 0;
}

/* {"dir":..,"history":..,"capture":..,"logs":[..]} relative to the run folder. */
static json_t *rj_artifacts(const struct rj_state *st, const struct cell_result *c)
{
	json_t *a = json_object(), *logs = json_array();
	char path[1200];
	glob_t g;
	size_t i, skip;

	snprintf(path, sizeof(path), "%s/history.jsonl", c->dir);
	json_object_set_new(a, "dir", json_string(c->dir));
	json_object_set_new(a, "history", json_string(path));
	snprintf(path, sizeof(path), "%s/capture.pcap", c->dir);
	json_object_set_new(a, "capture", json_string(path));
	snprintf(path, sizeof(path), "%s/%s/*.log", st->run_dir, c->dir);
	skip = strlen(st->run_dir) + 1;
	if (glob(path, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			json_array_append_new(logs, json_string(g.gl_pathv[i] + skip));
		globfree(&g);
	}
	json_object_set_new(a, "logs", logs);
	return a;
}

/* s as a JSON string: quotes, backslashes and control bytes escaped; other bytes as they are. */
static void rj_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		const unsigned char *run = p;

		while (*p >= 0x20 && *p != '"' && *p != '\\')
			p++;
		fwrite(run, 1, (size_t)(p - run), f);
		if (!*p)
			break;
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else
			fprintf(f, "\\u%04x", *p);
		p++;
	}
	fputc('"', f);
}

/* c's messages, as the value of its "messages" key, at the indent of a cell's keys. */
static void rj_messages(FILE *f, const struct cell_result *c)
{
	fputs("\"messages\": [", f);
	for (int i = 0; i < c->chk.nmsgs; i++) {
		const struct chk_message *m = &c->chk.msgs[i];
		char why_buf[256];

		fputs(i ? ",\n        {\"id\": " : "\n        {\"id\": ", f);
		rj_string(f, m->id);
		fprintf(f, ", \"class\": \"%s\", \"client\": \"%s\"", chk_class_name(m->cls), m->client_outcome);
		if (m->client_ts[0]) {
			fputs(", \"client_ts\": ", f);
			rj_string(f, m->client_ts);
		}
		fprintf(f, ", \"attempts\": %d, \"stored\": %d, \"delivered\": %d, \"shown_max\": %d, \"why\": ",
			m->attempts, m->stored, m->delivered_max, m->pushes_max);
		rj_string(f, chk_why(m, why_buf, sizeof why_buf));
		fputc('}', f);
	}
	fputs(c->chk.nmsgs ? "\n      ]" : "]", f);
}

/* text (a jansson dump), each line after the first indented by indent more spaces. */
static void rj_indented(FILE *f, const char *text, int indent)
{
	for (; *text; text++) {
		fputc(*text, f);
		if (*text == '\n')
			fprintf(f, "%*s", indent, "");
	}
}

/* The cell's fields, everything but its messages. */
static json_t *rj_cell(const struct rj_state *st, const struct cell_result *c)
{
	json_t *o, *counts = json_object();
	int i;

	for (i = 0; i < CHK_CLASS_COUNT; i++)
		json_object_set_new(counts, chk_class_name(i), json_integer(c->chk.counts[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:s?, s:b, s:s, s:s, s:s, s:o,"
		      " s:f, s:I, s:O?, s:o}",
		      "scenario", c->scenario, "title", c->title, "scenario_path", c->scenario_path,
		      "scenario_sha256", c->scenario_sha256, "stack", c->stack,
		      "status", cell_status_name(c->status),
		      "ran", c->ran, "error", c->error[0] ? c->error : NULL, "na", c->na[0] ? c->na : NULL,
		      "pass", cell_met(c),
		      "verdict", c->ran ? c->chk.verdict : cell_status_name(c->status),
		      "expected", c->chk.expected,
		      "reason", c->ran ? c->chk.reason : c->status == CELL_NA ? c->na : c->error,
		      "counts", counts, "duration_ms", c->duration_ms,
		      "seed", (json_int_t)c->seed, "extra", c->extra, "artifacts", rj_artifacts(st, c));
	/* A receive cell: "stack" is its recipient stack, "sender" the send stack it ran with. */
	if (o && c->sender[0])
		json_object_set_new(o, "sender", json_string(c->sender));
	if (o && c->expect_line > 0) {
		char where[600];

		/* The expect line the cell is held to: the stack's own, or the scenario's. */
		report_expect_where(c, where, sizeof where);
		json_object_set_new(o, "expect_at", json_string(where));
	}
	return o;
}


static int rj_end(void *state, const struct run_info *run, const struct cell_result *cells,
		  int ncells, char *err, size_t errlen)
{
	struct rj_state *st = state;
	int npass = 0, nna = 0, nnot = 0, rc = -1, i;
	char *doc = NULL, *text = NULL;
	size_t len = 0;
	json_t *facts = NULL;
	FILE *f;

	for (i = 0; i < ncells; i++) {
		npass += cell_met(&cells[i]);
		nna += cells[i].status == CELL_NA;
		nnot += cells[i].status == CELL_NOT_RUN;
	}
	facts = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:f, s:b}",
			  "dir", run->dir, "started", run->started, "acklab", ACKLAB_VERSION,
			  "commit", ACKLAB_COMMIT, "kernel", run->kernel, "cells", run->ncells,
			  "passed", npass, "failed", ncells - npass - nna - nnot, "na", nna, "not_run", nnot,
			  "duration_ms", run->duration_ms, "rootless", run->rootless);
	if (!facts || !(text = json_dumps(facts, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ||
	    !(f = open_memstream(&doc, &len))) {
		err_set(err, errlen, "results.json: cannot encode the run");
		goto done;
	}
	fputs("{\n  \"run\": ", f);
	rj_indented(f, text, 2);
	fputs(",\n  \"cells\": [", f);
	for (i = 0; i < ncells; i++) {
		json_t *o = rj_cell(st, &cells[i]);
		char *cell = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		size_t n = cell ? strlen(cell) : 0;

		json_decref(o);
		if (n < 2 || cell[n - 1] != '}') {
			free(cell);
			fclose(f);
			free(doc);
			err_set(err, errlen, "results.json: cannot encode cell %s/%s", cells[i].scenario, cells[i].stack);
			goto done;
		}
		/* The cell's fields without their closing brace, then its messages, then the brace. */
		do
			cell[--n] = '\0';
		while (n > 1 && (cell[n - 1] == '\n' || cell[n - 1] == ' '));
		fputs(i ? ",\n    " : "\n    ", f);
		rj_indented(f, cell, 4);
		fputs(",\n      ", f);
		rj_messages(f, &cells[i]);
		fputs("\n    }", f);
		free(cell);
	}
	fputs(ncells ? "\n  ]\n}\n" : "]\n}\n", f);
	if (report_write_memstream(f, &doc, &len, run, "results.json", err, errlen) == -1)
		goto done;
	rc = 0;
done:
	free(doc);
	free(text);
	json_decref(facts);
	free(st);
	return rc;
}

const struct reporter_ops report_json_ops = {
	.name = "json",
	.begin = rj_begin,
	.cell = report_cell_nothing,  /* the cells are written at the end, from the run's list */
	.end = rj_end,
};
