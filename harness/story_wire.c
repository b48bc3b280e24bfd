/*
 * story_wire: the network side of a story. The router's capture records
 * every packet that carries a watched token twice, arriving on one side of
 * the router and leaving on the other (with the NAT's address), so a
 * packet that arrives and never leaves was dropped there; this file pairs
 * the halves, names the hosts behind the addresses (topo.h's plan:
 * 198.18.L.2 is the host of link L, .1 the router; client link 1, server
 * 2, recipient k 10+k), tells a TCP retransmission from a new attempt (the
 * same bytes on the same flow with no new attempt since), and knows which
 * applied fault would stop which packet, so a drop is said with its cause.
 * Packets of acklab's own store read-back are kept apart from the roles'.
 */
#include "story_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_table.h"
#include "util.h"

#define STORY_NEVER 1e18

const char *story_host(const char *addr, char *buf, size_t len)
{
	unsigned a, b, link, host;

	if (!addr || sscanf(addr, "%u.%u.%u.%u", &a, &b, &link, &host) != 4 || a != 198 || b != 18)
		return NULL;
	if (host == 1)
		snprintf(buf, len, "router");
	else if (host != 2)
		return NULL;
	else if (link == 1)
		snprintf(buf, len, "client");
	else if (link == 2)
		snprintf(buf, len, "server");
	else if (link > 10)
		snprintf(buf, len, "recipient%u", link - 10);
	else
		return NULL;
	return buf;
}

int story_lane_of(const char *name)
{
	int k;

	if (!name)
		return -1;
	if (strcmp(name, "client") == 0)
		return STORY_LANE_CLIENT;
	if (strcmp(name, "router") == 0)
		return STORY_LANE_ROUTER;
	if (strcmp(name, "server") == 0)
		return STORY_LANE_SERVER;
	if (strcmp(name, "store") == 0)
		return STORY_LANE_STORE;
	if (sscanf(name, "recipient%d", &k) == 1 && k >= 1)
		return STORY_LANE_RECIPIENT + k - 1;
	return -1;
}

static const char *story_token(struct story_ctx *x, const struct story_pkt *p)
{
	return story_str(history_at(x->c->history, p->k), "token");
}

/* Pair each arriving packet with the same packet leaving the router (same token and ports, soon after). */
static void story_pair(struct story_ctx *x)
{
	for (size_t i = 0; i < x->npkts; i++) {
		struct story_pkt *p = &x->pkts[i];
		const char *tok = story_token(x, p);

		if (p->outgoing)
			continue;
		for (size_t j = i + 1; j < x->npkts && x->pkts[j].t - p->t < 100; j++) {
			struct story_pkt *q = &x->pkts[j];
			const char *qt = story_token(x, q);

			if (!q->outgoing || q->pair >= 0 || q->sport != p->sport || q->dport != p->dport ||
			    !tok || !qt || strcmp(tok, qt) != 0)
				continue;
			p->pair = (long)j;
			q->pair = (long)i;
			q->told = true;
			break;
		}
	}
}

static int story_add_fault(struct story_ctx *x, json_t *e, double t)
{
	struct story_fault *f, *v = realloc(x->faults, (x->nfaults + 1) * sizeof *v);
	const struct fault_ops *ops;
	json_t *a;
	size_t i;

	if (!v)
		return -1;
	x->faults = v;
	f = &v[x->nfaults++];
	memset(f, 0, sizeof *f);
	f->on = t;
	f->off = STORY_NEVER;
	str_copy(f->name, story_str(e, "fault") ? story_str(e, "fault") : "?", sizeof f->name);
	json_array_foreach(json_object_get(e, "args"), i, a)
		if (f->nargs < 3 && json_is_string(a))
			str_copy(f->args[f->nargs++], json_string_value(a), sizeof f->args[0]);
	ops = fault_lookup(f->name);
	f->on_role = ops && ops->arg_kind == FAULT_ARG_ROLE;
	return 0;
}

static bool story_same_fault(const struct story_fault *f, json_t *e)
{
	json_t *args = json_object_get(e, "args");

	if (!story_str(e, "fault") || strcmp(f->name, story_str(e, "fault")) != 0 ||
	    (int)json_array_size(args) != f->nargs)
		return false;
	for (int i = 0; i < f->nargs; i++)
		if (!json_string_value(json_array_get(args, (size_t)i)) ||
		    strcmp(f->args[i], json_string_value(json_array_get(args, (size_t)i))) != 0)
			return false;
	return true;
}

static void story_fault_counts(struct story_fault *f, json_t *touched)
{
	f->packets = json_integer_value(json_object_get(touched, "packets"));
	f->flows = (int)json_integer_value(json_object_get(touched, "flows"));
}

