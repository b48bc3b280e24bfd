/*
 * shape: the queue's decisions; see shape.h.
 *
 * Three growing arrays: the rules (removed ones stay, marked dead, so ids
 * are indexes plus one and never reused), the flow holds (likewise), and
 * the kept packets in two lists: parked (kept by a hold or a flow hold, in
 * the order they came) and scheduled (kept until a time, sorted by that
 * time and then by arrival, so the front is always the next one due). A
 * cell keeps at most a few thousand packets at once, so a sorted insert
 * (a memmove) is cheaper than anything cleverer.
 */
#include "shape.h"

#include <stdlib.h>
#include <string.h>

struct shape_rule_state {
	struct shape_rule r;
	uint64_t rng;
	struct shape_counts counts;
	bool live;
};

struct shape_flow {
	struct shape_flow_info info;
	bool live;
};

/* A kept packet. */
struct shape_kept {
	uint32_t id;
	int64_t due;                  /* scheduled: when it goes */
	uint64_t seq;                 /* arrival order, for ties */
	int rule;                     /* the rule that keeps it (0: a flow hold) */
	int flow;                     /* the flow hold that keeps it (0: a rule) */
	bool duplicate;
};

struct shape {
	struct shape_rule_state *rules;
	int nrules, caprules;
	struct shape_flow *flows;
	int nflows, capflows;
	struct shape_kept *parked, *sched;
	size_t nparked, capparked, nsched, capsched;
	uint64_t seq;
};

/* Room for one more element of size bytes in *v (n used, *cap allocated). 0 or -1. */
static int shape_grow(void **v, size_t n, size_t *cap, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	p = realloc(*v, c * size);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

uint64_t shape_next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool shape_chance(uint64_t *rng, uint32_t ppm)
{
	return shape_next_random(rng) % 1000000u < ppm;
}

struct shape *shape_new(void)
{
	return calloc(1, sizeof(struct shape));
}

void shape_free(struct shape *s)
{
	if (!s)
		return;
	free(s->rules);
	free(s->flows);
	free(s->parked);
	free(s->sched);
	free(s);
}

int shape_add(struct shape *s, const struct shape_rule *r)
{
	size_t cap = (size_t)s->caprules;
	struct shape_rule_state *st;

	if (shape_grow((void **)&s->rules, (size_t)s->nrules, &cap, sizeof *s->rules) == -1)
		return -1;
	s->caprules = (int)cap;
	st = &s->rules[s->nrules++];
	memset(st, 0, sizeof *st);
	st->r = *r;
	st->rng = r->seed;
	st->live = true;
	return s->nrules;
}

static struct shape_rule_state *shape_rule(const struct shape *s, int id)
{
	return id >= 1 && id <= s->nrules && s->rules[id - 1].live ? &s->rules[id - 1] : NULL;
}

int shape_counts(const struct shape *s, int id, struct shape_counts *out)
{
	const struct shape_rule_state *st = shape_rule(s, id);

	if (!st)
		return -1;
	*out = st->counts;
	return 0;
}

static int shape_park(struct shape *s, uint32_t id, int rule, int flow, bool duplicate)
{
	struct shape_kept *k;

	if (shape_grow((void **)&s->parked, s->nparked, &s->capparked, sizeof *s->parked) == -1)
		return -1;
	k = &s->parked[s->nparked++];
	*k = (struct shape_kept){ id, 0, s->seq++, rule, flow, duplicate };
	return 0;
}

static int shape_schedule(struct shape *s, uint32_t id, int64_t due, int rule, bool duplicate)
{
	size_t lo = 0, hi = s->nsched;

	if (shape_grow((void **)&s->sched, s->nsched, &s->capsched, sizeof *s->sched) == -1)
		return -1;
	/* After every packet due at or before this one: ties keep arrival order. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->sched[mid].due <= due)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&s->sched[lo + 1], &s->sched[lo], (s->nsched - lo) * sizeof *s->sched);
	s->sched[lo] = (struct shape_kept){ id, due, s->seq++, rule, 0, duplicate };
	s->nsched++;
	return 0;
}

/* Release and forget the parked packets for which keep() is false, in order. */
static void shape_unpark(struct shape *s, int rule, int flow, bool drop, shape_release_fn fn,
			 void *arg, uint64_t *released)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->nparked; i++) {
		struct shape_kept *k = &s->parked[i];

		if ((rule && k->rule == rule) || (flow && k->flow == flow)) {
			fn(arg, k->id, drop, k->duplicate);
			if (released)
				(*released)++;
		} else {
			s->parked[kept++] = *k;
		}
	}
	s->nparked = kept;
}

int shape_remove(struct shape *s, int id, struct shape_counts *out, shape_release_fn fn, void *arg)
{
	struct shape_rule_state *st = shape_rule(s, id);
	size_t kept = 0;

	if (!st)
		return -1;
	shape_unpark(s, id, 0, false, fn, arg, NULL);
	for (size_t i = 0; i < s->nsched; i++) {
		if (s->sched[i].rule == id)
			fn(arg, s->sched[i].id, false, s->sched[i].duplicate);
		else
			s->sched[kept++] = s->sched[i];
	}
	s->nsched = kept;
	st->live = false;
	if (out)
		*out = st->counts;
	return 0;
}

