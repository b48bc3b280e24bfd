/*
 * conntrack: one namespace's connection-tracking table, read and edited
 * through libnl-nf (netfilter netlink).
 *
 * A struct ct_table is a NETLINK_NETFILTER socket opened inside the
 * namespace it serves (a netlink socket stays bound to the namespace it was
 * made in), so it knows nothing of hosts or topologies: flows are named by
 * their original-direction IPv4 addresses. In acklab that namespace is the
 * router's (router.h holds its table).
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

struct ct_table;

struct ct_flow {
	char src[16], dst[16];        /* original direction, before NAT */
	uint16_t sport, dport;
	char reply_dst[16];           /* where replies go after NAT (the router's address when masqueraded) */
	uint16_t reply_dport;
	int tcp_state;                /* the kernel's TCP conntrack state number */
};

/* Open the table of the namespace netns_fd. On success *out is the caller's (ct_close). */
int ct_open(struct ct_table **out, int netns_fd, char *err, size_t errlen);

/* Close the socket. NULL ok. */
void ct_close(struct ct_table *ct);

/*
 * List the TCP flows from address src to address dst (dst NULL: to anyone)
 * into flows (at most max). Returns the number found, or -1 with err filled.
 */
int ct_list(struct ct_table *ct, const char *src, const char *dst, struct ct_flow *flows,
	    int max, char *err, size_t errlen);

/*
 * Delete the entries of every TCP flow from src to dst (dst NULL: to
 * anyone). Returns the number deleted, or -1 with err filled.
 */
int ct_evict(struct ct_table *ct, const char *src, const char *dst, char *err, size_t errlen);

#endif
