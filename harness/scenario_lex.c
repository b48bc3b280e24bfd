/*
 * scenario_lex: the lexical half of the scenario parser. It splits a line
 * into words that remember their columns, reads the values statements are
 * made of (names, durations, numbers), writes errors that point at a line
 * and column, finds "did you mean" suggestions, and at the end of a file
 * checks the names that could not be checked earlier: hosts and roles
 * (which depend on `recipients`) and message ids (defined by any `send`).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_table.h"
#include "outdir.h"
#include "scenario_priv.h"
#include "util.h"

int scn_err(struct scn_parser *p, int col, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(p->err, p->errlen, "%s:%d:%d: %s", p->file, p->line, col, msg);
}

int scn_err_at(struct scn_parser *p, struct scn_pos pos, const char *msg)
{
	return err_set(p->err, p->errlen, "%s:%d:%d: %s", p->file, pos.line, pos.col, msg);
}

/* Optimal string alignment distance: a swapped pair of letters costs 1. */
static int scn_distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b), i, j, r;
	int *d;

	if (la > 64 || lb > 64)
		return 99;
	d = calloc((size_t)(la + 1) * (lb + 1), sizeof(*d));
	if (!d)
		return 99;
#define D(x, y) d[(x) * (lb + 1) + (y)]
	for (i = 0; i <= la; i++)
		D(i, 0) = i;
	for (j = 0; j <= lb; j++)
		D(0, j) = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];
			int v = D(i - 1, j) + 1;

			if (D(i, j - 1) + 1 < v)
				v = D(i, j - 1) + 1;
			if (D(i - 1, j - 1) + cost < v)
				v = D(i - 1, j - 1) + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    D(i - 2, j - 2) + 1 < v)
				v = D(i - 2, j - 2) + 1;
			D(i, j) = v;
		}
	}
	r = D(la, lb);
#undef D
	free(d);
	return r;
}

