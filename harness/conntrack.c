/*
 * conntrack: reads and evicts a namespace's TCP flows through libnl-nf; see
 * conntrack.h.
 *
 * The NETLINK_NETFILTER socket is opened once, inside the namespace, and
 * every dump and delete goes through it, so no call switches namespace.
 * Flows are matched on their original-direction addresses, which are the
 * hosts' own addresses: masquerade only rewrites the reply tuple.
 */
#include "conntrack.h"

#include "sandbox.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netfilter/ct.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netlink.h>

struct ct_table {
	struct nl_sock *sk;
};

/* Runs inside the namespace: a connected NETLINK_NETFILTER socket. */
static int ct_open_in(void *arg, char *err, size_t errlen)
{
	struct nl_sock **out = arg;
	struct nl_sock *sk = nl_socket_alloc();
	int rc;

	if (!sk)
		return err_set(err, errlen, "nl_socket_alloc: out of memory");
	rc = nfnl_connect(sk);
	if (rc < 0) {
		nl_socket_free(sk);
		return err_set(err, errlen, "connect NETLINK_NETFILTER: %s", nl_geterror(rc));
	}
	*out = sk;
	return 0;
}

int ct_open(struct ct_table **out, int netns_fd, char *err, size_t errlen)
{
	struct ct_table *ct = calloc(1, sizeof *ct);
	char msg[256];

	*out = NULL;
	if (!ct)
		return err_set(err, errlen, "conntrack: out of memory");
	if (sandbox_in_netns(netns_fd, ct_open_in, &ct->sk, msg, sizeof msg) < 0) {
		free(ct);
		return err_set(err, errlen, "conntrack: %s", msg);
	}
	*out = ct;
	return 0;
}

void ct_close(struct ct_table *ct)
{
	if (!ct)
		return;
	nl_socket_free(ct->sk);
	free(ct);
}

/* Dotted quad of an IPv4 nl_addr into buf ("" when absent or not IPv4). */
static void ct_addr_str(struct nl_addr *a, char *buf, size_t len)
{
	buf[0] = '\0';
	if (a && nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4)
		inet_ntop(AF_INET, nl_addr_get_binary_addr(a), buf, (socklen_t)len);
}

struct ct_walk {
	const char *src, *dst;        /* dst "" matches any */
	struct ct_flow *flows;
	int max, n;
	struct nl_sock *del;          /* non-NULL: delete matches through it */
	int deleted, del_err;
};

static void ct_visit(struct nl_object *obj, void *arg)
{
	struct nfnl_ct *ct = (struct nfnl_ct *)obj;
	struct ct_walk *w = arg;
	struct ct_flow f;

	if (nfnl_ct_get_proto(ct) != IPPROTO_TCP)
		return;
	memset(&f, 0, sizeof f);
	ct_addr_str(nfnl_ct_get_src(ct, 0), f.src, sizeof f.src);
	ct_addr_str(nfnl_ct_get_dst(ct, 0), f.dst, sizeof f.dst);
	if (strcmp(f.src, w->src) != 0 || (w->dst[0] && strcmp(f.dst, w->dst) != 0))
		return;
	if (w->del) {
		int rc = nfnl_ct_del(w->del, ct, 0);

		if (rc < 0 && rc != -NLE_OBJ_NOTFOUND)
			w->del_err = rc;
		else if (rc == 0)
			w->deleted++;
		return;
	}
	if (w->n >= w->max)
		return;
	f.sport = nfnl_ct_get_src_port(ct, 0);
	f.dport = nfnl_ct_get_dst_port(ct, 0);
	ct_addr_str(nfnl_ct_get_dst(ct, 1), f.reply_dst, sizeof f.reply_dst);
	f.reply_dport = nfnl_ct_get_dst_port(ct, 1);
	f.tcp_state = nfnl_ct_get_tcp_state(ct);
	w->flows[w->n++] = f;
}

/* Walk the table for TCP flows src -> dst; deletes them when del is set. */
static int ct_walk_flows(struct ct_table *ct, const char *src, const char *dst,
			 struct ct_walk *w, bool del, char *err, size_t errlen)
{
	struct nl_cache *cache = NULL;
	int rc;

	w->src = src;
	w->dst = dst ? dst : "";
	rc = nfnl_ct_alloc_cache(ct->sk, &cache);
	if (rc < 0)
		return err_set(err, errlen, "conntrack: dump: %s", nl_geterror(rc));
	w->del = del ? ct->sk : NULL;
	nl_cache_foreach(cache, ct_visit, w);
	nl_cache_free(cache);
	if (w->del_err)
		return err_set(err, errlen, "conntrack: delete %s -> %s: %s", src, dst ? dst : "*",
			       nl_geterror(w->del_err));
	return 0;
}

int ct_list(struct ct_table *ct, const char *src, const char *dst, struct ct_flow *flows,
	    int max, char *err, size_t errlen)
{
	struct ct_walk w;

	memset(&w, 0, sizeof w);
	w.flows = flows;
	w.max = max;
	if (ct_walk_flows(ct, src, dst, &w, false, err, errlen) < 0)
		return -1;
	return w.n;
}

int ct_evict(struct ct_table *ct, const char *src, const char *dst, char *err, size_t errlen)
{
	struct ct_walk w;

	memset(&w, 0, sizeof w);
	if (ct_walk_flows(ct, src, dst, &w, true, err, errlen) < 0)
		return -1;
	return w.deleted;
}
