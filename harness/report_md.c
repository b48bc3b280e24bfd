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
#include "util.h"

struct rm_state {
	char *buf;
	size_t len;
	FILE *stories;                /* open_memstream over buf */
};

static int rm_begin(void **state, const struct run_info *run, char *err, size_t errlen)
{
	struct rm_state *st = calloc(1, sizeof(*st));

	if (!st || !(st->stories = open_memstream(&st->buf, &st->len))) {
		free(st);
		return err_set(err, errlen, "summary.md: out of memory");
	}
	*state = st;
	return 0;
}

static const char *rm_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
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

/* The affected message whose id, token or text this entry carries, or -1. */
static int rm_concerns(json_t *e, const struct chk_result *r, const bool *affected)
{
	const char *id = rm_str(e, "id"), *token = rm_str(e, "token"), *text = rm_str(e, "text");
	int i;

	for (i = 0; i < r->nmsgs; i++) {
		if (!affected[i])
			continue;
		if ((id && strcmp(id, r->msgs[i].id) == 0) ||
		    (token && strcmp(token, r->msgs[i].token) == 0) ||
		    (text && strstr(text, r->msgs[i].token)))
			return i;
	}
	return -1;
}

/* A few fields of an entry as " k=v": for events we have no sentence for. */
static void rm_fields(json_t *e, char *buf, size_t len)
{
	static const char *const keys[] = { "ts", "attempt", "attempts", "reason", "error", "status",
					    "detail", "what", NULL };
	int i;

	for (i = 0; keys[i]; i++) {
		json_t *v = json_object_get(e, keys[i]);
		size_t l = strlen(buf);

		if (json_is_string(v))
			snprintf(buf + l, len - l, " %s=%s", keys[i], json_string_value(v));
		else if (json_is_integer(v))
			snprintf(buf + l, len - l, " %s=%lld", keys[i], (long long)json_integer_value(v));
	}
}

static void rm_phrase(json_t *e, const char *role, const char *ev, char *buf, size_t len)
{
	long long attempt = json_integer_value(json_object_get(e, "attempt"));
	long long attempts = json_integer_value(json_object_get(e, "attempts"));
	const char *ts = rm_str(e, "ts"), *s;

	buf[0] = '\0';
	if (strcmp(role, "client") == 0 && strcmp(ev, "sending") == 0) {
		snprintf(buf, len, "showed Sending (attempt %lld)", attempt ? attempt : 1);
	} else if (strcmp(role, "client") == 0 && strcmp(ev, "sent") == 0) {
		snprintf(buf, len, "showed Sent (attempt %lld%s%s)", attempts ? attempts : 1,
			 ts ? ", ts " : "", ts ? ts : "");
	} else if (strcmp(role, "client") == 0 && strcmp(ev, "failed") == 0) {
		snprintf(buf, len, "showed Failed (attempt %lld): %s", attempts ? attempts : 1,
			 (s = rm_str(e, "error")) ? s : "no reason given");
	} else if (strcmp(ev, "received") == 0) {
		snprintf(buf, len, "displayed it (ts %s, via %s)", ts ? ts : "?",
			 (s = rm_str(e, "via")) ? s : "?");
	} else if (strcmp(role, "acklab") == 0 && strcmp(ev, "send") == 0) {
		snprintf(buf, len, "asked the client to send %s on #%s", rm_str(e, "id"),
			 (s = rm_str(e, "channel")) ? s : "?");
	} else if (strcmp(role, "acklab") == 0 &&
		   (strcmp(ev, "fault") == 0 || strcmp(ev, "heal") == 0)) {
		json_t *args = json_object_get(e, "args");
		size_t i;

		snprintf(buf, len, "%s %s", ev, (s = rm_str(e, "fault")) ? s : "");
		for (i = 0; i < json_array_size(args); i++)
			if (json_string_value(json_array_get(args, i)))
				snprintf(buf + strlen(buf), len - strlen(buf), " %s",
					 json_string_value(json_array_get(args, i)));
		if ((s = rm_str(e, "what")) && *s)
			snprintf(buf + strlen(buf), len - strlen(buf), ": %s", s);
		if ((s = rm_str(e, "trigger")) && *s)
			snprintf(buf + strlen(buf), len - strlen(buf), " (on %s)", s);
	} else if (strcmp(ev, "disconnected") == 0) {
		snprintf(buf, len, "found its connection dead (%s)",
			 (s = rm_str(e, "reason")) && *s ? s : "closed");
	} else if (strcmp(ev, "connected") == 0) {
		snprintf(buf, len, "connected again");
	} else if (strcmp(ev, "exit") == 0) {
		snprintf(buf, len, "exited: %s", (s = rm_str(e, "status")) ? s : "?");
	} else if (strcmp(ev, "packet") == 0) {
		const char *ifname = rm_str(e, "ifname");

		snprintf(buf, len, "%s a packet carrying it%s%s: %s:%lld -> %s:%lld",
			 json_is_true(json_object_get(e, "outgoing")) ? "forwarded" : "received",
			 ifname && *ifname ? json_is_true(json_object_get(e, "outgoing")) ? " out of " : " on " : "",
			 ifname ? ifname : "",
			 (s = rm_str(e, "src")) ? s : "?",
			 (long long)json_integer_value(json_object_get(e, "sport")),
			 rm_str(e, "dst") ? rm_str(e, "dst") : "?",
			 (long long)json_integer_value(json_object_get(e, "dport")));
	} else {
		snprintf(buf, len, "%s", ev);
		rm_fields(e, buf, len);
	}
}

