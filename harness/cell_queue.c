/*
 * cell_queue: the cell's side of the router's packet queue (pktq.h).
 *
 * Two kinds of rule need the queue rather than the capture. A hold
 * (`on packet m3 hold: crash server`) must keep the packet from the server
 * until its fault has fired, so the verdict has to come from acklab; a
 * packet trigger that names a direction (`from client`, `to server`) must
 * know where a packet goes, and the queue sees every packet with the
 * hosts' own addresses on both sides of the NAT. For such cells (and only
 * those) the queue is opened before the workload with one watch per rule
 * (the TCP segments with data between the rule's hosts) and this file's
 * classify callback: a packet carrying a rule's message is counted by the
 * rule's trigger; a hold that fires opens a flow hold, any other rule that
 * fires is noted. After each read the loop fires what was noted and, for
 * each hold, the rule's fault, and then lets the held packets go (or drops
 * them): so the fault lands before the packet, not a fraction of a
 * millisecond after it as with the capture. The hold goes into the history
 * (how long the packet waited, when the fault had fired) and into the
 * cell's faults, so a hold counts what it held like any fault.
 *
 * Shaping faults (delay, loss, ...) open the queue themselves when applied;
 * the loop serves it the same way (cell_queue_service).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "cell_queue.h"

#include "cell.h"
#include "fault_queue.h"
#include "log.h"
#include "pktq.h"
#include "router.h"
#include "util.h"

/* The host whose address is addr, or NULL. */
static const char *cell_host_of(struct cell *c, const char *addr)
{
	for (int i = 0; i < c->topo->nhosts; i++)
		if (c->topo->hosts[i].addr[0] && strcmp(c->topo->hosts[i].addr, addr) == 0)
			return c->topo->hosts[i].name;
	return NULL;
}

/*
 * The classify callback: does this segment fire a queue rule? A hold that
 * fires holds its flow (its rule's index is the tag); others are noted.
 */
static int cell_classify(void *arg, const struct pktq_packet *p)
{
	struct cell *c = arg;
	const char *from, *to;

	if (!c->workload_started)
		return -1;
	from = cell_host_of(c, p->src);
	to = cell_host_of(c, p->dst);
	for (int i = 0; i < c->s->nrules; i++) {
		struct trigger *tr = &c->rules[i];

		if (!trigger_needs_queue(tr) || tr->fired ||
		    !capture_payload_has_token(p->payload, p->payload_len, tr->token))
			continue;
		if (!trigger_on_packet(tr, tr->token, from, to))
			continue;
		if (tr->hold)
			return i;
		if (c->nqueue_fired < SCN_MAX_RULES)
			c->queue_fired[c->nqueue_fired++] = i;
	}
	return -1;
}

int cell_queue_setup(struct cell *c)
{
	struct pktq *q = NULL;
	char err[512];

	for (int i = 0; i < c->s->nrules; i++) {
		const struct trigger *tr = &c->rules[i];
		struct topo_host *from = tr->from[0] ? topo_host(c->topo, tr->from) : NULL;
		struct topo_host *to = tr->to[0] ? topo_host(c->topo, tr->to) : NULL;

		if (!trigger_needs_queue(tr))
			continue;
		if (!q && !(q = pktq_of(c->topo->rt, err, sizeof err))) {
			cell_fail(c, "%s:%d: %s", c->s->path, c->s->rules[i].pos.line, err);
			return -1;
		}
		if ((tr->from[0] && !from) || (tr->to[0] && !to)) {
			cell_fail(c, "%s:%d: no host named '%s'", c->s->path, c->s->rules[i].pos.line,
				  tr->from[0] && !from ? tr->from : tr->to);
			return -1;
		}
		if (pktq_watch_tcp(q, from ? from->addr : NULL, to ? to->addr : NULL, err, sizeof err) == -1) {
			cell_fail(c, "%s:%d: %s", c->s->path, c->s->rules[i].pos.line, err);
			return -1;
		}
	}
	if (q)
		pktq_set_classify(q, cell_classify, c);
	return 0;
}

