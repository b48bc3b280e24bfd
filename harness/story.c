/*
 * story: the timeline of a cell's affected messages, extracted from its
 * checked result once, for every reporter (summary.md prints it as text; an
 * HTML reporter draws the same lines). A line is one history entry told as
 * a sentence ("showed Sent (attempt 1, ts 17...)"), with its time relative
 * to the cell's start and the role that did it; the story ends with what the
 * store holds of each affected message.
 *
 * Which entries belong: every entry that carries an affected message (by
 * id, token or text), every fault, heal and trigger, the server's lifecycle,
 * process exits, and the connection lifecycle (a dead connection noticed,
 * a client's reconnections).
 */
#include "story.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"
#include "util.h"

static const char *story_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The affected message whose id, token or text this entry carries, or -1. */
static int story_concerns(json_t *e, const struct chk_result *r, const bool *affected)
{
	const char *id = story_str(e, "id"), *token = story_str(e, "token"), *text = story_str(e, "text");
	int i;

	for (i = 0; i < r->nmsgs; i++) {
		if (!affected[i])
			continue;
		if ((id && strcmp(id, r->msgs[i].id) == 0) ||
		    (token && strcmp(token, r->msgs[i].token) == 0) ||
		    token_in_text(text, r->msgs[i].token))
			return i;
	}
	return -1;
}

/* A few fields of an entry as " k=v": for events we have no sentence for. */
static void story_fields(json_t *e, char *buf, size_t len)
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

static void story_phrase(json_t *e, const char *role, const char *ev, char *buf, size_t len)
{
	long long attempt = json_integer_value(json_object_get(e, "attempt"));
	long long attempts = json_integer_value(json_object_get(e, "attempts"));
	const char *ts = story_str(e, "ts"), *s;

	buf[0] = '\0';
	if (strcmp(role, "client") == 0 && strcmp(ev, "sending") == 0) {
		snprintf(buf, len, "showed Sending (attempt %lld)", attempt ? attempt : 1);
	} else if (strcmp(role, "client") == 0 && strcmp(ev, "sent") == 0) {
		snprintf(buf, len, "showed Sent (attempt %lld%s%s)", attempts ? attempts : 1,
			 ts ? ", ts " : "", ts ? ts : "");
	} else if (strcmp(role, "client") == 0 && strcmp(ev, "failed") == 0) {
		snprintf(buf, len, "showed Failed (attempt %lld): %s", attempts ? attempts : 1,
			 (s = story_str(e, "error")) ? s : "no reason given");
	} else if (strcmp(ev, "received") == 0) {
		snprintf(buf, len, "displayed it (ts %s, via %s)", ts ? ts : "?",
			 (s = story_str(e, "via")) ? s : "?");
	} else if (strcmp(role, "acklab") == 0 && strcmp(ev, "send") == 0) {
		snprintf(buf, len, "asked the client to send %s on #%s", story_str(e, "id"),
			 (s = story_str(e, "channel")) ? s : "?");
	} else if (strcmp(role, "acklab") == 0 &&
		   (strcmp(ev, "fault") == 0 || strcmp(ev, "heal") == 0)) {
		json_t *args = json_object_get(e, "args");
		size_t i;

		snprintf(buf, len, "%s %s", ev, (s = story_str(e, "fault")) ? s : "");
		for (i = 0; i < json_array_size(args); i++)
			if (json_string_value(json_array_get(args, i)))
				snprintf(buf + strlen(buf), len - strlen(buf), " %s",
					 json_string_value(json_array_get(args, i)));
		if ((s = story_str(e, "what")) && *s)
			snprintf(buf + strlen(buf), len - strlen(buf), ": %s", s);
		if ((s = story_str(e, "trigger")) && *s)
			snprintf(buf + strlen(buf), len - strlen(buf), " (on %s)", s);
	} else if (strcmp(ev, "disconnected") == 0) {
		snprintf(buf, len, "found its connection dead (%s)",
			 (s = story_str(e, "reason")) && *s ? s : "closed");
	} else if (strcmp(ev, "connected") == 0) {
		snprintf(buf, len, "connected again");
	} else if (strcmp(ev, "exit") == 0) {
		snprintf(buf, len, "exited: %s", (s = story_str(e, "status")) ? s : "?");
	} else if (strcmp(ev, "packet") == 0) {
		const char *ifname = story_str(e, "ifname");

		snprintf(buf, len, "%s a packet carrying it%s%s: %s:%lld -> %s:%lld",
			 json_is_true(json_object_get(e, "outgoing")) ? "forwarded" : "received",
			 ifname && *ifname ? json_is_true(json_object_get(e, "outgoing")) ? " out of " : " on " : "",
			 ifname ? ifname : "",
			 (s = story_str(e, "src")) ? s : "?",
			 (long long)json_integer_value(json_object_get(e, "sport")),
			 story_str(e, "dst") ? story_str(e, "dst") : "?",
			 (long long)json_integer_value(json_object_get(e, "dport")));
	} else {
		snprintf(buf, len, "%s", ev);
		story_fields(e, buf, len);
	}
}

