/*
 * cell: the state of a running cell and the questions the layers above ask
 * of it. Everything here is pure: it reads the arrival log (every role
 * entry, in the order acklab read it) and the history, and touches no
 * process, socket or clock other than to note when something moved. That
 * is why both the roles and the loop can use it without calling each other,
 * and why it is unit-tested on canned arrivals.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "cell.h"
#include "token.h"
#include "util.h"

struct role *cell_role(struct cell *c, const char *name)
{
	for (int i = 0; i < c->nroles; i++)
		if (strcmp(c->roles[i].name, name) == 0)
			return &c->roles[i];
	return NULL;
}

const char *cell_token(struct cell *c, const char *msg_id)
{
	for (int i = 0; i < c->s->nmsgs; i++)
		if (strcmp(c->s->msg_ids[i], msg_id) == 0)
			return c->tokens[i];
	return "";
}

void cell_fail(struct cell *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	c->failed = true;
}

void cell_log_arrival(struct cell *c, const char *role, json_t *ev)
{
	c->last_move_ns = mono_ns();
	if (c->nlog == c->caplog) {
		size_t cap = c->caplog ? c->caplog * 2 : 256;
		void *p = realloc(c->log, cap * sizeof *c->log);

		if (!p)
			return;
		c->log = p;
		c->caplog = cap;
	}
	str_copy(c->log[c->nlog].role, role, sizeof c->log[c->nlog].role);
	c->log[c->nlog].ev = ev;
	c->nlog++;
}

bool cell_seen(struct cell *c, size_t from, const char *role, const char *ev, const char *msg)
{
	return cell_seen_at(c, from, role, ev, msg) != SIZE_MAX;
}

size_t cell_seen_at(struct cell *c, size_t from, const char *role, const char *ev, const char *msg)
{
	const char *token = msg && msg[0] ? cell_token(c, msg) : NULL;

	for (size_t i = from; i < c->nlog; i++) {
		json_t *e = c->log[i].ev;
		const char *name = json_string_value(json_object_get(e, "ev"));
		const char *id, *text;

		if (strcmp(c->log[i].role, role) != 0 || !name)
			continue;
		if (strcmp(ev, "done") == 0) {
			if (strcmp(name, "sent") != 0 && strcmp(name, "failed") != 0)
				continue;
		} else if (strcmp(name, ev) != 0) {
			continue;
		}
		if (!token)
			return i;
		id = json_string_value(json_object_get(e, "id"));
		text = json_string_value(json_object_get(e, "text"));
		if ((id && strcmp(id, msg) == 0) || (token[0] && token_in_text(text, token)))
			return i;
	}
	return SIZE_MAX;
}

static bool cell_is_connection_event(const char *ev)
{
	return strcmp(ev, "connected") == 0 || strcmp(ev, "disconnected") == 0;
}

/* Role's latest connection event ("connected"/"disconnected") in any life; NULL if it never said one. */
static const char *cell_last_connection_event(struct cell *c, const char *role)
{
	for (size_t i = c->nlog; i-- > 0;) {
		const char *name = json_string_value(json_object_get(c->log[i].ev, "ev"));

		if (name && strcmp(c->log[i].role, role) == 0 && cell_is_connection_event(name))
			return name;
	}
	return NULL;
}

bool cell_await_holds(struct cell *c, size_t from, const char *role, const char *ev, const char *msg)
{
	const char *last;

	if ((msg && msg[0]) || !cell_is_connection_event(ev))
		return cell_seen(c, from, role, ev, msg);
	last = cell_last_connection_event(c, role);
	if (!last)
		return true;          /* a role that reports no connections has none to wait for */
	if (strcmp(ev, "connected") == 0)
		return strcmp(last, "connected") == 0;
	return cell_seen(c, c->fault_from, role, "disconnected", NULL);
}

enum { CELL_DONE = 1, CELL_SENT = 2, CELL_WATCHED = 4 };

void cell_progress_free(struct cell *c)
{
	struct cell_progress *pr = &c->progress;

	strmap_free(&pr->by_id);
	strmap_free(&pr->by_token);
	free(pr->flags);
	free(pr->shown);
	free(pr->shown_by);
	memset(pr, 0, sizeof *pr);
}