/* The closest of a NULL-terminated list, if close enough to be a typo; else NULL. */
const char *scn_suggest(const char *word, const char *const *names)
{
	const char *best = NULL;
	int best_d = strlen(word) >= 8 ? 4 : 3, i;

	for (i = 0; names[i]; i++) {
		int d = scn_distance(word, names[i]);

		if (d < best_d && d < (int)strlen(word)) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

/* A fault name for a misspelt one: the closest by our measure, else fault.c's guess. */
const char *scn_fault_suggest(const char *word)
{
	const char *s = scn_suggest(word, fault_names());

	return s ? s : fault_suggest(word);
}

/* Writes " (did you mean 'x'?)" or "" into buf. */
const char *scn_did_you_mean(const char *suggestion, char *buf, size_t len)
{
	if (suggestion)
		snprintf(buf, len, " (did you mean '%s'?)", suggestion);
	else if (len)
		buf[0] = '\0';
	return buf;
}

bool scn_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Split one line into words; '#' outside quotes ends it. */
int scn_split(struct scn_parser *p, const char *line)
{
	const char *c = line;

	p->nw = 0;
	p->end_col = 1;
	for (;;) {
		struct scn_word *w;
		size_t n = 0;

		while (scn_is_blank(*c))
			c++;
		if (*c == '\0' || *c == '#')
			break;
		if (p->nw == SCN_MAX_WORDS)
			return scn_err(p, (int)(c - line) + 1, "too many words on one line (at most %d)",
				       SCN_MAX_WORDS);
		w = &p->w[p->nw];
		w->col = (int)(c - line) + 1;
		w->quoted = *c == '"';
		if (w->quoted) {
			for (c++; *c && *c != '"'; c++) {
				if (*c == '\\' && (c[1] == '"' || c[1] == '\\'))
					c++;
				if (n + 1 >= sizeof(w->text))
					return scn_err(p, w->col, "string too long (at most %zu bytes)",
						       sizeof(w->text) - 1);
				w->text[n++] = *c;
			}
			if (*c != '"')
				return scn_err(p, w->col,
					       "unterminated string (expected a closing '\"' on the same line)");
			c++;
		} else {
			int depth = 0;

			/* Blanks inside {a, b} stay in the word: a set is one word. */
			for (; *c && *c != '"' && *c != '#' && (depth > 0 || !scn_is_blank(*c)); c++) {
				if (*c == '{')
					depth++;
				else if (*c == '}' && depth > 0)
					depth--;
				if (n + 1 >= sizeof(w->text))
					return scn_err(p, w->col, "word too long (at most %zu bytes)",
						       sizeof(w->text) - 1);
				w->text[n++] = *c;
			}
		}
		w->text[n] = '\0';
		p->nw++;
		p->end_col = (int)(c - line) + 1;
	}
	return 0;
}

struct scn_pos scn_pos_of(struct scn_parser *p, int i)
{
	struct scn_pos pos = { p->line, i < p->nw ? p->w[i].col : p->end_col + 1 };

	return pos;
}

/* Word i must exist; what names it in the error. */
int scn_need(struct scn_parser *p, int i, const char *what)
{
	if (i < p->nw)
		return 0;
	return scn_err(p, p->end_col + 1, "missing %s (expected: %s)", what, p->usage);
}

/* Nothing may follow word i-1. */
int scn_no_more(struct scn_parser *p, int i)
{
	if (i >= p->nw)
		return 0;
	return scn_err(p, p->w[i].col, "unexpected '%s' (expected: %s)", p->w[i].text, p->usage);
}

bool scn_is_ident(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

/* Copy word i into dst, which must be an identifier that fits. */
int scn_ident(struct scn_parser *p, int i, const char *what, char *dst, size_t len)
{
	const struct scn_word *w = &p->w[i];

	if (!scn_is_ident(w->text))
		return scn_err(p, w->col, "bad %s '%s' (expected letters, digits, '-', '_' or '.')",
			       what, w->text);
	if (strlen(w->text) >= len)
		return scn_err(p, w->col, "%s '%s' is too long (at most %zu characters)", what, w->text,
			       len - 1);
	str_copy(dst, w->text, len);
	return 0;
}

/*
 * Copy word i into dst: a scenario or stack name, which becomes a folder of
 * the run (outdir_name_ok), so "..", "a/b" and "Lost-Ack" are refused here.
 */
int scn_name(struct scn_parser *p, int i, const char *what, char *dst, size_t len)
{
	const struct scn_word *w = &p->w[i];

	if (!outdir_name_ok(w->text))
		return scn_err(p, w->col, "bad %s '%s' (expected lowercase letters, digits, '-' and '_', "
			       "starting with a letter or digit)", what, w->text);
	if (strlen(w->text) >= len)
		return scn_err(p, w->col, "%s '%s' is too long (at most %zu characters)", what, w->text,
			       len - 1);
	str_copy(dst, w->text, len);
	return 0;
}

/* "250ms", "2s", "1.5s" -> milliseconds. */
int scn_duration(struct scn_parser *p, int i, int *ms)
{
	const struct scn_word *w = &p->w[i];
	const char *s = w->text;
	char *end;
	double v;

	errno = 0;
	v = isdigit((unsigned char)*s) ? strtod(s, &end) : -1;
	if (v < 0 || errno || !(strcmp(end, "ms") == 0 || strcmp(end, "s") == 0))
		return scn_err(p, w->col, "bad duration '%s' (expected a duration like 250ms or 2s)", s);
	if (strcmp(end, "s") == 0)
		v *= 1000.0;
	if (v > 3600000.0)
		return scn_err(p, w->col, "duration '%s' is too long (at most 1 hour)", s);
	*ms = (int)(v + 0.5);
	return 0;
}

int scn_number(struct scn_parser *p, int i, long min, long max, const char *what, long *out)
{
	const struct scn_word *w = &p->w[i];
	char tmp[128];

	if (parse_long(w->text, min, max, out, tmp, sizeof(tmp)) == -1)
		return scn_err(p, w->col, "bad %s '%s' (expected a number %ld..%ld)", what, w->text, min,
			       max);
	return 0;
}

int scn_grow(struct scn_parser *p, void **v, int n, int *cap, size_t size, int limit, const char *what,
	     int col)
{
	void *nv;
	int ncap;

	if (n < *cap)
		return 0;
	if (n >= limit)
		return scn_err(p, col, "too many %s (at most %d)", what, limit);
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > limit)
		ncap = limit;
	nv = realloc(*v, (size_t)ncap * size);
	if (!nv)
		return scn_err(p, col, "out of memory");
	*v = nv;
	*cap = ncap;
	return 0;
}

int scn_add_ref(struct scn_parser *p, enum scn_ref_kind kind, const char *name, int col)
{
	struct scn_ref *r;

	if (scn_grow(p, (void **)&p->refs, p->nrefs, &p->caprefs, sizeof *p->refs, SCN_MAX_REFS,
		     "host, role and message references", col) == -1)
		return -1;
	r = &p->refs[p->nrefs++];
	r->kind = kind;
	str_copy(r->name, name, sizeof(r->name));
	r->pos.line = p->line;
	r->pos.col = col;
	return 0;
}

/* Word i names a message: an identifier checked against the sends at the end. */
int scn_msg_ref(struct scn_parser *p, int i, char *dst)
{
	if (scn_ident(p, i, "message id", dst, SCN_ID_MAX) == -1)
		return -1;
	return scn_add_ref(p, SCN_REF_MSG, dst, p->w[i].col);
}

int scn_role_ref(struct scn_parser *p, int i, char *dst, size_t len, enum scn_ref_kind kind)
{
	if (scn_ident(p, i, kind == SCN_REF_HOST ? "host" : "role", dst, len) == -1)
		return -1;
	return scn_add_ref(p, kind, dst, p->w[i].col);
}

/* The role names of a workload's senders: client is client 1, then client2..clientK. */
int scn_client_number(const char *role)
{
	long k;

	if (strcmp(role, "client") == 0)
		return 1;
	if (strncmp(role, "client", 6) != 0 || parse_long(role + 6, 2, SCN_MAX_CLIENTS, &k, NULL, 0) == -1)
		return 0;
	return (int)k;
}

void scn_client_role(int k, char *dst, size_t len)
{
	if (k <= 1)
		snprintf(dst, len, "client");
	else
		snprintf(dst, len, "client%d", k);
}

/* Does role or host name exist in s (its recipients; one server, or lb and server1..N)? */
static bool scn_known_name(const char *name, enum scn_ref_kind kind, const struct scenario *s)
{
	int n = s->recipients;
	long k;

	if (strcmp(name, "client") == 0 || (s->bot && strcmp(name, "bot") == 0))
		return true;
	if (!s->servers && strcmp(name, "server") == 0)
		return true;
	if (s->servers && (strcmp(name, "lb") == 0 ||
			   (strncmp(name, "server", 6) == 0 && parse_long(name + 6, 1, s->servers, &k, NULL, 0) == 0)))
		return true;
	/* The senders of a workload are roles on the client host (client2..clientK). */
	if (kind == SCN_REF_ROLE && scn_client_number(name) > 1 && scn_client_number(name) <= s->clients)
		return true;
	if (kind == SCN_REF_HOST && strcmp(name, "router") == 0)
		return true;
	if (strncmp(name, "recipient", 9) == 0 && parse_long(name + 9, 1, n, &k, NULL, 0) == 0)
		return true;
	return false;
}

int scn_check_refs(struct scn_parser *p)
{
	struct scenario *s = p->s;
	char msg[768], list[512], dym[96];
	int i, j;

	for (i = 0; i < p->nrefs; i++) {
		const struct scn_ref *r = &p->refs[i];
		const char *names[64 + 16 + SCN_MAX_SERVERS + SCN_MAX_CLIENTS];
		char recips[64][16], servers[SCN_MAX_SERVERS][16], senders[SCN_MAX_CLIENTS + 1][16];
		int n = 0;

		if (r->kind == SCN_REF_MSG) {
			for (j = 0; j < s->nmsgs; j++)
				if (strcmp(s->msg_ids[j], r->name) == 0)
					break;
			if (j < s->nmsgs)
				continue;
			for (j = 0; j < s->nmsgs && n < 64; j++)      /* suggestions: the first 64 */
				names[n++] = s->msg_ids[j];
		} else {
			if (scn_known_name(r->name, r->kind, s))
				continue;
			names[n++] = "client";
			for (j = 2; r->kind == SCN_REF_ROLE && j <= s->clients && j <= SCN_MAX_CLIENTS; j++) {
				scn_client_role(j, senders[j], sizeof senders[j]);
				names[n++] = senders[j];
			}
			if (!s->servers)
				names[n++] = "server";
			else
				names[n++] = "lb";
			for (j = 0; j < s->servers; j++) {
				snprintf(servers[j], sizeof(servers[j]), "server%d", j + 1);
				names[n++] = servers[j];
			}
			if (s->bot)
				names[n++] = "bot";
			if (r->kind == SCN_REF_HOST)
				names[n++] = "router";
			for (j = 0; j < s->recipients; j++) {
				snprintf(recips[j], sizeof(recips[j]), "recipient%d", j + 1);
				names[n++] = recips[j];
			}
		}
		names[n] = NULL;
		list[0] = '\0';
		for (j = 0; j < n; j++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 j ? ", " : "", names[j]);
		if (scn_suggest(r->name, names))
			scn_did_you_mean(scn_suggest(r->name, names), dym, sizeof(dym));
		else
			snprintf(dym, sizeof(dym), "%s", "");
		if (r->kind != SCN_REF_MSG && strcmp(r->name, "bot") == 0)
			snprintf(msg, sizeof(msg), "unknown %s 'bot' (a scenario with a bot says so: add a "
				 "statement 'bot')", r->kind == SCN_REF_HOST ? "host" : "role");
		else if (r->kind == SCN_REF_MSG)
			snprintf(msg, sizeof(msg), "message '%s' is never sent%s (expected an id defined by a send: %s)",
				 r->name, dym, n ? list : "no send statements");
		else
			snprintf(msg, sizeof(msg), "unknown %s '%s'%s (expected %s: %s)",
				 r->kind == SCN_REF_HOST ? "host" : "role", r->name, dym,
				 r->kind == SCN_REF_HOST ? "a host" : "a role", list);
		return scn_err_at(p, r->pos, msg);
	}
	/* A reply points at its parent as recipient1 saw it: there must be a recipient1. */
	for (i = 0; i < s->nsteps; i++)
		if (s->steps[i].kind == SCN_SEND && s->steps[i].reply_to[0] && s->recipients < 1) {
			snprintf(msg, sizeof(msg), "send %s reply-to %s needs a recipient to have seen %s "
				 "(expected 'recipients 1' or more; this scenario has 0)", s->steps[i].msg_id,
				 s->steps[i].reply_to, s->steps[i].reply_to);
			return scn_err_at(p, s->steps[i].pos, msg);
		}
	return 0;
}

/*
 * Events a role can say. Clients and recipients speak the adapter protocol
 * (docs/protocol.md), so their events are a closed set; servers may print
 * events of their own, so only a near miss of a known one is refused.
 */
static const char *const scn_client_events[] = {
	"ready", "connected", "disconnected", "sending", "sent", "failed", "done", "received",
	"error", "started", "exit", NULL,
};
static const char *const scn_server_events[] = {
	"ready", "recv", "persisted", "persist_failed", "fanout", "replied", "failpoint", "error",
	"started", "exit", NULL,
};

int scn_event_ref(struct scn_parser *p, int i, const char *role, const char *ev, bool allow_done)
{
	/* server, a server instance (server1..) and the balancer print events of their own. */
	bool server = strncmp(role, "server", 6) == 0 || strcmp(role, "lb") == 0;
	const char *const *known = server ? scn_server_events :
				   strcmp(role, "bot") == 0 ? scn_bot_events : scn_client_events;
	const char *best;
	char dym[96];

	for (int k = 0; known[k]; k++)
		if (strcmp(known[k], ev) == 0)
			return strcmp(ev, "done") == 0 && !allow_done
				       ? scn_err(p, p->w[i].col, "'done' is for await only (expected sent or failed here)")
				       : 0;
	best = scn_suggest(ev, known);
	if (server && !best)
		return 0;             /* a server's own event */
	return scn_err(p, p->w[i].col, "%s never says '%s'%s", role, ev,
		       scn_did_you_mean(best, dym, sizeof dym));
}
