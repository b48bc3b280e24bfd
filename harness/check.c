/*
 * check: a cell folder in, a cell_result out (check.h). The run stage's
 * record is read as it is on disk; what the store read back comes from
 * store.jsonl, so a re-check sees exactly the rows the run saw (or the rows
 * a user put there: the check trusts the folder, not the run).
 */
#include "check.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan.h"
#include "util.h"

const char *cell_status_name(enum cell_status s)
{
	switch (s) {
	case CELL_MET: return "met";
	case CELL_UNMET: return "unmet";
	case CELL_ERROR: return "error";
	case CELL_NA: return "n/a";
	case CELL_NOT_RUN: return "not run";
	}
	return "?";
}

void cell_result_release(struct cell_result *r)
{
	chk_result_free(&r->chk);
	json_decref(r->extra);
	r->extra = NULL;
	json_decref(r->client);
	r->client = NULL;
	json_decref(r->commands);
	r->commands = NULL;
	history_free(r->history);
	r->history = NULL;
}

/*
 * When the first fault began, or 0 when none was applied. Its entry is
 * written once the fault was applied (a stop waits for its process to end),
 * so it began took_ms earlier, and what it broke meanwhile comes before it
 * in the history.
 */
static int64_t check_first_fault(struct history *h)
{
	for (size_t i = 0; i < history_len(h); i++) {
		json_t *e = history_at(h, i);
		const char *role = json_string_value(json_object_get(e, "role"));
		const char *ev = json_string_value(json_object_get(e, "ev"));

		if (role && ev && strcmp(role, "acklab") == 0 && strcmp(ev, "fault") == 0)
			return json_integer_value(json_object_get(e, "t")) -
			       (int64_t)(json_number_value(json_object_get(e, "took_ms")) * 1e6);
	}
	return 0;
}

/* The clients and recipients a reconnect storm is counted over. */
#define RECONNECT_ROLES 72

/* How long the client took to notice a dead connection after the first fault. */
static void check_measure(struct cell_result *out)
{
	struct history *h = out->history;
	int64_t fault_t = check_first_fault(h);

	for (size_t i = 0; i < history_len(h); i++) {
		json_t *e = history_at(h, i);
		const char *role = json_string_value(json_object_get(e, "role"));
		const char *ev = json_string_value(json_object_get(e, "ev"));
		int64_t t = json_integer_value(json_object_get(e, "t"));

		if (!role || !ev || !fault_t || t < fault_t)
			continue;
		if (strcmp(role, "client") == 0 && strcmp(ev, "disconnected") == 0) {
			if (!out->extra)
				out->extra = json_object();
			json_object_set_new(out->extra, "detect_ms", json_real((double)(t - fault_t) / 1e6));
			break;
		}
	}
}

/*
 * Reconnect storms: after the first fault, how many times a client or a
 * recipient lost its connection, how many of them did, and the longest time
 * one of them was without a connection (to its next "connected"; to the end
 * of the history when it never came back, counted in never_back).
 */
static void check_measure_reconnects(struct cell_result *out)
{
	struct history *h = out->history;
	struct { const char *role; int64_t down_at; } down[RECONNECT_ROLES];
	int ndown = 0, reconnects = 0, roles = 0, never_back = 0;
	int64_t fault_t = check_first_fault(h), longest = 0, last_t = 0;

	for (size_t i = 0; i < history_len(h); i++) {
		json_t *e = history_at(h, i);
		const char *role = json_string_value(json_object_get(e, "role"));
		const char *ev = json_string_value(json_object_get(e, "ev"));
		int64_t t = json_integer_value(json_object_get(e, "t"));
		int k;

		if (!role || !ev)
			continue;
		last_t = t > last_t ? t : last_t;
		if (!fault_t || t < fault_t)
			continue;
		if (strcmp(role, "client") != 0 && strncmp(role, "recipient", 9) != 0)
			continue;
		for (k = 0; k < ndown && strcmp(down[k].role, role) != 0; k++)
			;
		if (strcmp(ev, "disconnected") == 0) {
			reconnects++;
			if (k == ndown && ndown < RECONNECT_ROLES) {
				down[ndown].role = role;
				down[ndown++].down_at = t;
				roles++;
			} else if (k < ndown && !down[k].down_at) {
				down[k].down_at = t;          /* a known role's next outage */
			}
		} else if (strcmp(ev, "connected") == 0 && k < ndown && down[k].down_at) {
			longest = t - down[k].down_at > longest ? t - down[k].down_at : longest;
			down[k].down_at = 0;
		}
	}
	for (int k = 0; k < ndown; k++)
		if (down[k].down_at) {
			never_back++;
			longest = last_t - down[k].down_at > longest ? last_t - down[k].down_at : longest;
		}
	if (!reconnects)
		return;
	if (!out->extra)
		out->extra = json_object();
	json_object_set_new(out->extra, "reconnects", json_integer(reconnects));
	json_object_set_new(out->extra, "reconnect_roles", json_integer(roles));
	json_object_set_new(out->extra, "reconnect_longest_ms", json_real((double)longest / 1e6));
	json_object_set_new(out->extra, "never_reconnected", json_integer(never_back));
}

