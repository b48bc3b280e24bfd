/*
 * checker_files: the verdicts of a cell straight from its files
 * (checker_run_files in checker.h), without building the history in memory.
 *
 * history_load_cell() then checker_run_at() turns every line into a jansson
 * object, sorts them all by time and keeps them all; for a big run that is
 * gigabytes and most of the time. Here each file is read in large blocks
 * and each line read by history_scan_line() (jansson only for the lines it
 * leaves) on reader threads, one per core, blocks ahead (history_lines.h),
 * which also find the token in each display and stored row
 * (files_prepare); each line is handed to the checker at once, in file
 * order, and the store's rows are let in where history_load_cell() would
 * insert them: after the last entry not later than the time the run read
 * the store. Memory is the checker's (a few hundred bytes a message) plus
 * two blocks per reader and file.
 *
 * That streaming is only right for the files the runner writes: history
 * entries in time order, store rows without a time of their own, every line
 * readable. Anything else (and any error) makes it start again the slow way,
 * history_load_cell() then checker_run_at(), so the answer, errors
 * included, is always theirs.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checker.h"
#include "checker_feed.h"
#include "history_lines.h"
#include "history_scan.h"
#include "token.h"
#include "util.h"

/* A streaming check: where it is and whether it must give up for the slow way. */
struct files_check {
	struct chk_state *st;
	const char *store_path;
	int64_t store_t;
	bool store_fed;
	char *err;
	size_t errlen;
};

/*
 * The fields of one line: the scanner's, or jansson's from *obj (to be
 * released by the caller). -1 when the line is not a JSON object.
 */
static int files_fields(struct history_line *l, struct history_fields **f, json_t **obj)
{
	*obj = NULL;
	*f = &l->f;
	if (l->scanned)
		return 0;
	*obj = json_loads(l->text, 0, NULL);
	if (!json_is_object(*obj)) {
		json_decref(*obj);
		*obj = NULL;
		return -1;
	}
	history_fields_of(*obj, *f);
	return 0;
}

/* The store role's rows in history.jsonl are left out (store.jsonl has them); its start and exit stay. */
static bool files_is_store_row(const struct history_fields *f)
{
	/* Inline comparisons: this runs for every line of a big history. */
	return f->role && str_is(f->role, "store") && !(f->ev && (str_is(f->ev, "started") || str_is(f->ev, "exit")));
}

/*
 * The readers' part of the checker's work on a line: the first token in a
 * stored row's or a display's text (the checker's chk_message_in tries it
 * first), found on the reader threads instead of the checker's one.
 */
static void files_prepare(struct history_line *l)
{
	const char *ev = l->f.ev;
	size_t n, pos = 0, start = 0, len = 0;

	if (!l->scanned || !l->f.text || (ev && !str_is(ev, "received") && !str_is(ev, "stored")))
		return;
	if ((n = strlen(l->f.text)) > UINT_MAX)
		return;
	if (!token_span_next(l->f.text, n, &pos, &start, &len))
		len = 0;
	l->f.text_token_known = true;
	l->f.text_token_at = (unsigned)start;
	l->f.text_token_len = (unsigned)len;
}

/* The same for history.jsonl, whose store rows the checker leaves out. */
static void files_prepare_history(struct history_line *l)
{
	if (l->scanned && !files_is_store_row(&l->f))
		files_prepare(l);
}

/*
 * store.jsonl's rows, as history_add_store_line() makes them: an object is
 * a stored row (ev "stored" and role "store" unless it says otherwise) at
 * the time the run read the store; anything else is kept as text, which
 * the checker does not read. 0, or -1 to give up (a row with a time of its
 * own goes elsewhere in the history; an unreadable file).
 */
static int files_feed_store(struct files_check *x)
{
	struct history_lines *r;
	struct history_line *l;
	int got, rc = -1;

	x->store_fed = true;
	if (!(r = history_lines_open(x->store_path, 0, -1, files_prepare)))
		return errno == ENOENT ? 0 : -1;
	while ((got = history_lines_next(r, &l)) == 1) {
		struct history_fields *f;
		json_t *obj;

		if (l->len == 0 || files_fields(l, &f, &obj) == -1)
			continue;
		if (f->t_is_integer) {
			json_decref(obj);
			goto done;
		}
		f->t_is_integer = true;
		f->t = x->store_t;
		if (!f->has_ev)
			f->ev = "stored";
		if (!f->has_role)
			f->role = "store";
		got = chk_feed(x->st, f, x->err, x->errlen);
		json_decref(obj);
		if (got == -1)
			goto done;
	}
	rc = got == 0 ? 0 : -1;
done:
	history_lines_close(r);
	return rc;
}

/* history.jsonl, with store.jsonl let in at its time. 0, or -1 to give up. */
static int files_feed_history(struct files_check *x, const char *history_path)
{
	struct history_lines *r;
	struct history_line *l;
	int64_t prev = INT64_MIN;
	int got, rc = -1;

	if (!(r = history_lines_open(history_path, 0, -1, files_prepare_history)))
		return -1;
	while ((got = history_lines_next(r, &l)) == 1) {
		struct history_fields *f;
		json_t *obj;

		if (l->len == 0)
			continue;
		if (files_fields(l, &f, &obj) == -1)
			goto done;
		/* Out of order: the loader would sort; the slow way does. */
		if (!f->t_is_integer || f->t < prev) {
			json_decref(obj);
			goto done;
		}
		prev = f->t;
		if (!f->has_role)
			f->role = "acklab";         /* as history_add() names an entry without one */
		got = 0;
		if (!x->store_fed && f->t > x->store_t)
			got = files_feed_store(x);
		if (got == 0 && !files_is_store_row(f))
			got = chk_feed(x->st, f, x->err, x->errlen);
		json_decref(obj);
		if (got == -1)
			goto done;
	}
	if (got == 0 && !x->store_fed && files_feed_store(x) == -1)
		got = -1;
	rc = got == 0 ? 0 : -1;
done:
	history_lines_close(r);
	return rc;
}

int checker_run_files(const char *history_path, const char *store_path, int64_t store_t_ns,
		      const struct scn_expect *exp, int recipients, int64_t t0_ns, struct chk_result *out,
		      char *err, size_t errlen)
{
	struct files_check x = { .store_path = store_path, .store_t = store_t_ns, .err = err,
				 .errlen = errlen };
	struct history *h;
	struct stat sb;
	size_t entries = 0;
	int rc;

	/*
	 * About a hundred bytes an entry: the checker sizes its tables once from that (up to 16M
	 * entries, a few GB of address space; a bigger history grows them as it goes).
	 */
	if (stat(history_path, &sb) == 0)
		entries = (size_t)sb.st_size / 100 < (16u << 20) ? (size_t)sb.st_size / 100 : 16u << 20;
	x.st = chk_begin(out, entries, t0_ns);
	if (x.st && files_feed_history(&x, history_path) == 0)
		return chk_end(x.st, exp, recipients, err, errlen);
	chk_state_free(x.st);
	chk_result_free(out);
	h = history_load_cell(history_path, store_path, store_t_ns, err, errlen);
	if (!h) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	rc = checker_run_at(h, exp, recipients, t0_ns, out, err, errlen);
	history_free(h);
	return rc;
}
