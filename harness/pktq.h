/*
 * pktq: the router's packet queue, where acklab decides the fate of a
 * packet before the router forwards it.
 *
 * The kernel here has NFQUEUE only as an xtables target (nft's own "queue"
 * statement is not built in), so the queue lives in a table of its own,
 * "ip acklab_queue":
 *   chain to_queue   one rule, the xtables target NFQUEUE (queue 1, no
 *                    bypass: with nobody reading, packets wait, none passes
 *                    unseen), built with libnftnl since nft cannot write it
 *   chain forward    hook forward, priority filter - 10 (just before the
 *                    router's own filter, router.h): rules that send the
 *                    packets acklab must decide on to to_queue
 *   chain duplicates hook postrouting, after NAT: a packet accepted with
 *                    the duplicate mark is sent twice (nft's dup), so the
 *                    copy is the very packet the receiver gets, NAT included
 * A packet acklab accepts goes on to the router's own filter, so the fault
 * rules (nft.h) still apply to it.
 *
 * Two things send packets here. Watches (pktq_watch_tcp) queue the TCP
 * segments that carry data between two hosts, so that a classify callback
 * (the cell's: does this packet carry a message a hold rule waits for?) can
 * open a flow hold; the harness's own probes (SYNs, FINs) never wait on it.
 * Rules (pktq_rule_add: hold, delay, loss, duplicate, reorder on a link)
 * queue every packet from one address to another. What happens to each
 * packet is shape.h's decision; this module reads the packets, asks, and
 * gives the kernel its verdicts, at once or when shape releases them.
 *
 * Nothing here waits or runs on its own: the owner polls pktq_fd(), calls
 * pktq_read() when it is readable and pktq_service() when pktq_next_due()
 * has come, so one poll loop serves roles, capture and queue. A packet
 * waits for acklab's loop: a loop that does not turn delays what it queued.
 * Addresses in the forward hook are the hosts' own on both sides of the NAT
 * (a request's source before masquerade, a reply's destination after the
 * router has un-NATed it), which is why direction is decided here.
 */
#ifndef ACKLAB_PKTQ_H
#define ACKLAB_PKTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shape.h"

#define PKTQ_TABLE "ip acklab_queue"

struct pktq;
struct router;

/* A queued packet, for the classify callback. */
struct pktq_packet {
	uint32_t id;
	int64_t t_ns;                 /* CLOCK_MONOTONIC when acklab read it */
	char src[16], dst[16];        /* the sender's and the receiver's own addresses */
	uint8_t proto;
	uint16_t sport, dport;
	const uint8_t *payload;       /* the TCP payload; valid during the call only */
	size_t payload_len;
};

/*
 * Decide on a watched TCP packet: a tag >= 0 opens a flow hold on its flow
 * (the packet and every later one of the flow wait until pktq_release()),
 * -1 leaves it to the rules. Called from pktq_read().
 */
typedef int (*pktq_classify_fn)(void *arg, const struct pktq_packet *p);

/*
 * The router's queue, opened on first use: its table is installed then (so
 * a cell that never asks queues nothing) and the router keeps it until it
 * is freed. NULL with err filled.
 */
struct pktq *pktq_of(struct router *r, char *err, size_t errlen);
/* The router's queue if it has been opened, else NULL (a loop polls it only then). */
struct pktq *pktq_if_open(const struct router *r);

/*
 * Install the table and bind queue 1 in the router whose namespace is
 * netns_fd. r runs the nft commands. *out is the caller's (pktq_free).
 */
int pktq_open(struct pktq **out, struct router *r, int netns_fd, char *err, size_t errlen);
/*
 * Stop queueing (the table goes), accept every packet still kept or in
 * flight to acklab, close. NULL ok.
 */
void pktq_free(struct pktq *q);

/* The fd to poll for readability. */
int pktq_fd(const struct pktq *q);

/*
 * Queue the TCP segments that carry data from src to dst (either NULL:
 * any address) for the classify callback. Idempotent. 0 or -1 with err.
 */
int pktq_watch_tcp(struct pktq *q, const char *src, const char *dst, char *err, size_t errlen);
/* Remove every watch (held flows stay held). 0 or -1 with err. */
int pktq_unwatch_all(struct pktq *q, char *err, size_t errlen);
/* Set (or clear, with NULL) the classify callback. */
void pktq_set_classify(struct pktq *q, pktq_classify_fn fn, void *arg);

/*
 * Add a rule on the link from r->src to r->dst (every packet between them
 * is queued from now on). dst_ifname is the router's interface toward
 * r->dst, where a duplicate's copy leaves (only SHAPE_DUPLICATE uses it).
 * *id names the rule. 0 or -1 with err.
 */
int pktq_rule_add(struct pktq *q, const struct shape_rule *r, const char *dst_ifname, int *id,
		  char *err, size_t errlen);
/*
 * Remove rule id: its packets are no longer queued, and what it kept is
 * released (accepted) now. *out (may be NULL) gets its final counts.
 * 0 or -1 with err.
 */
int pktq_rule_remove(struct pktq *q, int id, struct shape_counts *out, char *err, size_t errlen);
/* The counts of rule id so far. 0, or -1 when there is no such rule. */
int pktq_rule_counts(const struct pktq *q, int id, struct shape_counts *out);

/*
 * Read every packet waiting now, without blocking, and decide on each.
 * Returns how many were read, or -1 with err.
 */
int pktq_read(struct pktq *q, char *err, size_t errlen);
/* Release the packets whose time has come; returns how many. */
int pktq_service(struct pktq *q);
/* When pktq_service() has work next (CLOCK_MONOTONIC ns), or INT64_MAX. */
int64_t pktq_next_due(const struct pktq *q);

/*
 * The next flow hold the classify callback opened (oldest first): 1 with
 * *hold and *info filled, 0 when there is none left to report.
 */
int pktq_opened(struct pktq *q, int *hold, struct shape_flow_info *info);
/*
 * End flow hold hold: what it kept is accepted, or dropped when drop, in
 * the order it came. *info (may be NULL) says what it kept. 0 or -1 with err.
 */
int pktq_release(struct pktq *q, int hold, bool drop, struct shape_flow_info *info, char *err,
		 size_t errlen);

/*
 * Serve the queue until fd (may be -1) is readable or ms have passed,
 * whichever comes first: for callers with no loop of their own (the
 * doctor's proofs). Returns 1 when fd is readable, 0 at the deadline.
 */
int pktq_pump(struct pktq *q, int fd, int ms);

/* Messages about queued packets the kernel could not hand over (its buffer was full). */
uint64_t pktq_lost(const struct pktq *q);

#endif