/* The hold of rule i is over: its record in the history and among the cell's faults. */
static void cell_record_hold(struct cell *c, int i, const struct shape_flow_info *info,
			     int64_t fired_ns, int64_t released_ns)
{
	const struct trigger *tr = &c->rules[i];
	char from[16], to[16], what[512], why[256], trig[200];
	const char *src, *dst;
	struct fault *f;
	json_t *o, *touched = NULL;

	inet_ntop(AF_INET, &info->first.src, from, sizeof from);
	inet_ntop(AF_INET, &info->first.dst, to, sizeof to);
	src = cell_host_of(c, from);
	dst = cell_host_of(c, to);
	trigger_describe(tr, trig, sizeof trig);
	snprintf(why, sizeof why, "%s (rule at line %d)", trig, c->s->rules[i].pos.line);
	if (c->nfaults >= c->maxfaults) {
		cell_fail(c, "too many faults in one cell");
		return;
	}
	f = &c->faults[c->nfaults];
	fault_queue_hold_rule(f, src ? src : from, dst ? dst : to, tr->msg_id, info->packets);
	str_copy(c->fault_why[c->nfaults], why, sizeof c->fault_why[c->nfaults]);
	c->nfaults++;
	fault_describe(f, what, sizeof what);
	if (tr->hold_drop)
		strncat(what, "; then dropped them", sizeof what - strlen(what) - 1);
	fault_touched(f, &touched);
	o = json_pack("{s:s, s:s, s:[s, s], s:s, s:s, s:o?, s:f, s:f, s:b}", "ev", "fault", "fault", "hold",
		      "args", f->args[0], f->args[1], "what", what, "trigger", why, "touched", touched,
		      "fault_after_ms", fired_ns > 0 ? (double)(fired_ns - info->opened_ns) / 1e6 : -1.0,
		      "held_ms", (double)(released_ns - info->opened_ns) / 1e6, "dropped", tr->hold_drop);
	history_add(c->hist, "acklab", o, released_ns);
	if (c->o->verbose)
		log_info("%s/%s: hold: %s (%s)", c->s->name, c->st->name, what, why);
}

/* Fire what the last read noted: the rules first, then every hold with its fault before its release. */
static void cell_queue_fire(struct cell *c, struct pktq *q, cell_fire_fn fire)
{
	struct shape_flow_info info;
	char err[512];
	int hold;

	for (;;) {
		int i, k;
		int64_t fired = 0, released;

		for (k = 0; k < c->nqueue_fired; k++)
			fire(c, c->queue_fired[k]);
		c->nqueue_fired = 0;
		if (pktq_opened(q, &hold, &info) != 1)
			break;
		i = info.tag;
		if (i < 0 || i >= c->s->nrules) {
			pktq_release(q, hold, false, NULL, err, sizeof err);
			continue;
		}
		fire(c, i);
		if (!c->failed)
			fired = mono_ns();
		/* What came on the flow while the fault was applied joins the hold before it ends. */
		if (pktq_read(q, err, sizeof err) == -1)
			cell_fail(c, "router queue: %s", err);
		if (pktq_release(q, hold, c->rules[i].hold_drop, &info, err, sizeof err) == -1) {
			cell_fail(c, "%s:%d: %s", c->s->path, c->s->rules[i].pos.line, err);
			continue;
		}
		released = mono_ns();
		c->last_move_ns = released;
		cell_record_hold(c, i, &info, fired, released);
	}
}

void cell_queue_service(struct cell *c, bool readable, cell_fire_fn fire)
{
	struct pktq *q = c->topo ? pktq_if_open(c->topo->rt) : NULL;
	char err[512];

	if (!q)
		return;
	if (readable && pktq_read(q, err, sizeof err) == -1)
		cell_fail(c, "router queue: %s", err);
	pktq_service(q);
	cell_queue_fire(c, q, fire);
}

int cell_queue_fd(struct cell *c)
{
	struct pktq *q = c->topo ? pktq_if_open(c->topo->rt) : NULL;

	return q ? pktq_fd(q) : -1;
}

int cell_queue_timeout(struct cell *c, int ms)
{
	struct pktq *q = c->topo ? pktq_if_open(c->topo->rt) : NULL;
	int64_t due = q ? pktq_next_due(q) : INT64_MAX, now = mono_ns();

	if (due == INT64_MAX)
		return ms;
	if (due <= now)
		return 0;
	/* Round up: poll() must not wake before the packet is due. */
	return (due - now + 999999) / 1000000 < ms ? (int)((due - now + 999999) / 1000000) : ms;
}