static bool shape_same_flow(const struct shape_pkt *a, const struct shape_pkt *b)
{
	if (a->proto != b->proto)
		return false;
	return (a->src == b->src && a->dst == b->dst && a->sport == b->sport && a->dport == b->dport) ||
	       (a->src == b->dst && a->dst == b->src && a->sport == b->dport && a->dport == b->sport);
}

bool shape_in_held_flow(struct shape *s, const struct shape_pkt *p)
{
	for (int i = 0; i < s->nflows; i++) {
		struct shape_flow *f = &s->flows[i];

		if (!f->live || !shape_same_flow(&f->info.first, p))
			continue;
		if (shape_park(s, p->id, 0, i + 1, false) == -1)
			return false;         /* out of memory: let it through rather than lose track */
		f->info.packets++;
		return true;
	}
	return false;
}

int shape_hold_flow(struct shape *s, const struct shape_pkt *p, int tag, int64_t now_ns)
{
	size_t cap = (size_t)s->capflows;
	struct shape_flow *f;

	if (shape_grow((void **)&s->flows, (size_t)s->nflows, &cap, sizeof *s->flows) == -1)
		return -1;
	s->capflows = (int)cap;
	if (shape_park(s, p->id, 0, s->nflows + 1, false) == -1)
		return -1;
	f = &s->flows[s->nflows++];
	f->info = (struct shape_flow_info){ *p, tag, now_ns, 1 };
	f->live = true;
	return s->nflows;
}

int shape_release_flow(struct shape *s, int id, bool drop, struct shape_flow_info *info,
		       shape_release_fn fn, void *arg)
{
	struct shape_flow *f;

	if (id < 1 || id > s->nflows || !s->flows[id - 1].live)
		return -1;
	f = &s->flows[id - 1];
	shape_unpark(s, 0, id, drop, fn, arg, NULL);
	f->live = false;
	if (info)
		*info = f->info;
	return 0;
}

static bool shape_on_link(const struct shape_rule *r, const struct shape_pkt *p)
{
	return (!r->src || r->src == p->src) && (!r->dst || r->dst == p->dst);
}

struct shape_out shape_packet(struct shape *s, const struct shape_pkt *p, int64_t now_ns)
{
	struct shape_out out = { SHAPE_ACCEPT, false };
	int64_t due = now_ns;
	int due_rule = 0;

	for (int i = 0; i < s->nrules; i++) {
		struct shape_rule_state *st = &s->rules[i];
		int64_t wait;

		if (!st->live || !shape_on_link(&st->r, p))
			continue;
		st->counts.seen++;
		switch (st->r.kind) {
		case SHAPE_HOLD:
			if (shape_park(s, p->id, i + 1, 0, out.duplicate) == -1)
				return out;   /* out of memory: let it through */
			st->counts.held++;
			out.verdict = SHAPE_KEPT;
			return out;
		case SHAPE_LOSS:
			if (shape_chance(&st->rng, st->r.ppm)) {
				st->counts.dropped++;
				out.verdict = SHAPE_DROP;
				return out;
			}
			break;
		case SHAPE_DUPLICATE:
			if (shape_chance(&st->rng, st->r.ppm)) {
				st->counts.duplicated++;
				out.duplicate = true;
			}
			break;
		case SHAPE_DELAY:
			wait = st->r.ms * 1000000;
			if (st->r.jitter_ms > 0) {
				uint64_t span = (uint64_t)st->r.jitter_ms * 2000000 + 1;

				wait += (int64_t)(shape_next_random(&st->rng) % span) - st->r.jitter_ms * 1000000;
			}
			if (wait > 0) {
				st->counts.delayed++;
				if (now_ns + wait > due) {
					due = now_ns + wait;
					due_rule = i + 1;
				}
			}
			break;
		case SHAPE_REORDER:
			if (shape_chance(&st->rng, st->r.ppm) && st->r.ms > 0) {
				st->counts.delayed++;
				if (now_ns + st->r.ms * 1000000 > due) {
					due = now_ns + st->r.ms * 1000000;
					due_rule = i + 1;
				}
			}
			break;
		}
	}
	if (due > now_ns && shape_schedule(s, p->id, due, due_rule, out.duplicate) == 0)
		out.verdict = SHAPE_KEPT;
	return out;
}

void shape_due(struct shape *s, int64_t now_ns, shape_release_fn fn, void *arg)
{
	size_t n = 0;

	while (n < s->nsched && s->sched[n].due <= now_ns)
		n++;
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		fn(arg, s->sched[i].id, false, s->sched[i].duplicate);
	memmove(s->sched, s->sched + n, (s->nsched - n) * sizeof *s->sched);
	s->nsched -= n;
}

int64_t shape_next_due(const struct shape *s)
{
	return s->nsched ? s->sched[0].due : INT64_MAX;
}

size_t shape_kept(const struct shape *s)
{
	return s->nparked + s->nsched;
}

void shape_release_all(struct shape *s, shape_release_fn fn, void *arg)
{
	shape_due(s, INT64_MAX, fn, arg);
	for (size_t i = 0; i < s->nparked; i++)
		fn(arg, s->parked[i].id, false, s->parked[i].duplicate);
	s->nparked = 0;
	for (int i = 0; i < s->nflows; i++)
		s->flows[i].live = false;
}
