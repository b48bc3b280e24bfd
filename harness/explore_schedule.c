/*
 * explore_schedule: a nemesis drawn from a seed into faults and heals at
 * moments of the workload, woven into the scenario's steps, and the
 * scenario written back as text (explore.h).
 *
 * The schedule is turned into ordinary steps rather than kept as a
 * separate timeline because a plan runs steps: a drawn scenario is then
 * just a scenario, which `acklab run --plan` replays, `acklab check`
 * validates, and shrink cuts down line by line. Moments come from the
 * workload's waits (the steps are a timeline already: send, wait 2ms,
 * send...): "at 731 ms" lands at the end of the wait that holds it, just
 * before the next send, never in the middle of one message's round trip.
 *
 * The generator is splitmix64 (Steele, Lea and Flood 2014): one 64-bit
 * state, good enough mixing for choosing moments, and the same sequence
 * everywhere, which is the point.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"
#include "util.h"

/* Waits up to this long are not split: their events happen at their end (explore_weave). */
#define EXPLORE_SNAP_MS 50

uint64_t explore_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int explore_rng_range(uint64_t *state, int lo, int hi)
{
	uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;

	return lo + (int)(explore_rng_next(state) % span);
}

unsigned explore_nonce(uint64_t seed)
{
	uint64_t st = seed ^ 0x6e6f6e6365ULL;      /* "nonce": apart from the schedule's stream */

	return (unsigned)(explore_rng_next(&st) & 0xffff);
}

/* Parse "drop-replies client server" into a FAULT step (or "heal drop-replies" into a HEAL). */
static void explore_step_from_text(const char *text, struct scn_step *st)
{
	char buf[160], *save = NULL, *w;
	bool heal;

	memset(st, 0, sizeof *st);
	str_copy(buf, text, sizeof buf);
	w = strtok_r(buf, " ", &save);
	heal = w && strcmp(w, "heal") == 0;
	if (w && (heal || strcmp(w, "fault") == 0))
		w = strtok_r(NULL, " ", &save);
	st->kind = heal ? SCN_HEAL : SCN_FAULT;
	if (w)
		str_copy(st->fault.name, w, sizeof st->fault.name);
	while (!heal && (w = strtok_r(NULL, " ", &save)) && st->fault.nargs < FAULT_MAX_ARGS)
		str_copy(st->fault.args[st->fault.nargs++], w, sizeof st->fault.args[0]);
}

static int explore_add(struct explore_schedule *sch, int *cap, int t_ms, const char *text, bool ends)
{
	if (sch->n == *cap) {
		int ncap = *cap ? 2 * *cap : 16;
		struct explore_event *v = realloc(sch->ev, (size_t)ncap * sizeof *v);

		if (!v)
			return -1;
		sch->ev = v;
		*cap = ncap;
	}
	sch->ev[sch->n].t_ms = t_ms;
	sch->ev[sch->n].ends = ends;
	explore_step_from_text(text, &sch->ev[sch->n].step);
	sch->n++;
	return 0;
}

static int explore_event_cmp(const void *a, const void *b)
{
	const struct explore_event *x = a, *y = b;

	return x->t_ms < y->t_ms ? -1 : x->t_ms > y->t_ms;
}

int explore_draw(const struct scn_nemesis *n, const char *const *faults, int horizon_ms, uint64_t seed,
		 struct explore_schedule *out, char *err, size_t errlen)
{
	const struct scn_nemesis_fault *pick[SCN_NEMESIS_MAX_FAULTS];
	int npick = 0, cap = 0, every = n->every_ms > 0 ? n->every_ms : 300;
	int jitter = n->every_ms > 0 ? n->jitter_ms : 100, hold = n->every_ms > 0 ? n->for_ms : 150;
	uint64_t rng = seed;

	memset(out, 0, sizeof *out);
	for (int i = 0; faults ? faults[i] != NULL : i < n->nfaults; i++) {
		const char *name = faults ? faults[i] : n->faults[i];

		if (npick == SCN_NEMESIS_MAX_FAULTS)
			return err_set(err, errlen, "too many faults (at most %d)", SCN_NEMESIS_MAX_FAULTS);
		if (!(pick[npick++] = scn_nemesis_fault_lookup(name)))
			return err_set(err, errlen, "a nemesis cannot draw '%s' (it draws: %s)", name,
				       scn_nemesis_fault_list());
	}
	if (npick == 0)
		return err_set(err, errlen, "no faults to draw (give the scenario a nemesis line, or --faults)");
	if (horizon_ms < every)
		horizon_ms = every;
	explore_rng_next(&rng);      /* seed 0 and seed 1 start apart */
	for (int t = explore_rng_range(&rng, every - jitter, every + jitter); t < horizon_ms;) {
		const struct scn_nemesis_fault *f = pick[explore_rng_range(&rng, 0, npick - 1)];
		int ends = t + (f->heal ? hold : 0);

		if (explore_add(out, &cap, t, f->apply, false) == -1 ||
		    (f->heal && explore_add(out, &cap, ends, f->heal, true) == -1)) {
			explore_schedule_free(out);
			return err_set(err, errlen, "out of memory");
		}
		t += explore_rng_range(&rng, every - jitter, every + jitter);
		if (t <= ends)
			t = ends + 1;
	}
	qsort(out->ev, (size_t)out->n, sizeof *out->ev, explore_event_cmp);   /* already in order; kept so */
	return 0;
}

