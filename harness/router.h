/*
 * router: the router host's own kernel — what makes it a NAT router, and
 * the two handles the rest of acklab talks to it through.
 *
 * router_new() makes the namespace forward (ip_forward=1), installs table
 * "ip acklab":
 *   chain faults       empty: the fault rules go here (nft.h), evaluated first
 *   chain forward      filter hook forward, policy drop: jump faults;
 *                      ct state established,related accept; new SYNs accept
 *   chain input        filter hook input: ct state invalid drop (packets of
 *                      an evicted flow addressed to the router's masqueraded
 *                      port are dropped silently instead of being answered
 *                      with a reset by the router's own TCP stack)
 *   chain postrouting  nat: masquerade out of the server link
 * and sets net.netfilter.nf_conntrack_tcp_loose=0, so a flow whose
 * conntrack entry is evicted stays dead: its next packets are invalid.
 *
 * The handles are a libnftables context, a conntrack table and, for the
 * cells that shape or hold packets, a packet queue, all made inside the
 * router's namespace, so whatever sockets they open talk to the
 * router. The router knows its namespace by fd and nothing of the topology
 * around it: topo.c builds the links and then calls router_new().
 */
#ifndef ACKLAB_ROUTER_H
#define ACKLAB_ROUTER_H

#include <stddef.h>

struct router;
struct ct_table;
struct pktq;

/* Where fault rules go: "add rule " ROUTER_NFT_TABLE " " ROUTER_NFT_FAULTS " ...". */
#define ROUTER_NFT_TABLE "ip acklab"
#define ROUTER_NFT_FAULTS "faults"

/* What router_nft() prints back into *out besides listings. */
enum router_nft_output {
	ROUTER_NFT_ECHO = 1 << 0,     /* every object added, as nft would list it */
	ROUTER_NFT_HANDLES = 1 << 1,  /* "# handle N" after every rule listed or echoed */
};

/*
 * Set up the router whose namespace is netns_fd (not taken: the caller keeps
 * it open longer than the router), masquerading out of nat_ifname. On
 * success *out is the caller's (router_free).
 */
int router_new(struct router **out, int netns_fd, const char *nat_ifname, char *err,
	       size_t errlen);

/* Free the handles (the ruleset stays with the namespace). NULL ok. */
void router_free(struct router *r);

/*
 * Run nft command text in the router. flags: router_nft_output bits. *out
 * (when out is not NULL) gets what nft printed, malloc'd, caller frees; NULL
 * when it printed nothing. Errors are "router: nft: <nft's first line>".
 */
int router_nft(struct router *r, const char *cmds, unsigned flags, char **out, char *err,
	       size_t errlen);

/* The router's conntrack table, opened on first use; NULL with err filled. Owned by r. */
struct ct_table *router_conntrack(struct router *r, char *err, size_t errlen);

/*
 * Something the router keeps for as long as it lives, freed before its nft
 * context goes (the packet queue, pktq.h, which deletes its own table):
 * attached once by its owner module, which knows its type; the router only
 * frees it. router_attached() is NULL when nothing was attached.
 */
void router_attach(struct router *r, void *thing, void (*free_fn)(void *thing));
void *router_attached(const struct router *r);
/* The router's namespace fd (not owned by the caller). */
int router_netns(const struct router *r);

/* A number not returned before by this router: names the sets and marks of fault rules. */
unsigned router_next_id(struct router *r);

#endif
