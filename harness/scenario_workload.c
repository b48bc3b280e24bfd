/*
 * scenario_workload: the statements that make big and random scenarios —
 * `workload` (generated sends from several client processes), `nemesis`
 * (faults at random moments) — and the sender of a `send ... from clientK`.
 *
 * A workload is expanded here, at parse time, into ordinary send and wait
 * steps: everything after the parser (plan, runner, checker, shrinker) sees
 * plain steps, and a shrunk scenario can be written back as plain `send`
 * lines. The ids say who sent what (`w2.17`: client 2's 17th message) and
 * the waits carry the rate, rounded to whole milliseconds without drift
 * (send i goes at floor(i*1000/R) ms).
 *
 * A nemesis is only recorded: its faults are drawn from a run's seed by
 * acklab explore (explore_schedule.c), which writes them into the cell's
 * scenario as plain fault and heal steps, so a plan replays exactly. The
 * faults a nemesis may draw, and how each is applied and healed, are the
 * table below: one row per fault, its target and default arguments fixed so
 * that a drawn schedule reads like a hand-written one.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_table.h"
#include "scenario.h"
#include "scenario_priv.h"
#include "util.h"

static const struct scn_nemesis_fault scn_nemesis_faults[] = {
	{ "crash", "crash server", "fault restart server" },
	{ "pause", "pause server", "heal pause" },
	{ "drop-replies", "drop-replies client server", "heal drop-replies" },
	{ "evict-nat", "evict-nat client server", NULL },
	{ "partition", "partition client server", "heal partition" },
	{ "delay", "delay client server 80ms jitter 20ms", "heal delay" },
	{ "drop", "drop client server", "heal drop" },
	{ "reset", "reset client server", "heal reset" },
	{ "loss", "loss client server 20%", "heal loss" },
	{ "disk-full", "disk-full server", "heal disk-full" },
};

const struct scn_nemesis_fault *scn_nemesis_fault_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(scn_nemesis_faults); i++)
		if (strcmp(scn_nemesis_faults[i].name, name) == 0)
			return &scn_nemesis_faults[i];
	return NULL;
}

const char *scn_nemesis_fault_list(void)
{
	static char list[256];

	if (!list[0])
		for (size_t i = 0; i < ARRAY_LEN(scn_nemesis_faults); i++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
				 scn_nemesis_faults[i].name);
	return list;
}

int scn_send_from(struct scn_parser *p, int i, struct scn_step *st)
{
	char dym[96];
	int k;

	if (scn_need(p, i, "a client role after 'from'") == -1)
		return -1;
	k = scn_client_number(p->w[i].text);
	if (k == 0)
		return scn_err(p, p->w[i].col, "bad sender '%s' (expected client or client2..client%d)%s",
			       p->w[i].text, SCN_MAX_CLIENTS,
			       scn_did_you_mean(strncmp(p->w[i].text, "cl", 2) == 0 ? "client" : NULL, dym,
						sizeof dym));
	if (k > 1)
		str_copy(st->role, p->w[i].text, sizeof st->role);
	if (k > p->s->clients)
		p->s->clients = k;
	return 0;
}

/* Channel k (1-based) of a workload: the scenario's, then "random" (chatd's second), then chanK. */
static void scn_workload_channel(const struct scenario *s, int k, char *dst, size_t len)
{
	if (k <= 1)
		dst[0] = '\0';                /* the scenario's own channel */
	else if (k == 2)
		snprintf(dst, len, "%s", strcmp(s->channel, "random") == 0 ? "general" : "random");
	else
		snprintf(dst, len, "chan%d", k);
}

