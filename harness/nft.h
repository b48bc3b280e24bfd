/*
 * nft: the network fault rules, added to and removed from the router's
 * "faults" chain (router.h installs it empty, evaluated before the forward
 * chain's accept rules).
 *
 * Every fault below adds rules and remembers their handles in a struct
 * nft_fault, so heal removes exactly what apply added and never another
 * fault's. Every rule that drops or resets carries a counter, read back just
 * before the rules are removed, so a fault can say how many packets it
 * really hit (a fault that touched nothing is never a pass).
 */
#ifndef ACKLAB_NFT_H
#define ACKLAB_NFT_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

struct topo;

#define NFT_FAULT_MAX_RULES 16

struct nft_fault {
	uint64_t handles[NFT_FAULT_MAX_RULES];
	bool marks[NFT_FAULT_MAX_RULES]; /* the rule marks a new flow (its counter counts SYNs) */
	uint64_t counts[NFT_FAULT_MAX_RULES]; /* each rule's counter, as of the last read */
	int nrules;                   /* rules added */
	int nhandles;                 /* of which the first nhandles are still in the chain */
	char set_name[32];            /* a named set the fault created, or "" */
	bool next_flow;               /* drop-replies waits for the next new flow */
	int flows;                    /* flows the rules act on: established when applied, or
	                                 marked since (next_flow), as of the last read */
	uint64_t packets;             /* packets the rules dropped or reset, as of the last read */
};

/*
 * drop-replies: from now on, packets carrying data (tcp psh) in the reply
 * direction (from to_host back to from_host) of the TCP flows from
 * from_host to to_host are dropped. If such flows are established now, those
 * flows are the target; otherwise the next new flow is (marked in-kernel via
 * a one-element dynamic set, so later flows pass). Pure ACKs still pass, so
 * the requester's bytes are acknowledged: the server got the request, the
 * client never gets the answer, a retry on a new connection works.
 */
int nft_drop_replies(struct topo *t, const char *from_host, const char *to_host,
		     struct nft_fault *out, char *err, size_t errlen);

/* drop: every packet from from_host to to_host is dropped (one direction). */
int nft_drop(struct topo *t, const char *from_host, const char *to_host,
	     struct nft_fault *out, char *err, size_t errlen);

/* partition: every packet between a and b is dropped, both ways (two drop rules). */
int nft_partition(struct topo *t, const char *a, const char *b, struct nft_fault *out,
		  char *err, size_t errlen);

/* blackhole: every packet in or out of host's link is dropped. */
int nft_blackhole(struct topo *t, const char *host, struct nft_fault *out,
		  char *err, size_t errlen);

/*
 * reset: the TCP flows from a to b that are established now are answered
 * with a TCP reset on their next packet, in either direction, until healed.
 * Flows opened later pass. Established flows with no traffic stay as they are.
 */
int nft_reset(struct topo *t, const char *a, const char *b, struct nft_fault *out,
	      char *err, size_t errlen);

/*
 * Read the counters of f's rules into f->packets (and, for a fault waiting
 * for the next flow, f->flows). Nothing to read once healed.
 */
int nft_read_counters(struct topo *t, struct nft_fault *f, char *err, size_t errlen);

/* Read the counters, then remove the rules (and set) a fault added. Idempotent. */
int nft_heal(struct topo *t, struct nft_fault *f, char *err, size_t errlen);

#endif
