/*
 * topo_priv: what a struct topo holds behind its priv pointer, shared only by
 * the modules that talk to the topology's kernels (topo.c, nft.c,
 * conntrack.c, netprobe.c). Everything here is created inside the namespace
 * it serves, because a netlink socket stays bound to the namespace it was
 * made in, and is released by topo_free().
 */
#ifndef ACKLAB_TOPO_PRIV_H
#define ACKLAB_TOPO_PRIV_H

#include "topo.h"

struct nl_sock;
struct nft_ctx;

struct topo_priv {
	struct nl_sock *rtnl[TOPO_MAX_HOSTS]; /* NETLINK_ROUTE, one per host, same index */
	struct nl_sock *nfnl;                 /* NETLINK_NETFILTER in the router (lazy, conntrack.c) */
	struct nft_ctx *nft;                  /* libnftables context of the router (nft.c) */
	unsigned fault_seq;                   /* numbers sets and marks made by nft.c */
};

/* The priv of t, typed. */
static inline struct topo_priv *topo_priv(struct topo *t)
{
	return t->priv;
}

/* Index of h in t->hosts. */
static inline int topo_host_index(const struct topo *t, const struct topo_host *h)
{
	return (int)(h - t->hosts);
}

/* Release the nft context (nft.c); called by topo_free(). NULL-safe. */
void nft_ctx_release(struct topo *t);

#endif