/* workload clients K messages N rate R [recipients M] [channels C] */
int scn_st_workload(struct scn_parser *p)
{
	static const char *const keys[] = { "clients", "messages", "rate", "recipients", "channels", NULL };
	long clients = 0, messages = 0, rate = 0, recipients = -1, channels = 1;
	struct scenario *s = p->s;

	for (int i = 1; i < p->nw; i += 2) {
		const char *k = p->w[i].text;
		char dym[96];

		if (scn_need(p, i + 1, "a number") == -1)
			return -1;
		if (strcmp(k, "clients") == 0) {
			if (scn_number(p, i + 1, 1, SCN_MAX_CLIENTS, "clients count", &clients) == -1)
				return -1;
		} else if (strcmp(k, "messages") == 0) {
			if (scn_number(p, i + 1, 1, SCN_MAX_IDS, "messages count", &messages) == -1)
				return -1;
		} else if (strcmp(k, "rate") == 0) {
			if (scn_number(p, i + 1, 1, 100000, "rate (messages per second)", &rate) == -1)
				return -1;
		} else if (strcmp(k, "recipients") == 0) {
			if (scn_number(p, i + 1, 0, 64, "recipients count", &recipients) == -1)
				return -1;
		} else if (strcmp(k, "channels") == 0) {
			if (scn_number(p, i + 1, 1, 16, "channels count", &channels) == -1)
				return -1;
		} else {
			return scn_err(p, p->w[i].col, "unknown workload setting '%s'%s", k,
				       scn_did_you_mean(scn_suggest(k, keys), dym, sizeof dym));
		}
	}
	if (!clients || !messages || !rate)
		return scn_err(p, p->end_col, "a workload needs clients, messages and rate (expected: %s)",
			       p->usage);
	if (s->nmsgs + messages > SCN_MAX_IDS)
		return scn_err(p, p->w[0].col, "too many messages (at most %d in a scenario)", SCN_MAX_IDS);
	if (recipients >= 0)
		s->recipients = (int)recipients;
	if (clients > s->clients)
		s->clients = (int)clients;
	for (long i = 0; i < messages; i++) {
		int k = (int)(i % clients) + 1;
		int64_t at = i * 1000 / rate, next = (i + 1) * 1000 / rate;
		char id[SCN_ID_MAX];
		struct scn_step *st;

		snprintf(id, sizeof id, "w%d.%ld", k, i / clients + 1);
		for (int j = 0; j < s->nmsgs; j++)
			if (strcmp(s->msg_ids[j], id) == 0)
				return scn_err(p, p->w[0].col, "message '%s' is sent twice (one workload per "
					       "scenario)", id);
		if (scn_grow(p, (void **)&s->msg_ids, s->nmsgs, &s->capmsgs, sizeof *s->msg_ids, SCN_MAX_IDS,
			     "messages", p->w[0].col) == -1 ||
		    scn_grow(p, (void **)&s->steps, s->nsteps, &s->capsteps, sizeof *s->steps, SCN_MAX_STEPS,
			     "steps", p->w[0].col) == -1)
			return -1;
		str_copy(s->msg_ids[s->nmsgs++], id, SCN_ID_MAX);
		st = &s->steps[s->nsteps++];
		memset(st, 0, sizeof *st);
		st->kind = SCN_SEND;
		st->pos = scn_pos_of(p, 0);
		str_copy(st->msg_id, id, sizeof st->msg_id);
		if (k > 1)
			scn_client_role(k, st->role, sizeof st->role);
		scn_workload_channel(s, (int)((i / clients) % channels) + 1, st->channel, sizeof st->channel);
		if (i + 1 < messages && next > at) {
			if (scn_grow(p, (void **)&s->steps, s->nsteps, &s->capsteps, sizeof *s->steps,
				     SCN_MAX_STEPS, "steps", p->w[0].col) == -1)
				return -1;
			st = &s->steps[s->nsteps++];
			memset(st, 0, sizeof *st);
			st->kind = SCN_WAIT;
			st->pos = scn_pos_of(p, 0);
			st->ms = (int)(next - at);
		}
	}
	/* The settle ends as soon as every message is done: a big workload may take its time. */
	if (s->settle_ms == 300)
		s->settle_ms = 10000;
	return 0;
}

