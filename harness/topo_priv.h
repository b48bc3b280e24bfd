/*
 * topo_priv: what a struct topo holds behind its priv pointer: one
 * NETLINK_ROUTE socket per host, created inside that host's namespace
 * (a netlink socket stays bound to the namespace it was made in) and
 * released by topo_free(). Only topo.c and tests that inspect a host's
 * routes use it; the router's own handles are public (t->rt, router.h).
 */
#ifndef ACKLAB_TOPO_PRIV_H
#define ACKLAB_TOPO_PRIV_H

#include "topo.h"

struct nl_sock;

struct topo_priv {
	struct nl_sock *rtnl[TOPO_MAX_HOSTS]; /* NETLINK_ROUTE, one per host, same index */
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

#endif
