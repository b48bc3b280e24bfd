/*
 * nft: the router's nftables ruleset and the network fault rules in it.
 *
 * topo_build() installs table "ip acklab" in the router: chain "forward"
 * (filter hook forward, policy drop: jump faults; ct state established,related
 * accept; new SYNs accept), chain "faults" (empty until a fault is applied),
 * chain "postrouting" (nat: masquerade out of the server link), chain
 * "input" (ct state invalid drop: packets of an evicted flow addressed to the
 * router's masqueraded port are dropped silently instead of being answered
 * with a reset by the router's own TCP stack). Every fault
 * below adds rules to "faults" and remembers their handles in a struct
 * nft_fault, so heal removes exactly what apply added. All commands go
 * through libnftables inside the router's namespace.
 */
#ifndef ACKLAB_NFT_H
#define ACKLAB_NFT_H

#include <stddef.h>
#include <stdint.h>

struct topo;

#define NFT_FAULT_MAX_RULES 16

struct nft_fault {
	uint64_t handles[NFT_FAULT_MAX_RULES];
	int nhandles;
	char set_name[32];            /* a named set the fault created, or "" */
};

/* Install the base ruleset in the router (called by topo_build). */
int nft_setup_router(struct topo *t, char *err, size_t errlen);

/* Run arbitrary nft command text in the router (for tests and doctor). */
int nft_run(struct topo *t, const char *cmds, char *err, size_t errlen);

/*
 * Like nft_run, and *out gets what nft printed (e.g. for "list ruleset"),
 * malloc'd, caller frees; NULL when nft printed nothing.
 */
int nft_query(struct topo *t, const char *cmds, char **out, char *err, size_t errlen);

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

/* Remove the rules (and set) a fault added. Idempotent. */
int nft_heal(struct topo *t, struct nft_fault *f, char *err, size_t errlen);

#endif