/* Index the scenario's messages once: by id, by token, and whether recipients follow their channel. */
static int cell_progress_init(struct cell *c)
{
	struct cell_progress *pr = &c->progress;
	const struct scenario *s = c->s;
	int n = s->nmsgs;

	if (strmap_init(&pr->by_id, (size_t)n) == -1 || strmap_init(&pr->by_token, (size_t)n) == -1)
		return -1;
	pr->flags = calloc((size_t)n + 1, 1);
	pr->shown = calloc((size_t)n + 1, sizeof *pr->shown);
	pr->shown_by = calloc((size_t)n + 1, sizeof *pr->shown_by);
	if (!pr->flags || !pr->shown || !pr->shown_by)
		return -1;
	for (int i = 0; i < n; i++)
		if (strmap_put(&pr->by_id, s->msg_ids[i], i) == -1 ||
		    strmap_put(&pr->by_token, c->tokens[i], i) == -1)
			return -1;
	pr->ready = true;
	return 0;
}

int cell_asked(struct cell *c, bool watched)
{
	struct cell_progress *pr = &c->progress;

	if (!pr->ready && cell_progress_init(c) == -1)
		return -1;
	if (pr->nasked >= c->s->nmsgs)
		return -1;
	if (watched)
		pr->flags[pr->nasked] |= CELL_WATCHED;
	pr->nasked++;
	return 0;
}

/* Learn from the arrivals not looked at yet. */
static void cell_progress_scan(struct cell *c)
{
	struct cell_progress *pr = &c->progress;

	for (; pr->scanned < c->nlog; pr->scanned++) {
		json_t *e = c->log[pr->scanned].ev;
		const char *role = c->log[pr->scanned].role;
		const char *ev = json_string_value(json_object_get(e, "ev"));
		char token[TOKEN_MAX];
		size_t pos = 0;
		long k;
		int m;

		if (!ev)
			continue;
		if (scn_client_number(role) && (strcmp(ev, "sent") == 0 || strcmp(ev, "failed") == 0)) {
			const char *id = json_string_value(json_object_get(e, "id"));

			if (id && (m = strmap_get(&pr->by_id, id)) >= 0)
				pr->flags[m] |= CELL_DONE | (ev[0] == 's' ? CELL_SENT : 0);
			continue;
		}
		if (strcmp(ev, "received") != 0 || strncmp(role, "recipient", 9) != 0 ||
		    parse_long(role + 9, 1, 64, &k, NULL, 0) == -1)
			continue;
		while (token_next(json_string_value(json_object_get(e, "text")), &pos, token, sizeof token))
			if ((m = strmap_get(&pr->by_token, token)) >= 0) {
				if (!(pr->shown_by[m] & (1ULL << (k - 1)))) {
					pr->shown_by[m] |= 1ULL << (k - 1);
					pr->shown[m]++;
				}
				break;
			}
	}
}

bool cell_settled(struct cell *c, char *why, size_t whylen)
{
	struct cell_progress *pr = &c->progress;

	if (why && whylen)
		why[0] = '\0';
	if (!pr->ready && cell_progress_init(c) == -1) {
		if (why)
			snprintf(why, whylen, "out of memory");
		return false;
	}
	cell_progress_scan(c);
	/* Settled is for good: a message done and shown stays so; only the rest is looked at again. */
	for (; pr->first_open < pr->nasked; pr->first_open++) {
		int m = pr->first_open;
		const char *id = c->s->msg_ids[m];

		if (!(pr->flags[m] & CELL_DONE)) {
			if (why)
				snprintf(why, whylen, "the client has shown %s neither Sent nor Failed", id);
			return false;
		}
		/* A message to a channel nobody follows, or one shown Failed, is awaited by no one. */
		if ((pr->flags[m] & CELL_WATCHED) && (pr->flags[m] & CELL_SENT) &&
		    pr->shown[m] < c->s->recipients) {
			int k = 1;

			while (k < 64 && (pr->shown_by[m] & (1ULL << (k - 1))))
				k++;
			if (why)
				snprintf(why, whylen, "recipient%d has not shown %s", k, id);
			return false;
		}
	}
	for (int k = 1; k <= c->s->recipients; k++) {
		char name[32];
		const char *last;

		snprintf(name, sizeof name, "recipient%d", k);
		last = cell_last_connection_event(c, name);
		if (last && strcmp(last, "disconnected") == 0) {
			if (why)
				snprintf(why, whylen, "%s has not reconnected", name);
			return false;
		}
	}
	return true;
}