/* The faults of the cell that touched nothing, from the run's "faults" entry, into out->untouched. */
static void check_untouched(struct cell_result *out)
{
	for (size_t i = 0; i < history_len(out->history); i++) {
		json_t *e = history_at(out->history, i), *f;
		const char *ev = json_string_value(json_object_get(e, "ev"));
		size_t k;

		if (!ev || strcmp(ev, "faults") != 0)
			continue;
		json_array_foreach(json_object_get(e, "applied"), k, f) {
			json_t *bit = json_object_get(json_object_get(f, "touched"), "bit"), *a;
			char item[160];
			size_t j, n;

			if (!json_is_false(bit))
				continue;
			n = (size_t)snprintf(item, sizeof item, "%s%s", out->untouched[0] ? "; " : "",
					     json_string_value(json_object_get(f, "fault")));
			json_array_foreach(json_object_get(f, "args"), j, a)
				if (n < sizeof item)
					n += (size_t)snprintf(item + n, sizeof item - n, " %s", json_string_value(a));
			if (n < sizeof item)
				snprintf(item + n, sizeof item - n, " (%s)",
					 json_string_value(json_object_get(f, "trigger")));
			str_copy(out->untouched + strlen(out->untouched), item,
				 sizeof out->untouched - strlen(out->untouched));
		}
	}
}

/*
 * Over this size (about 20,000 messages) a cell's history is not kept in
 * memory as objects: a million messages would take gigabytes, and 20,000
 * already take seconds to parse, for stories that a cell of more than
 * REPORT_BIG_CELL messages does not get. Its verdicts come from the files
 * all the same (checker_run_files), and only the entries that are not
 * about one message are kept, for the measures (history_load_cell_events).
 */
#define CHECK_HISTORY_KEEP_BYTES (16L << 20)

/* A cell's record files, and whether it had a bot (whose record only the history in memory takes). */
struct check_files {
	char history[PATH_MAX + 32], store[PATH_MAX + 32], bot[PATH_MAX + 32];
	bool has_bot;
};

static void check_files_of(const char *dir, struct check_files *cf)
{
	snprintf(cf->history, sizeof cf->history, "%s/history.jsonl", dir);
	snprintf(cf->store, sizeof cf->store, "%s/store.jsonl", dir);
	snprintf(cf->bot, sizeof cf->bot, "%s/bot.jsonl", dir);
	cf->has_bot = access(cf->bot, F_OK) == 0;
}

/*
 * The history without the store role's entries (but its start and exit), plus store.jsonl's lines as
 * the store role's entries at the time the run read them (cell.json), and bot.jsonl's (a bot's
 * record, when the cell had one) as the bot-store role's. A history over CHECK_HISTORY_KEEP_BYTES
 * without a bot: its events only (*events_only).
 */
static struct history *check_load_history(const struct check_files *cf, int64_t store_t, bool *events_only,
					  char *err, size_t errlen)
{
	struct history *h;
	struct stat sb;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	*events_only = !cf->has_bot && stat(cf->history, &sb) == 0 && sb.st_size > CHECK_HISTORY_KEEP_BYTES;
	if (*events_only)
		return history_load_cell_events(cf->history, err, errlen);
	h = history_load_cell(cf->history, cf->store, store_t, err, errlen);
	/* A bot's record (checker_bot.c), read back after the store, when the cell had a bot. */
	f = h && cf->has_bot ? fopen(cf->bot, "re") : NULL;
	while (f && (n = getline(&line, &cap, f)) != -1) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n > 0)
			chk_bot_add_record(h, line, store_t);
	}
	if (f)
		fclose(f);
	free(line);
	return h;
}

/*
 * The classes of every message. From the files, as a re-check of a big run must (and so every
 * check takes the same way); a bot's record is only in the history in memory.
 */
static int check_classify(const struct check_files *cf, struct cell_result *out, const struct plan *p,
			  int64_t store_t, char *err, size_t errlen)
{
	if (cf->has_bot)
		return checker_run_at(out->history, p->expect, p->s->recipients, out->t0_ns, &out->chk, err,
				      errlen);
	return checker_run_files(cf->history, cf->store, store_t, p->expect, p->s->recipients, out->t0_ns,
				 &out->chk, err, errlen);
}

