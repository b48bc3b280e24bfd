/*
 * conntrack: the router's connection-tracking table, read and edited through
 * libnl-nf (netfilter netlink) inside the router's namespace.
 *
 * Deleting a flow's entry is how acklab evicts a NAT mapping, as a cloud NAT
 * or load balancer does after an idle timeout: with tcp_loose=0 the flow's
 * next packets are invalid and the forward filter drops them, and neither
 * end is told (the half-open connection).
 */
#ifndef ACKLAB_CONNTRACK_H
#define ACKLAB_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

struct topo;

struct ct_flow {
	char src[16], dst[16];        /* original direction, before NAT */
	uint16_t sport, dport;
	char reply_dst[16];           /* where replies go after NAT (the router's address when masqueraded) */
	uint16_t reply_dport;
	int tcp_state;                /* the kernel's TCP conntrack state number */
};

/*
 * List the TCP flows from host a to host b (b NULL: to anyone) into flows
 * (at most max). Returns the number found, or -1 with err filled.
 */
int ct_list(struct topo *t, const char *a, const char *b, struct ct_flow *flows, int max,
	    char *err, size_t errlen);

/*
 * evict-nat: delete the conntrack entries of every TCP flow from host a to
 * host b (b NULL: to anyone). Returns the number deleted, or -1.
 */
int ct_evict(struct topo *t, const char *a, const char *b, char *err, size_t errlen);

#endif