int story_wire_scan(struct story_ctx *x)
{
	size_t n = x->c->history ? history_len(x->c->history) : 0;

	x->readback_t = STORY_NEVER;
	for (size_t k = 0; k < n; k++) {
		json_t *e = history_at(x->c->history, k);
		const char *role = story_str(e, "role"), *ev = story_str(e, "ev");
		double t = story_t(x, e);

		if (!role || !ev)
			continue;
		if (strcmp(role, "store") == 0 && strcmp(ev, "started") == 0 && x->readback_t == STORY_NEVER)
			x->readback_t = t;
		if (strncmp(role, "recipient", 9) == 0 && role[9] >= '1' && role[9] <= '9') {
			int r = atoi(role + 9);

			if (r > x->recipients && r <= 64)
				x->recipients = r;
		}
		if (strcmp(role, "acklab") == 0 && strcmp(ev, "fault") == 0) {
			if (story_add_fault(x, e, t) == -1)
				return -1;
		} else if (strcmp(role, "acklab") == 0 && strcmp(ev, "heal") == 0) {
			for (size_t i = x->nfaults; i-- > 0;)
				if (x->faults[i].off == STORY_NEVER && story_same_fault(&x->faults[i], e)) {
					x->faults[i].off = t;
					story_fault_counts(&x->faults[i], json_object_get(e, "touched"));
					break;
				}
		} else if (strcmp(role, "acklab") == 0 && strcmp(ev, "faults") == 0) {
			json_t *f;
			size_t i;
			bool done[64] = { false };

			/* The final counts, in the order the faults were applied. */
			json_array_foreach(json_object_get(e, "applied"), i, f)
				for (size_t j = 0; j < x->nfaults && j < 64; j++)
					if (!done[j] && story_same_fault(&x->faults[j], f)) {
						story_fault_counts(&x->faults[j], json_object_get(f, "touched"));
						done[j] = true;
						break;
					}
		} else if (strcmp(role, "router") == 0 && strcmp(ev, "packet") == 0) {
			struct story_pkt *p, *v = realloc(x->pkts, (x->npkts + 1) * sizeof *v);

			if (!v)
				return -1;
			x->pkts = v;
			p = &v[x->npkts++];
			memset(p, 0, sizeof *p);
			p->k = k;
			p->t = t;
			p->msg = story_concerns(x, e);
			str_copy(p->src, story_str(e, "src") ? story_str(e, "src") : "?", sizeof p->src);
			str_copy(p->dst, story_str(e, "dst") ? story_str(e, "dst") : "?", sizeof p->dst);
			p->sport = (int)json_integer_value(json_object_get(e, "sport"));
			p->dport = (int)json_integer_value(json_object_get(e, "dport"));
			p->outgoing = json_is_true(json_object_get(e, "outgoing"));
			p->frame = json_integer_value(json_object_get(e, "frame"));
			p->pair = -1;
			p->readback = t >= x->readback_t;
		}
	}
	story_pair(x);
	return 0;
}

void story_wire_free(struct story_ctx *x)
{
	free(x->pkts);
	free(x->faults);
	x->pkts = NULL;
	x->faults = NULL;
	x->npkts = x->nfaults = 0;
}

struct story_pkt *story_pkt_at(struct story_ctx *x, size_t k)
{
	size_t lo = 0, hi = x->npkts;