static void check_fill_from_plan(struct cell_result *out, const struct plan *p)
{
	const struct scenario *s = p->s;
	const char *sha = json_string_value(json_object_get(json_object_get(p->doc, "scenario"), "sha256"));

	str_copy(out->scenario, s->name, sizeof out->scenario);
	str_copy(out->title, s->title[0] ? s->title : s->name, sizeof out->title);
	str_copy(out->lesson, s->lesson, sizeof out->lesson);
	str_copy(out->scenario_path, s->path, sizeof out->scenario_path);
	str_copy(out->scenario_sha256, sha ? sha : "", sizeof out->scenario_sha256);
	str_copy(out->stack, p->st->name, sizeof out->stack);
	str_copy(out->sender, p->sender, sizeof out->sender);
	out->seed = p->seed;
	out->scenario_order = s->order;
	out->stack_order = p->st->order;
	out->client = json_incref(json_object_get(p->doc, "client"));
	out->expect_line = p->expect ? p->expect_line : 0;
	str_copy(out->expect_path, p->expect_file ? p->expect_file : "", sizeof out->expect_path);
}

int check_cell_dir(const char *run_dir, const char *cell_dir, struct cell_result *out, char *err,
		   size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], herr[512];
	struct plan *p = NULL;
	const struct scn_expect *exp;
	json_t *rec = NULL;
	json_error_t jerr;
	const char *error;
	struct check_files cf;
	int64_t store_t;

	memset(out, 0, sizeof *out);
	str_copy(out->dir, cell_dir, sizeof out->dir);
	if (run_dir)
		snprintf(dir, sizeof dir, "%s/%s", run_dir, cell_dir);
	else
		str_copy(dir, cell_dir, sizeof dir);
	snprintf(path, sizeof path, "%s/plan.json", dir);
	if (plan_load(path, &p, err, errlen) == -1)
		return -1;
	check_fill_from_plan(out, p);
	if (p->na[0]) {
		out->status = CELL_NA;
		str_copy(out->na, p->na, sizeof out->na);
		goto done;
	}
	snprintf(path, sizeof path, "%s/cell.json", dir);
	rec = json_load_file(path, 0, &jerr);
	if (!rec) {
		out->status = CELL_NOT_RUN;
		snprintf(out->error, sizeof out->error, "not run (no %s: %s)", path, jerr.text);
		goto done;
	}
	out->commands = json_incref(json_object_get(rec, "commands"));
	out->t0_ns = json_integer_value(json_object_get(rec, "t0_ns"));
	out->duration_ms = json_number_value(json_object_get(rec, "duration_ms"));
	error = json_string_value(json_object_get(rec, "error"));
	store_t = json_integer_value(json_object_get(rec, "store_read_ns"));
	check_files_of(dir, &cf);
	out->history = check_load_history(&cf, store_t, &out->history_events_only, herr, sizeof herr);
	if (!out->history) {
		out->status = CELL_ERROR;
		snprintf(out->error, sizeof out->error, "%s", error && *error ? error : herr);
		goto done;
	}
	check_measure(out);
	check_measure_reconnects(out);
	exp = p->expect;
	/* A cell that failed before its store was read back has no classes worth showing: all would be lost. */
	if ((!(error && *error) || access(cf.store, F_OK) == 0) &&
	    check_classify(&cf, out, p, store_t, herr, sizeof herr) == 0)
		out->classified = true;
	if (error && *error) {
		/* The classes of what did happen stay beside the error (a broken await is no excuse). */
		out->status = CELL_ERROR;
		str_copy(out->error, error, sizeof out->error);
		goto done;
	}
	if (!out->classified) {
		out->status = CELL_ERROR;
		snprintf(out->error, sizeof out->error, "%s", herr);
		goto done;
	}
	out->ran = true;
	check_untouched(out);
	if (out->untouched[0] && !(exp && exp->may_miss)) {
		/* A fault that did not bite proves nothing: a clean beside it is vacuous. */
		char reason[sizeof out->chk.reason];

		snprintf(reason, sizeof reason, "%s%sthe fault touched nothing: %s (say may-miss on the "
			 "expect line if that is this stack's way)", out->chk.reason,
			 out->chk.reason[0] ? "; " : "", out->untouched);
		str_copy(out->chk.reason, reason, sizeof out->chk.reason);
		str_copy(out->chk.verdict + strlen(out->chk.verdict), ", UNTOUCHED",
			 sizeof out->chk.verdict - strlen(out->chk.verdict));
		out->chk.pass = false;
	}
	out->status = out->chk.pass ? CELL_MET : CELL_UNMET;
done:
	json_decref(rec);
	plan_free(p);
	return 0;
}