/* "the store holds 2 rows of m3 (ts A, ts B)", from the store entries of the history. */
static void rm_store_line(FILE *f, const struct cell_result *c, const struct chk_message *m)
{
	size_t k, n = c->history ? history_len(c->history) : 0;
	int shown = 0;

	if (m->stored == 0) {
		fprintf(f, "  the store holds no row of %s\n", m->id);
		return;
	}
	fprintf(f, "  the store holds %d row%s of %s", m->stored, m->stored == 1 ? "" : "s", m->id);
	for (k = 0; k < n; k++) {
		json_t *e = history_at(c->history, k);
		const char *role = rm_str(e, "role"), *ev = rm_str(e, "ev");
		const char *text = rm_str(e, "text"), *ts = rm_str(e, "ts");

		if (!role || !ev || !text || !ts || strcmp(role, "store") != 0 ||
		    strcmp(ev, "stored") != 0 || !strstr(text, m->token))
			continue;
		fprintf(f, "%s%s", shown++ ? ", ts " : " (ts ", ts);
	}
	fprintf(f, "%s\n", shown ? ")" : "");
}

static void rm_story(FILE *f, const struct cell_result *c)
{
	const struct chk_result *r = &c->chk;
	bool affected[CHK_MAX_MSGS] = { 0 };
	int i, naffected = 0;
	long long t0 = c->t0_ns;
	size_t k, n;
	int client_connects = 0;

	for (i = 0; i < r->nmsgs; i++)
		if (r->msgs[i].cls != CHK_OK)
			affected[i] = true, naffected++;
	/* A failed cell with nothing to show: the expected bug did not happen; show every message. */
	for (i = 0; !naffected && i < r->nmsgs; i++)
		affected[i] = true;
	naffected = naffected ? naffected : r->nmsgs;

	fprintf(f, "```\n");
	n = c->history ? history_len(c->history) : 0;
	if (!t0 && n)
		t0 = json_integer_value(json_object_get(history_at(c->history, 0), "t"));
	for (k = 0; k < n; k++) {
		json_t *e = history_at(c->history, k);
		const char *role = rm_str(e, "role"), *ev = rm_str(e, "ev");
		char when[32], what[640];
		int m;

		if (!role || !ev || strcmp(role, "store") == 0)
			continue;
		m = rm_concerns(e, r, affected);
		/* Connection lifecycle: a dead connection noticed, and the client's reconnections. */
		if (strcmp(ev, "disconnected") == 0 ||
		    (strcmp(role, "client") == 0 && strcmp(ev, "connected") == 0 && client_connects++ > 0))
			m = m < 0 ? -2 : m;
		if (m == -1 &&
		    !(strcmp(role, "acklab") == 0 &&
		      (strcmp(ev, "fault") == 0 || strcmp(ev, "heal") == 0 || strcmp(ev, "trigger") == 0)) &&
		    !(strcmp(role, "server") == 0 && (strcmp(ev, "ready") == 0 || strcmp(ev, "started") == 0)) &&
		    strcmp(ev, "exit") != 0)
			continue;
		rm_phrase(e, role, ev, what, sizeof(what));
		if (m >= 0 && naffected > 1 && m != -2)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), " [%s]", r->msgs[m].id);
		snprintf(when, sizeof(when), "%+.1f",
			 (double)(json_integer_value(json_object_get(e, "t")) - t0) / 1e6);
		fprintf(f, "  %8s ms  %-8s %s\n", when, role, what);
	}
	if (!c->history)
		fprintf(f, "  (the history of this cell was not kept)\n");
	for (i = 0; i < r->nmsgs; i++)
		if (affected[i])
			rm_store_line(f, c, &r->msgs[i]);
	fprintf(f, "```\n\n");
}