	while (lo < hi) {             /* packets are in history order */
		size_t mid = (lo + hi) / 2;

		if (x->pkts[mid].k < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->npkts && x->pkts[lo].k == k ? &x->pkts[lo] : NULL;
}

const char *story_fault_name(const struct story_fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s", f->name);
	for (int i = 0; i < f->nargs; i++)
		story_cat(buf, len, " %s", f->args[i]);
	return buf;
}

static bool story_is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

const struct story_fault *story_fault_blocking(const struct story_ctx *x, const char *from, const char *to,
					       double t, double flow_t)
{
	for (size_t i = x->nfaults; i-- > 0;) {
		const struct story_fault *f = &x->faults[i];
		bool active = f->on <= t && t <= f->off;
		const char *a = f->args[0], *b = f->nargs > 1 ? f->args[1] : "server";

		if (f->on_role || f->on > t)
			continue;
		if (strcmp(f->name, "drop-replies") == 0 && active && story_is(from, b) && story_is(to, a))
			return f;
		if (strcmp(f->name, "drop") == 0 && active && story_is(from, a) && story_is(to, b))
			return f;
		if (strcmp(f->name, "blackhole") == 0 && active && (story_is(from, a) || story_is(to, a)))
			return f;
		/* An evicted or reset flow stays dead after the fault: only flows that existed then. */
		if ((strcmp(f->name, "evict-nat") == 0 || strcmp(f->name, "reset") == 0) && flow_t <= f->on &&
		    ((story_is(from, a) && story_is(to, b)) || (story_is(from, b) && story_is(to, a))))
			return f;
	}
	return NULL;
}

double story_flow_first_seen(const struct story_ctx *x, const char *flow, double t)
{
	char end[32];

	for (size_t i = 0; i < x->npkts; i++) {
		const struct story_pkt *p = &x->pkts[i];

		snprintf(end, sizeof end, "%s:%d", p->src, p->sport);
		if (strcmp(end, flow) == 0)
			return p->t;
		snprintf(end, sizeof end, "%s:%d", p->dst, p->dport);
		if (strcmp(end, flow) == 0)
			return p->t;
	}
	return t;
}

int story_retransmissions(const struct story_ctx *x, int msg, const char *flow, double after, double before,
			  double *times, int max)
{
	char end[32];
	int n = 0;
	bool first = true;

	for (size_t i = 0; i < x->npkts && n < max; i++) {
		const struct story_pkt *p = &x->pkts[i];

		snprintf(end, sizeof end, "%s:%d", p->src, p->sport);
		if (p->msg != msg || p->outgoing || p->t < after || p->t > before || strcmp(end, flow) != 0)
			continue;
		if (first)
			first = false;  /* the bytes' first trip is not a retransmission */
		else
			times[n++] = p->t;
	}
	return n;
}

/* The client end of the flow a packet travels on ("198.18.1.2:56856"), or "" if unknown. */
static void story_client_end(struct story_ctx *x, const struct story_pkt *p, bool to_server, char *buf,
			     size_t len)
{
	char h[32];

	buf[0] = '\0';
	if (to_server) {
		snprintf(buf, len, "%s:%d", p->src, p->sport);
		return;
	}
	if (p->pair >= 0) {
		snprintf(buf, len, "%s:%d", x->pkts[p->pair].dst, x->pkts[p->pair].dport);
		return;
	}
	/* Dropped on the server's side: the NAT's port is the client's; find the client's end of it. */
	for (size_t i = 0; i < x->npkts; i++) {
		const struct story_pkt *q = &x->pkts[i];

		if (!q->outgoing && q->sport == p->dport && story_host(q->src, h, sizeof h) &&
		    strcmp(h, "server") != 0 && strcmp(h, "router") != 0) {
			snprintf(buf, len, "%s:%d", q->src, q->sport);
			return;
		}
	}
	snprintf(buf, len, "%s:%d", p->dst, p->dport);
}

/*
 * A retransmission: the same bytes on the same flow before, with no new
 * attempt since, or on a flow other than the one the current attempt went
 * out on (the kernel still resending an older attempt into its dead
 * connection) (to the server); or after the first copy was dropped (from
 * the server).
 */
static bool story_resent(struct story_ctx *x, const struct story_pkt *p, bool to_server, const char *end)
{
	const struct story_msg_state *s = &x->ms[p->msg];
	const char *tok = story_token(x, p);

	for (const struct story_pkt *q = x->pkts; q < p; q++) {
		const char *qt = story_token(x, q);

		if (q->outgoing || q->sport != p->sport || q->dport != p->dport || strcmp(q->src, p->src) != 0 ||
		    !tok || !qt || strcmp(tok, qt) != 0)
			continue;
		if (!to_server)
			return q->pair < 0;
		if (q->t >= s->attempt_t || (s->flow[0] && strcmp(s->flow, end) != 0))
			return true;
	}
	return false;
}

/* Why the router dropped it, as a clause. */
static void story_drop_cause(const struct story_fault *f, char *buf, size_t len)
{
	char name[128];

	story_fault_name(f, name, sizeof name);
	if (strcmp(f->name, "evict-nat") == 0)
		snprintf(buf, len, "%s had removed this flow's NAT state, so its packets are invalid", name);
	else if (strcmp(f->name, "reset") == 0)
		snprintf(buf, len, "%s: the router resets this flow", name);
	else
		snprintf(buf, len, "%s was acting on this flow", name);
}

static void story_frames(const struct story_ctx *x, const struct story_pkt *p, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!p->frame)
		return;
	if (p->pair >= 0 && x->pkts[p->pair].frame)
		snprintf(buf, len, "frames %lld, %lld", p->frame, x->pkts[p->pair].frame);
	else
		snprintf(buf, len, "frame %lld", p->frame);
}

int story_wire_packet(struct story_ctx *x, struct story_pkt *p)
{
	struct story_line l;
	char from[32], to[32], end[32], cause[256];
	const struct chk_message *m;
	const struct story_fault *f;
	bool to_server, resent;

	if (p->msg < 0 || p->told || p->readback || !story_host(p->src, from, sizeof from))
		return 0;
	m = &x->r->msgs[p->msg];
	to_server = strcmp(from, "server") != 0;
	if (to_server)
		str_copy(to, "server", sizeof to);
	else if (!(p->pair >= 0 && story_host(x->pkts[p->pair].dst, to, sizeof to))) {
		story_client_end(x, p, false, end, sizeof end);
		if (!story_host(end, to, sizeof to))
			str_copy(to, "client", sizeof to);
	}
	story_client_end(x, p, to_server, end, sizeof end);
	resent = story_resent(x, p, to_server, end);
	memset(&l, 0, sizeof l);
	l.t_ms = p->t;
	l.msg = p->msg;
	str_copy(l.role, "router", sizeof l.role);
	story_frames(x, p, l.frames, sizeof l.frames);
	l.from = story_lane_of(from);
	l.to = story_lane_of(to);
	l.dropped = p->pair < 0;
	l.resent = resent;
	if (l.from < 0 || l.to < 0)
		return 0;
	f = l.dropped ? story_fault_blocking(x, from, to, p->t, story_flow_first_seen(x, end, p->t)) : NULL;
	if (f)
		story_drop_cause(f, cause, sizeof cause);
	else
		str_copy(cause, "no fault was acting on it", sizeof cause);
	if (to_server) {
		struct story_msg_state *s = &x->ms[p->msg];

		l.kind = STORY_REQUEST;
		if (!resent)
			str_copy(s->flow, end, sizeof s->flow);
		if (l.dropped && s->first_unacked < 0)
			s->first_unacked = p->t;
		if (resent) {
			snprintf(l.label, sizeof l.label, "%s resent (TCP)", m->id);
			snprintf(l.what, sizeof l.what, "the client's kernel resent %s's bytes on %s (a TCP "
				 "retransmission, not a new attempt: no acknowledgement had come back)", m->id, end);
		} else {
			snprintf(l.label, sizeof l.label, "%s #%d", m->id, s->attempt ? s->attempt : 1);
			snprintf(l.what, sizeof l.what, "%s's bytes (attempt %d) left the client on %s for the "
				 "server", m->id, s->attempt ? s->attempt : 1, end);
		}
		if (l.dropped)
			story_cat(l.what, sizeof l.what, "; the router dropped them: %s", cause);
		else
			story_cat(l.what, sizeof l.what, "; the router forwarded them (as %s:%d after NAT)",
				  x->pkts[p->pair].src, x->pkts[p->pair].sport);
	} else if (l.dropped) {
		bool recipient = strncmp(to, "recipient", 9) == 0;

		l.kind = recipient ? STORY_PUSH : STORY_REPLY;
		snprintf(l.label, sizeof l.label, "%s%s", m->id, resent ? " resent (TCP)" : " bytes");
		if (resent)
			snprintf(l.what, sizeof l.what, "the server's kernel resent the bytes carrying %s toward %s "
				 "on flow %s (a TCP retransmission); the router dropped them again: %s", m->id, to, end,
				 cause);
		else
			snprintf(l.what, sizeof l.what, "the server sent bytes carrying %s toward %s on flow %s; "
				 "the router dropped them: %s", m->id, to, end, cause);
	} else {
		return 0;                 /* a delivered push or copy: told by whoever received it */
	}
	return story_push(x->out, &l);
}

void story_push_frames(struct story_ctx *x, int msg, const char *host, double t, char *buf, size_t len)
{
	char h[32];

	buf[0] = '\0';
	for (size_t i = x->npkts; i-- > 0;) {
		struct story_pkt *p = &x->pkts[i];

		if (p->t > t || p->msg != msg || p->outgoing || p->pair < 0 || p->readback ||
		    (x->push_used && x->push_used[i]) || !story_host(x->pkts[p->pair].dst, h, sizeof h) ||
		    strcmp(h, host) != 0)
			continue;
		if (x->push_used)
			x->push_used[i] = true;
		story_frames(x, p, buf, len);
		return;
	}
}

void story_wire_legend(struct story_ctx *x)
{
	char *b = x->out->legend;
	size_t len = sizeof x->out->legend;

	snprintf(b, len, "client 198.18.1.2; server 198.18.2.2; router 198.18.1.1 toward the client and "
		 "198.18.2.1 toward the server (NAT: the server sees the client's flows come from 198.18.2.1)");
	for (int k = 1; k <= x->recipients && k <= 8; k++)
		story_cat(b, len, "; recipient%d 198.18.%d.2", k, 10 + k);
	if (x->recipients > 8)
		story_cat(b, len, "; recipient k 198.18.(10+k).2");
}
