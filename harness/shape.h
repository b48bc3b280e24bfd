/*
 * shape: what the router's packet queue does with each packet, as pure
 * decisions (no sockets, no clock of its own), so it is unit-tested on
 * made-up packets and times.
 *
 * The queue (pktq.h) hands every packet the kernel queued to shape_packet()
 * with the time it read it, and does what the answer says: accept it now
 * (perhaps marked for the kernel to duplicate), drop it, or keep it, in
 * which case shape says later, through a release callback, when to accept
 * or drop it. Two kinds of state keep packets:
 *
 *   rules   one per network fault on a link (from address A to address B):
 *           hold (keep every packet until the rule is removed), delay (each
 *           packet waits MS, plus or minus a uniform jitter), loss, duplicate
 *           and reorder (a chosen packet waits MS while the ones after it
 *           pass). Chances are parts per million and are drawn from the
 *           rule's own generator (splitmix64) seeded by the caller, so the
 *           same seed and the same packets give the same decisions.
 *   flows   a flow hold, opened for one packet (the one carrying a
 *           message, say) with a tag the caller chooses: that packet and
 *           every later packet of its flow (either direction) is kept until
 *           the caller releases the hold, all accepted or all dropped, in
 *           the order they came.
 *
 * A packet of a held flow is kept before any rule sees it. Otherwise every
 * rule of its link acts in the order the rules were added: a hold keeps it,
 * a loss may drop it, a duplicate may mark it, a delay or a reorder moves
 * its release time. Kept packets are released in release-time order (a
 * fixed delay keeps the order; a jitter, like netem's, may not), and when
 * their rule is removed, at once.
 */
#ifndef ACKLAB_SHAPE_H
#define ACKLAB_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum shape_kind { SHAPE_HOLD, SHAPE_DELAY, SHAPE_LOSS, SHAPE_DUPLICATE, SHAPE_REORDER };

struct shape_rule {
	enum shape_kind kind;
	uint32_t src, dst;            /* the link: IPv4 addresses, network order */
	int64_t ms;                   /* DELAY: the delay; REORDER: how long a chosen packet waits */
	int64_t jitter_ms;            /* DELAY: plus or minus, uniformly */
	uint32_t ppm;                 /* LOSS, DUPLICATE, REORDER: the chance per packet, per million */
	uint64_t seed;                /* the rule's generator starts here */
};

/* What a rule (or a flow hold) did, counted as it happens. */
struct shape_counts {
	uint64_t seen;                /* packets of its link it looked at */
	uint64_t held;                /* kept until released (hold, flow hold) */
	uint64_t dropped;             /* dropped (loss; a flow hold released with drop) */
	uint64_t delayed;             /* kept for a while (delay; reorder's chosen packets) */
	uint64_t duplicated;          /* accepted with the mark that has the kernel send a copy */
};

/* One packet, as far as the decisions need it. */
struct shape_pkt {
	uint32_t id;                  /* the queue's packet id, handed back on release */
	uint32_t src, dst;            /* network order */
	uint8_t proto;                /* IPPROTO_TCP, ... */
	uint16_t sport, dport;        /* host order; 0 when not TCP or UDP */
};

enum shape_verdict { SHAPE_ACCEPT, SHAPE_DROP, SHAPE_KEPT };

struct shape_out {
	enum shape_verdict verdict;
	bool duplicate;               /* ACCEPT: with the duplicate mark */
};

/* A kept packet's end: accepted (with the duplicate mark or not) or dropped. fn must not call into shape. */
typedef void (*shape_release_fn)(void *arg, uint32_t id, bool drop, bool duplicate);

/* The first packet of a flow hold and what the hold kept. */
struct shape_flow_info {
	struct shape_pkt first;
	int tag;
	int64_t opened_ns;            /* the now of shape_hold_flow() */
	uint64_t packets;             /* packets kept, the first one included */
};

struct shape;

/* A new, empty state (caller frees with shape_free), or NULL when out of memory. */
struct shape *shape_new(void);
/* Free; packets still kept are forgotten (release them first: shape_release_all). NULL ok. */
void shape_free(struct shape *s);

/* Add a rule; returns its id (> 0), or -1 when out of memory. */
int shape_add(struct shape *s, const struct shape_rule *r);
/*
 * Remove rule id: what it kept is released now (accepted, in release
 * order), through fn. *out (may be NULL) gets its final counts. Returns 0,
 * or -1 when there is no such rule.
 */
int shape_remove(struct shape *s, int id, struct shape_counts *out, shape_release_fn fn, void *arg);
/* The counts of rule id so far; -1 when there is no such rule. */
int shape_counts(const struct shape *s, int id, struct shape_counts *out);

/*
 * Is p a packet of a held flow? Then it is kept with that flow (true), and
 * the caller does nothing more with it now.
 */
bool shape_in_held_flow(struct shape *s, const struct shape_pkt *p);
/*
 * Keep p and open a flow hold on its flow, tagged tag (the caller's: which
 * rule opened it). Returns the hold's id (> 0), or -1 when out of memory
 * (p is not kept then).
 */
int shape_hold_flow(struct shape *s, const struct shape_pkt *p, int tag, int64_t now_ns);
/*
 * End flow hold id: every packet it kept is accepted (or dropped, when
 * drop), in the order they came, through fn. *info (may be NULL) says what
 * it kept. Returns 0, or -1 when there is no such hold.
 */
int shape_release_flow(struct shape *s, int id, bool drop, struct shape_flow_info *info,
		       shape_release_fn fn, void *arg);

/* What the rules do with p (not of a held flow) at now_ns. */
struct shape_out shape_packet(struct shape *s, const struct shape_pkt *p, int64_t now_ns);

/* Release, through fn, every kept packet whose time has come by now_ns, earliest first. */
void shape_due(struct shape *s, int64_t now_ns, shape_release_fn fn, void *arg);
/* When the next kept packet is due (INT64_MAX when none waits on a time). */
int64_t shape_next_due(const struct shape *s);
/* Packets kept right now (flows, holds and schedule together). */
size_t shape_kept(const struct shape *s);
/* Release every kept packet now (accepted; flow holds too), earliest first. */
void shape_release_all(struct shape *s, shape_release_fn fn, void *arg);

/* The generator the rules draw from: splitmix64, one step. Exposed for tests. */
uint64_t shape_next_random(uint64_t *state);

#endif