static int rm_cell(void *state, const struct cell_result *c, char *err, size_t errlen)
{
	struct rm_state *st = state;
	FILE *f = st->stories;
	bool story = false;
	int i;

	for (i = 0; i < c->chk.nmsgs; i++)
		if (c->chk.msgs[i].cls != CHK_OK)
			story = true;
	if (!c->ran || !c->chk.pass)
		story = true;
	if (!story)
		return 0;
	fprintf(f, "## %s × %s: %s %s\n\n", c->scenario, c->stack, c->ran ? c->chk.verdict : "error",
		c->ran && c->chk.pass ? "✓" : "✗");
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
		fprintf(f, "Could not run: %s\n\n", c->error);
		return ferror(f) ? err_set(err, errlen, "summary.md: out of memory") : 0;
	}
	fprintf(f, "Expected %s, observed %s.\n\n", c->chk.expected, c->chk.verdict);
	if (!c->chk.pass)
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
	rm_story(f, c);
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
	fprintf(f, "\n✓ = as expected, ✗ = not (or could not run); LOST, DUP, PHANTOM, GAP, ORPHAN name "
		   "the messages in each bug class; - = not run.\n\n");
}

static int rm_end(void *state, const struct run_info *run, const struct cell_result *cells,
		  int ncells, char *err, size_t errlen)
{
	struct rm_state *st = state;
	char *doc = NULL;
	size_t doclen = 0;
	int npass = 0, rc = -1, i;
	FILE *f;

	fclose(st->stories);
	for (i = 0; i < ncells; i++)
		if (cells[i].ran && cells[i].chk.pass)
			npass++;
	f = open_memstream(&doc, &doclen);
	if (!f) {
		err_set(err, errlen, "summary.md: out of memory");
		goto done;
	}
	fprintf(f, "# acklab run\n\nStarted %s; %d cell%s, %d as expected, %d not; %.1f s%s.\n\n",
		run->started, ncells, ncells == 1 ? "" : "s", npass, ncells - npass,
		run->duration_ms / 1000.0, run->rootless ? "; rootless" : "");
	rm_matrix(f, cells, ncells);
	report_print_detection(f, cells, ncells, true);
	fputc('\n', f);
	if (st->len)
		fwrite(st->buf, 1, st->len, f);
	rc = report_write_memstream(f, &doc, &doclen, run, "summary.md", err, errlen);
done:
	free(doc);
	free(st->buf);
	free(st);
	return rc;
}

const struct reporter_ops report_md_ops = {
	.name = "markdown",
	.begin = rm_begin,
	.cell = rm_cell,
	.end = rm_end,
};