/* "300ms", "2s" at text (up to end); -1 when not a duration. */
static int scn_parse_ms(const char *text, size_t len, int *ms)
{
	char buf[32], *end;
	double v;

	if (len == 0 || len >= sizeof buf || !isdigit((unsigned char)text[0]))
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	v = strtod(buf, &end);
	if (strcmp(end, "ms") != 0 && strcmp(end, "s") != 0)
		return -1;
	if (strcmp(end, "s") == 0)
		v *= 1000.0;
	if (v < 0 || v > 3600000.0)
		return -1;
	*ms = (int)(v + 0.5);
	return 0;
}

/* nemesis FAULT[,FAULT...] every D±J [for D] */
int scn_st_nemesis(struct scn_parser *p)
{
	struct scn_nemesis *n = &p->s->nemesis;
	const char *list, *pm;
	int i = 3, col;

	if (n->nfaults)
		return scn_err(p, p->w[0].col, "second nemesis statement (the first is at line %d)", n->pos.line);
	if (scn_need(p, 1, "a fault list like crash,drop-replies") == -1)
		return -1;
	list = p->w[1].text;
	for (const char *c = list; *c;) {
		const char *comma = strchr(c, ',');
		size_t len = comma ? (size_t)(comma - c) : strlen(c);
		char name[32], dym[96];

		col = p->w[1].col + (int)(c - list);
		if (len == 0 || len >= sizeof name)
			return scn_err(p, col, "bad fault list '%s' (expected FAULT[,FAULT...])", list);
		memcpy(name, c, len);
		name[len] = '\0';
		if (!scn_nemesis_fault_lookup(name))
			return scn_err(p, col, "nemesis cannot draw '%s'%s (it draws: %s)", name,
				       scn_did_you_mean(scn_fault_suggest(name), dym, sizeof dym),
				       scn_nemesis_fault_list());
		if (n->nfaults == SCN_NEMESIS_MAX_FAULTS)
			return scn_err(p, col, "too many faults (at most %d)", SCN_NEMESIS_MAX_FAULTS);
		str_copy(n->faults[n->nfaults++], name, sizeof n->faults[0]);
		c += len + (comma ? 1 : 0);
	}
	if (scn_need(p, 2, "'every D±J'") == -1)
		return -1;
	if (strcmp(p->w[2].text, "every") != 0)
		return scn_err(p, p->w[2].col, "unexpected '%s' (expected: %s)", p->w[2].text, p->usage);
	if (scn_need(p, 3, "a duration like 300ms±100ms") == -1)
		return -1;
	pm = strstr(p->w[3].text, "±");
	if (!pm)
		pm = strstr(p->w[3].text, "+-");
	if (scn_parse_ms(p->w[3].text, pm ? (size_t)(pm - p->w[3].text) : strlen(p->w[3].text),
			 &n->every_ms) == -1 ||
	    (pm && scn_parse_ms(pm + 2, strlen(pm + 2), &n->jitter_ms) == -1) || n->every_ms <= 0)
		return scn_err(p, p->w[3].col, "bad interval '%s' (expected a duration like 300ms or "
			       "300ms±100ms)", p->w[3].text);
	if (n->jitter_ms >= n->every_ms)
		return scn_err(p, p->w[3].col, "jitter %d ms is not below the interval %d ms", n->jitter_ms,
			       n->every_ms);
	i = 4;
	n->for_ms = n->every_ms / 2;
	if (i < p->nw && strcmp(p->w[i].text, "for") == 0) {
		if (scn_need(p, i + 1, "a duration after 'for'") == -1 || scn_duration(p, i + 1, &n->for_ms) == -1)
			return -1;
		i += 2;
	}
	n->pos = scn_pos_of(p, 0);
	return scn_no_more(p, i);
}
