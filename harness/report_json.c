/*
 * report_json: results.json, the machine-readable record of a run: the run's
 * facts, then one object per cell with its verdict, the expectation, the
 * reason it failed, every message's class and evidence, counts per class,
 * measurements, and the paths of the cell's artifacts (relative to the run
 * folder) so a tool can open the history, capture and logs behind a verdict.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "version.h"
#include "util.h"

struct rj_state {
	json_t *cells;
	char run_dir[512];
};

static int rj_begin(void **state, const struct run_info *run, char *err, size_t errlen)
{
	struct rj_state *st = calloc(1, sizeof(*st));

	if (!st || !(st->cells = json_array())) {
		free(st);
		return err_set(err, errlen, "results.json: out of memory");
	}
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

static json_t *rj_cell(const struct rj_state *st, const struct cell_result *c)
{
	json_t *o, *msgs = json_array(), *counts = json_object();
	int i;

	for (i = 0; i < c->chk.nmsgs; i++) {
		const struct chk_message *m = &c->chk.msgs[i];
		char why_buf[256];

		json_array_append_new(msgs, json_pack("{s:s, s:s, s:s, s:s?, s:i, s:i, s:i, s:i, s:s}",
						      "id", m->id, "class", chk_class_name(m->cls),
						      "client", m->client_outcome,
						      "client_ts", m->client_ts[0] ? m->client_ts : NULL,
						      "attempts", m->attempts, "stored", m->stored,
						      "delivered", m->delivered_max, "shown_max", m->pushes_max,
						      "why", chk_why(m, why_buf, sizeof why_buf)));
	}
	for (i = 0; i < CHK_CLASS_COUNT; i++)
		json_object_set_new(counts, chk_class_name(i), json_integer(c->chk.counts[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:s?, s:b, s:s, s:s, s:s, s:o, s:o,"
		      " s:f, s:I, s:O?, s:o}",
		      "scenario", c->scenario, "title", c->title, "scenario_path", c->scenario_path,
		      "scenario_sha256", c->scenario_sha256, "stack", c->stack,
		      "status", cell_status_name(c->status),
		      "ran", c->ran, "error", c->error[0] ? c->error : NULL, "na", c->na[0] ? c->na : NULL,
		      "pass", cell_met(c),
		      "verdict", c->ran ? c->chk.verdict : cell_status_name(c->status),
		      "expected", c->chk.expected,
		      "reason", c->ran ? c->chk.reason : c->status == CELL_NA ? c->na : c->error,
		      "messages", msgs, "counts", counts, "duration_ms", c->duration_ms,
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

static int rj_cell_cb(void *state, const struct cell_result *c, char *err, size_t errlen)
{
	struct rj_state *st = state;
	json_t *o = rj_cell(st, c);

	if (!o || json_array_append_new(st->cells, o) != 0)
		return err_set(err, errlen, "results.json: cannot encode cell %s/%s", c->scenario, c->stack);
	return 0;
}

/* Append '\n' to a json_dumps() result (frees it on failure). */
static char *rj_newline(char *text)
{
	size_t n = strlen(text);
	char *t = realloc(text, n + 2);

	if (!t) {
		free(text);
		return NULL;
	}
	memcpy(t + n, "\n", 2);
	return t;
}

static int rj_end(void *state, const struct run_info *run, const struct cell_result *cells,
		  int ncells, char *err, size_t errlen)
{
	struct rj_state *st = state;
	char *text = NULL;
	int npass = 0, nna = 0, nnot = 0, rc = -1, i;
	json_t *root = NULL;

	for (i = 0; i < ncells; i++) {
		npass += cell_met(&cells[i]);
		nna += cells[i].status == CELL_NA;
		nnot += cells[i].status == CELL_NOT_RUN;
	}
	root = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:f, s:b}, s:O}",
			 "run", "dir", run->dir, "started", run->started, "acklab", ACKLAB_VERSION,
			 "commit", ACKLAB_COMMIT, "kernel", run->kernel, "cells", run->ncells,
			 "passed", npass, "failed", ncells - npass - nna - nnot, "na", nna, "not_run", nnot,
			 "duration_ms", run->duration_ms, "rootless", run->rootless, "cells", st->cells);
	if (!root || !(text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ||
	    !(text = rj_newline(text))) {
		err_set(err, errlen, "results.json: cannot encode the run");
		goto done;
	}
	if (report_write_file(run, "results.json", text, strlen(text), err, errlen) == -1)
		goto done;
	rc = 0;
done:
	free(text);
	json_decref(root);
	json_decref(st->cells);
	free(st);
	return rc;
}

const struct reporter_ops report_json_ops = {
	.name = "json",
	.begin = rj_begin,
	.cell = rj_cell_cb,
	.end = rj_end,
};