void explore_schedule_free(struct explore_schedule *sch)
{
	free(sch->ev);
	sch->ev = NULL;
	sch->n = 0;
}

int explore_horizon_ms(const struct scenario *s)
{
	int64_t t = 0;

	for (int i = 0; i < s->nsteps; i++)
		if (s->steps[i].kind == SCN_WAIT)
			t += s->steps[i].ms;
	return t > 3600000 ? 3600000 : (int)t;
}

static struct scn_step *explore_push(struct scn_step **v, int *n, int *cap, const struct scn_step *st)
{
	if (*n == *cap) {
		int ncap = *cap ? 2 * *cap : 64;
		struct scn_step *nv = realloc(*v, (size_t)ncap * sizeof *nv);

		if (!nv)
			return NULL;
		*v = nv;
		*cap = ncap;
	}
	(*v)[*n] = *st;
	return &(*v)[(*n)++];
}

static struct scn_step *explore_push_wait(struct scn_step **v, int *n, int *cap, int ms)
{
	struct scn_step w = { .kind = SCN_WAIT, .ms = ms };

	return explore_push(v, n, cap, &w);
}

/*
 * Push the event, and before a fault an await of every client's latest
 * message not awaited yet: the fault then meets the messages after it in
 * the step order, never one whose answer happens to be on the wire (on a
 * loaded machine a round trip can outlast the gap between two sends).
 */
static bool explore_push_event(struct scn_step **v, int *n, int *cap, const struct explore_event *e,
			       char (*last)[SCN_ID_MAX])
{
	const struct scn_step *ev = &e->step;

	/* Not before what ends a fault (a heal, a restart): its messages may be waiting for it. */
	if (!e->ends)
		for (int k = 1; k <= SCN_MAX_CLIENTS; k++) {
			struct scn_step aw = { .kind = SCN_AWAIT, .within_ms = 5000 };

			if (!last[k][0])
				continue;
			scn_client_role(k, aw.role, sizeof aw.role);
			str_copy(aw.ev, "done", sizeof aw.ev);
			str_copy(aw.msg_id, last[k], sizeof aw.msg_id);
			last[k][0] = '\0';
			if (!explore_push(v, n, cap, &aw))
				return false;
		}
	return explore_push(v, n, cap, ev) != NULL;
}

struct scn_step *explore_weave(const struct scenario *s, const struct explore_schedule *sch, int *nout)
{
	char last[SCN_MAX_CLIENTS + 1][SCN_ID_MAX] = { { 0 } };
	struct scn_step *v = NULL;
	int n = 0, cap = 0, e = 0;
	int64_t t = 0;

	for (int i = 0; i < s->nsteps; i++) {
		const struct scn_step *st = &s->steps[i];

		for (; e < sch->n && sch->ev[e].t_ms <= t; e++)
			if (!explore_push_event(&v, &n, &cap, &sch->ev[e], last))
				goto oom;
		if (st->kind == SCN_SEND && scn_client_number(st->role[0] ? st->role : "client"))
			str_copy(last[scn_client_number(st->role[0] ? st->role : "client")], st->msg_id, SCN_ID_MAX);
		if (st->kind != SCN_WAIT) {
			if (!explore_push(&v, &n, &cap, st))
				goto oom;
			continue;
		}
		/*
		 * Events inside a short wait happen at its end, just before the next send,
		 * so a schedule meets messages by the step order. A long wait is split at
		 * each event (a fault and its heal must not fall together).
		 */
		int64_t end = t + st->ms;

		for (; st->ms > EXPLORE_SNAP_MS && e < sch->n && sch->ev[e].t_ms < end; e++) {
			if ((sch->ev[e].t_ms > t && !explore_push_wait(&v, &n, &cap, (int)(sch->ev[e].t_ms - t))) ||
			    !explore_push_event(&v, &n, &cap, &sch->ev[e], last))
				goto oom;
			if (sch->ev[e].t_ms > t)
				t = sch->ev[e].t_ms;
		}
		if (end > t && !explore_push_wait(&v, &n, &cap, (int)(end - t)))
			goto oom;
		t = end;
	}
	for (; e < sch->n; e++) {
		if ((sch->ev[e].t_ms > t && !explore_push_wait(&v, &n, &cap, (int)(sch->ev[e].t_ms - t))) ||
		    !explore_push_event(&v, &n, &cap, &sch->ev[e], last))
			goto oom;
		if (sch->ev[e].t_ms > t)
			t = sch->ev[e].t_ms;
	}
	if (!v && !(v = calloc(1, sizeof *v)))
		return NULL;
	*nout = n;
	return v;
oom:
	free(v);
	return NULL;
}

