/*
 * conntrack: reads and evicts the router's TCP flows through libnl-nf; see
 * conntrack.h.
 *
 * The NETLINK_NETFILTER socket is opened inside the router's namespace on
 * first use and kept in the topology's priv (topo_free closes it). Flows are
 * matched on their original-direction addresses, which are the hosts' own
 * addresses: masquerade only rewrites the reply tuple.
 */
#include "conntrack.h"

#include "sandbox.h"
#include "topo.h"
#include "topo_priv.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <netlink/netfilter/ct.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netlink.h>

static int ct_open(void *arg, char *err, size_t errlen)
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

static struct nl_sock *ct_sock(struct topo *t, char *err, size_t errlen)
{
	struct topo_priv *p = topo_priv(t);
	char msg[256];

	if (!p->nfnl &&
	    sandbox_in_netns(t->router->netns_fd, ct_open, &p->nfnl, msg, sizeof msg) < 0) {
		err_set(err, errlen, "router: conntrack: %s", msg);
		return NULL;
	}
	return p->nfnl;
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

/* Walk the router's table for TCP flows a -> b; deletes them when del is set. */
static int ct_walk_flows(struct topo *t, const char *a, const char *b, struct ct_walk *w,
			 bool del, char *err, size_t errlen)
{
	struct topo_host *ha = topo_host(t, a), *hb = b ? topo_host(t, b) : NULL;
	struct nl_cache *cache = NULL;
	struct nl_sock *sk;
	int rc;

	if (!ha || !ha->addr[0])
		return err_set(err, errlen, "conntrack: no host named '%s' with an address",
			       a ? a : "(null)");
	if (b && (!hb || !hb->addr[0]))
		return err_set(err, errlen, "conntrack: no host named '%s' with an address", b);
	sk = ct_sock(t, err, errlen);
	if (!sk)
		return -1;
	w->src = ha->addr;
	w->dst = hb ? hb->addr : "";
	rc = nfnl_ct_alloc_cache(sk, &cache);
	if (rc < 0)
		return err_set(err, errlen, "router: conntrack: dump: %s", nl_geterror(rc));
	w->del = del ? sk : NULL;
	nl_cache_foreach(cache, ct_visit, w);
	nl_cache_free(cache);
	if (w->del_err)
		return err_set(err, errlen, "router: conntrack: delete %s -> %s: %s", a,
			       b ? b : "*", nl_geterror(w->del_err));
	return 0;
}

int ct_list(struct topo *t, const char *a, const char *b, struct ct_flow *flows, int max,
	    char *err, size_t errlen)
{
	struct ct_walk w;

	memset(&w, 0, sizeof w);
	w.flows = flows;
	w.max = max;
	if (ct_walk_flows(t, a, b, &w, false, err, errlen) < 0)
		return -1;
	return w.n;
}

int ct_evict(struct topo *t, const char *a, const char *b, char *err, size_t errlen)
{
	struct ct_walk w;

	memset(&w, 0, sizeof w);
	if (ct_walk_flows(t, a, b, &w, true, err, errlen) < 0)
		return -1;
	return w.deleted;
}