static int story_push(struct story *s, double t_ms, const char *role, const char *what, int msg)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct story_line *l = realloc(s->lines, cap * sizeof *l);

		if (!l)
			return -1;
		s->lines = l;
		s->cap = cap;
	}
	s->lines[s->n].t_ms = t_ms;
	str_copy(s->lines[s->n].role, role, sizeof s->lines[s->n].role);
	str_copy(s->lines[s->n].what, what, sizeof s->lines[s->n].what);
	s->lines[s->n].msg = msg;
	s->n++;
	return 0;
}

/* "the store holds 2 rows of m3 (ts A, ts B)", from the store entries of the history. */
static void story_store_line(const struct cell_result *c, const struct chk_message *m, char *buf,
			     size_t len)
{
	size_t k, n = c->history ? history_len(c->history) : 0;
	int shown = 0;

	if (m->stored == 0) {
		snprintf(buf, len, "the store holds no row of %s", m->id);
		return;
	}
	snprintf(buf, len, "the store holds %d row%s of %s", m->stored, m->stored == 1 ? "" : "s", m->id);
	for (k = 0; k < n; k++) {
		json_t *e = history_at(c->history, k);
		const char *role = story_str(e, "role"), *ev = story_str(e, "ev");
		const char *text = story_str(e, "text"), *ts = story_str(e, "ts");
		size_t l = strlen(buf);

		if (!role || !ev || !text || !ts || strcmp(role, "store") != 0 ||
		    strcmp(ev, "stored") != 0 || !token_in_text(text, m->token))
			continue;
		snprintf(buf + l, len - l, "%s%s", shown++ ? ", ts " : " (ts ", ts);
	}
	if (shown)
		snprintf(buf + strlen(buf), len - strlen(buf), ")");
}

int story_build(const struct cell_result *c, struct story *out)
{
	const struct chk_result *r = &c->chk;
	int i, naffected = 0;
	long long t0 = c->t0_ns;
	size_t k, n;
	int client_connects = 0;

	memset(out, 0, sizeof *out);
	out->kept = c->history != NULL;
	out->affected = calloc((size_t)r->nmsgs + 1, sizeof *out->affected);
	out->store = calloc((size_t)r->nmsgs + 1, sizeof *out->store);
	if (!out->affected || !out->store) {
		story_free(out);
		return -1;
	}
	for (i = 0; i < r->nmsgs; i++)
		if (r->msgs[i].cls != CHK_OK)
			out->affected[i] = true, naffected++;
	/* A failed cell with nothing to show: the expected bug did not happen; show every message. */
	for (i = 0; !naffected && i < r->nmsgs; i++)
		out->affected[i] = true;
	naffected = naffected ? naffected : r->nmsgs;

	n = c->history ? history_len(c->history) : 0;
	if (!t0 && n)
		t0 = json_integer_value(json_object_get(history_at(c->history, 0), "t"));
	for (k = 0; k < n; k++) {
		json_t *e = history_at(c->history, k);
		const char *role = story_str(e, "role"), *ev = story_str(e, "ev");
		char what[640];
		int m;

		if (!role || !ev || strcmp(role, "store") == 0)
			continue;
		m = story_concerns(e, r, out->affected);
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
		story_phrase(e, role, ev, what, sizeof(what));
		if (m >= 0 && naffected > 1)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), " [%s]", r->msgs[m].id);
		if (story_push(out, (double)(json_integer_value(json_object_get(e, "t")) - t0) / 1e6, role,
			       what, m >= 0 ? m : -1) == -1) {
			story_free(out);
			return -1;
		}
	}
	for (i = 0; i < r->nmsgs; i++)
		if (out->affected[i])
			story_store_line(c, &r->msgs[i], out->store[i], sizeof out->store[i]);
	return 0;
}

void story_free(struct story *s)
{
	free(s->affected);
	free(s->store);
	s->affected = NULL;
	s->store = NULL;
	free(s->lines);
	s->lines = NULL;
	s->n = s->cap = 0;
}