/* --- text ------------------------------------------------------------------ */

struct explore_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void xb_add(struct explore_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void xb_add(struct explore_buf *b, const char *fmt, ...)
{
	va_list ap;
	int need;

	if (b->oom)
		return;
	va_start(ap, fmt);
	need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->len + (size_t)need + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		char *np;

		while (b->len + (size_t)need + 1 > ncap)
			ncap *= 2;
		if (!(np = realloc(b->p, ncap))) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)need;
}

static void explore_render_step(struct explore_buf *b, const struct scn_step *st)
{
	switch (st->kind) {
	case SCN_SEND:
		xb_add(b, "send %s", st->msg_id);
		if (st->role[0])
			xb_add(b, " from %s", st->role);
		if (st->reply_to[0])
			xb_add(b, " reply-to %s", st->reply_to);
		if (st->channel[0])
			xb_add(b, " to %s", st->channel);
		if (st->text[0]) {
			xb_add(b, " \"");
			for (const char *c = st->text; *c; c++)
				xb_add(b, "%s%c", *c == '"' || *c == '\\' ? "\\" : "", *c);
			xb_add(b, "\"");
		}
		break;
	case SCN_WAIT:
		xb_add(b, "wait %dms", st->ms);
		break;
	case SCN_FAULT:
		xb_add(b, "fault %s", st->fault.name);
		for (int a = 0; a < st->fault.nargs; a++)
			xb_add(b, " %s", st->fault.args[a]);
		break;
	case SCN_HEAL:
		xb_add(b, "heal%s%s", st->fault.name[0] ? " " : "", st->fault.name);
		break;
	case SCN_AWAIT:
		if (strcmp(st->role, "store") == 0)
			xb_add(b, "await store has %s", st->msg_id);
		else if (strcmp(st->role, "router") == 0)
			xb_add(b, "await packet %s at %s", st->msg_id, st->host);
		else
			xb_add(b, "await %s %s%s%s", st->role, st->ev, st->msg_id[0] ? " " : "", st->msg_id);
		xb_add(b, " within %dms", st->within_ms);
		break;
	}
	xb_add(b, "\n");
}

/* The first word of a line, or "" for a blank or comment line. */
static void explore_first_word(const char *line, size_t len, char *w, size_t wlen)
{
	size_t i = 0, k = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '#' && line[i] != '\r' &&
	       k + 1 < wlen)
		w[k++] = line[i++];
	w[k] = '\0';
}

char *explore_render(const struct scenario *s, const char *text, const struct scn_step *steps, int nsteps,
		     const char *note, const char *name, bool may_miss, char *err, size_t errlen)
{
	static const char *const settings[] = { "scenario", "title", "order", "channel", "server", "client",
						 "listen", "sysctl", "rate", "on", NULL };
	struct explore_buf b = { 0 };
	const char *line, *nl;

	for (line = note; line && *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		xb_add(&b, "# %.*s\n", (int)(nl ? nl - line : (long)strlen(line)), line);
	}
	if (s->lesson[0]) {
		xb_add(&b, "#\n");
		for (line = s->lesson; *line; line = nl ? nl + 1 : line + strlen(line)) {
			nl = strchr(line, '\n');
			xb_add(&b, "#%s%.*s\n", line[0] && line[0] != '\n' ? " " : "",
			       (int)(nl ? nl - line : (long)strlen(line)), line);
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		for (line = text; *line; line = nl ? nl + 1 : line + strlen(line)) {
			size_t len;
			char w[32];
			bool keep = false;

			nl = strchr(line, '\n');
			len = nl ? (size_t)(nl - line) : strlen(line);
			explore_first_word(line, len, w, sizeof w);
			if (pass == 0)
				for (int k = 0; settings[k]; k++)
					keep = keep || strcmp(w, settings[k]) == 0;
			else
				keep = strcmp(w, "expect") == 0;
			if (!keep)
				continue;
			if (name && strcmp(w, "scenario") == 0) {
				xb_add(&b, "scenario %s\n", name);
				continue;
			}
			if (len && line[len - 1] == '\r')
				len--;
			/* may-miss: a fault drawn at random may meet no message at all. */
			if (pass == 1 && may_miss) {
				const char *hash = memchr(line, '#', len);
				size_t body = hash ? (size_t)(hash - line) : len;

				while (body && (line[body - 1] == ' ' || line[body - 1] == '\t'))
					body--;
				if (!memmem(line, body, "may-miss", 8)) {
					xb_add(&b, "%.*s may-miss\n", (int)body, line);
					continue;
				}
			}
			xb_add(&b, "%.*s\n", (int)len, line);
		}
		if (pass == 0) {
			xb_add(&b, "recipients %d\n\n", s->recipients);
			for (int i = 0; i < nsteps; i++)
				explore_render_step(&b, &steps[i]);
			xb_add(&b, "settle %dms\n\n", s->settle_ms);
		}
	}
	if (b.oom) {
		free(b.p);
		err_set(err, errlen, "out of memory");
		return NULL;
	}
	return b.p;
}
