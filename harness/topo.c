/*
 * topo: builds the experiment's network (router, client, server,
 * recipients) out of network namespaces held by fd; see topo.h.
 *
 * Every kernel change goes through a netlink socket created inside the
 * namespace it changes (one NETLINK_ROUTE socket per host, kept in priv), so
 * the building thread only switches namespace to open sockets and write
 * sysctls. A veth pair is created in the router with its peer placed straight
 * into the host's namespace (IFLA_NET_NS_FD), so a link costs a handful of
 * netlink round trips and no namespace switch. The router's ruleset and
 * sysctls are router.c's, set up once the links exist. Teardown is closing
 * fds: the last reference to a namespace takes its links, addresses, routes,
 * ruleset and conntrack table with it.
 */
#include "topo.h"

#include "router.h"
#include "sandbox.h"
#include "topo_priv.h"
#include "util.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/route.h>
#include <netlink/route/tc.h>

#define TOPO_HOST_IFNAME "eth0"

struct topo_host *topo_host(struct topo *t, const char *name)
{
	int i;

	if (!t || !name)
		return NULL;
	for (i = 0; i < t->nhosts; i++)
		if (strcmp(t->hosts[i].name, name) == 0)
			return &t->hosts[i];
	return NULL;
}

void topo_free(struct topo *t)
{
	struct topo_priv *p;
	int i;

	if (!t)
		return;
	router_free(t->rt);
	p = t->priv;
	if (p) {
		for (i = 0; i < TOPO_MAX_HOSTS; i++)
			if (p->rtnl[i])
				nl_socket_free(p->rtnl[i]);
		free(p);
	}
	for (i = 0; i < t->nhosts; i++)
		if (t->hosts[i].netns_fd >= 0)
			close(t->hosts[i].netns_fd);
	free(t);
}

/* Runs inside a host's namespace: a connected NETLINK_ROUTE socket. */
static int topo_open_rtnl(void *arg, char *err, size_t errlen)
{
	struct nl_sock **out = arg;
	struct nl_sock *sk;
	int rc;

	sk = nl_socket_alloc();
	if (!sk)
		return err_set(err, errlen, "nl_socket_alloc: out of memory");
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		nl_socket_free(sk);
		return err_set(err, errlen, "connect NETLINK_ROUTE: %s", nl_geterror(rc));
	}
	*out = sk;
	return 0;
}

static void topo_add_host(struct topo *t, const char *name, enum topo_role role, int link)
{
	struct topo_host *h = &t->hosts[t->nhosts++];

	memset(h, 0, sizeof *h);
	h->netns_fd = -1;
	str_copy(h->name, name, sizeof h->name);
	h->role = role;
	if (role == TOPO_ROUTER)
		return;
	snprintf(h->addr, sizeof h->addr, "198.18.%d.2", link);
	snprintf(h->router_addr, sizeof h->router_addr, "198.18.%d.1", link);
	str_copy(h->ifname, TOPO_HOST_IFNAME, sizeof h->ifname);
	snprintf(h->router_ifname, sizeof h->router_ifname, "%.13s0", name);
}

/* ifindex of ifname seen through sk, or -1 with err filled. */
static int topo_ifindex(struct nl_sock *sk, const char *host, const char *ifname, char *err,
			size_t errlen)
{
	struct rtnl_link *link = NULL;
	int rc, idx;

	rc = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (rc < 0)
		return err_set(err, errlen, "topo: %s: find link %s: %s", host, ifname,
			       nl_geterror(rc));
	idx = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return idx;
}

static int topo_link_up(struct nl_sock *sk, const char *host, int ifindex, char *err, size_t errlen)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
	int rc = -1, nrc;

	if (!orig || !change) {
		err_set(err, errlen, "topo: %s: out of memory", host);
		goto done;
	}
	rtnl_link_set_ifindex(orig, ifindex);
	rtnl_link_set_flags(change, IFF_UP);
	nrc = rtnl_link_change(sk, orig, change, 0);
	if (nrc < 0) {
		err_set(err, errlen, "topo: %s: set link %d up: %s", host, ifindex, nl_geterror(nrc));
		goto done;
	}
	rc = 0;
done:
	rtnl_link_put(orig);
	rtnl_link_put(change);
	return rc;
}

static int topo_addr_add(struct nl_sock *sk, const char *host, int ifindex, const char *cidr,
			 char *err, size_t errlen)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int rc = -1, nrc;

	if (!a) {
		err_set(err, errlen, "topo: %s: out of memory", host);
		goto done;
	}
	nrc = nl_addr_parse(cidr, AF_INET, &local);
	if (nrc < 0) {
		err_set(err, errlen, "topo: %s: address %s: %s", host, cidr, nl_geterror(nrc));
		goto done;
	}
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	nrc = rtnl_addr_add(sk, a, 0);
	if (nrc < 0) {
		err_set(err, errlen, "topo: %s: add address %s: %s", host, cidr, nl_geterror(nrc));
		goto done;
	}
	rc = 0;
done:
	nl_addr_put(local);
	rtnl_addr_put(a);
	return rc;
}

/* 198.18.0.0/15 via gw on ifindex: the only route a host has besides its link. */
static int topo_route_add(struct nl_sock *sk, const char *host, int ifindex, const char *gw,
			  char *err, size_t errlen)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = NULL, *via = NULL;
	int rc = -1, nrc;

	if (!r || !nh) {
		err_set(err, errlen, "topo: %s: out of memory", host);
		goto done;
	}
	if (nl_addr_parse("198.18.0.0/15", AF_INET, &dst) < 0 ||
	    nl_addr_parse(gw, AF_INET, &via) < 0) {
		err_set(err, errlen, "topo: %s: route via %s: bad address", host, gw);
		goto done;
	}
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_dst(r, dst);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(r, nh);
	nh = NULL; /* owned by the route now */
	nrc = rtnl_route_add(sk, r, NLM_F_EXCL);
	if (nrc < 0) {
		err_set(err, errlen, "topo: %s: add route 198.18.0.0/15 via %s: %s", host, gw,
			nl_geterror(nrc));
		goto done;
	}
	rc = 0;
done:
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	nl_addr_put(via);
	if (r)
		rtnl_route_put(r);
	return rc;
}

/* The veth pair of host h: router end in the router, eth0 in h, both up. */
static int topo_veth_add(struct topo *t, struct topo_host *h, char *err, size_t errlen)
{
	struct topo_priv *p = t->priv;
	struct rtnl_link *veth = rtnl_link_veth_alloc(), *peer;
	int rc = -1, nrc;

	if (!veth)
		return err_set(err, errlen, "topo: %s: out of memory", h->name);
	peer = rtnl_link_veth_get_peer(veth);
	/* Not up here: a veth cannot open before its peer is linked (ENOTCONN). */
	rtnl_link_set_name(veth, h->router_ifname);
	rtnl_link_set_name(peer, h->ifname);
	rtnl_link_set_ns_fd(peer, h->netns_fd);
	nrc = rtnl_link_add(p->rtnl[topo_host_index(t, t->router)], veth,
			    NLM_F_CREATE | NLM_F_EXCL);
	if (nrc < 0) {
		err_set(err, errlen, "topo: %s: add veth %s <-> %s: %s", h->name, h->router_ifname,
			h->ifname, nl_geterror(nrc));
		goto done;
	}
	rc = 0;
done:
	rtnl_link_put(peer);
	rtnl_link_veth_release(veth);
	return rc;
}

/* Addresses and routes of one link, on both of its ends. */
static int topo_link_config(struct topo *t, struct topo_host *h, char *err, size_t errlen)
{
	struct topo_priv *p = t->priv;
	struct nl_sock *rsk = p->rtnl[topo_host_index(t, t->router)];
	struct nl_sock *hsk = p->rtnl[topo_host_index(t, h)];
	char cidr[24];
	int ridx, hidx;

	ridx = topo_ifindex(rsk, "router", h->router_ifname, err, errlen);
	if (ridx < 0 || topo_link_up(rsk, "router", ridx, err, errlen) < 0)
		return -1;
	snprintf(cidr, sizeof cidr, "%s/24", h->router_addr);
	if (topo_addr_add(rsk, "router", ridx, cidr, err, errlen) < 0)
		return -1;
	hidx = topo_ifindex(hsk, h->name, h->ifname, err, errlen);
	if (hidx < 0 || topo_link_up(hsk, h->name, hidx, err, errlen) < 0)
		return -1;
	snprintf(cidr, sizeof cidr, "%s/24", h->addr);
	if (topo_addr_add(hsk, h->name, hidx, cidr, err, errlen) < 0)
		return -1;
	return topo_route_add(hsk, h->name, hidx, h->router_addr, err, errlen);
}

int topo_build(struct topo **out, const struct topo_config *cfg, char *err, size_t errlen)
{
	struct topo *t;
	struct topo_priv *p;
	char name[TOPO_NAME_MAX];
	int i, recipients = cfg ? cfg->recipients : 0, servers = cfg ? cfg->servers : 0;

	*out = NULL;
	if (recipients < 0 || recipients > 64)
		return err_set(err, errlen, "topo: %d recipients asked, 0..64 supported", recipients);
	if (servers < 0 || servers == 1 || servers > TOPO_MAX_SERVERS)
		return err_set(err, errlen, "topo: %d servers asked, 0 or 2..%d supported", servers,
			       TOPO_MAX_SERVERS);
	t = calloc(1, sizeof *t);
	p = calloc(1, sizeof *p);
	if (!t || !p) {
		free(t);
		free(p);
		return err_set(err, errlen, "topo: out of memory");
	}
	t->priv = p;
	topo_add_host(t, "router", TOPO_ROUTER, 0);
	topo_add_host(t, "client", TOPO_CLIENT, 1);
	topo_add_host(t, servers ? "lb" : "server", TOPO_SERVER, 2);
	/* Instances on links 3.., below the recipients' 11..: each reachable only through the router. */
	for (i = 1; i <= servers; i++) {
		snprintf(name, sizeof name, "server%d", i);
		topo_add_host(t, name, TOPO_INSTANCE, 2 + i);
	}
	if (cfg && cfg->bot)
		topo_add_host(t, "bot", TOPO_BOT, 100);
	for (i = 1; i <= recipients; i++) {
		snprintf(name, sizeof name, "recipient%d", i);
		topo_add_host(t, name, TOPO_RECIPIENT, 10 + i);
	}
	t->router = &t->hosts[0];
	t->client = &t->hosts[1];
	t->server = &t->hosts[2];

	for (i = 0; i < t->nhosts; i++) {
		struct topo_host *h = &t->hosts[i];
		char msg[256];

		h->netns_fd = sandbox_netns_new(msg, sizeof msg);
		if (h->netns_fd < 0) {
			err_set(err, errlen, "topo: %s: %s", h->name, msg);
			goto err;
		}
		if (sandbox_in_netns(h->netns_fd, topo_open_rtnl, &p->rtnl[i], msg, sizeof msg) < 0) {
			err_set(err, errlen, "topo: %s: %s", h->name, msg);
			goto err;
		}
		/* lo is ifindex 1 in every fresh namespace. */
		if (topo_link_up(p->rtnl[i], h->name, 1, err, errlen) < 0)
			goto err;
	}
	for (i = 1; i < t->nhosts; i++)
		if (topo_veth_add(t, &t->hosts[i], err, errlen) < 0 ||
		    topo_link_config(t, &t->hosts[i], err, errlen) < 0)
			goto err;
	if (router_new(&t->rt, t->router->netns_fd, t->server->router_ifname, err, errlen) < 0)
		goto err;
	*out = t;
	return 0;
err:
	topo_free(t);
	return -1;
}

int topo_set_sysctl(struct topo *t, const char *host, const char *key, const char *value,
		    char *err, size_t errlen)
{
	struct topo_host *h = topo_host(t, host);
	char msg[256];

	if (!h)
		return err_set(err, errlen, "topo: no host named '%s'", host ? host : "(null)");
	if (sandbox_sysctl_set(h->netns_fd, key, value, msg, sizeof msg) < 0)
		return err_set(err, errlen, "topo: %s: %s", host, msg);
	return 0;
}

/*
 * A tc-style rate ("512kbit", "1mbit", "10mbps", "1000") in bytes per
 * second: bit units divide by 8, SI multipliers (k = 1000) as tc(8) reads
 * them; a bare number is bits per second.
 */
static int topo_parse_rate(const char *s, long *bytes, char *err, size_t errlen)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "", 1.0 / 8 },          { "bit", 1.0 / 8 },   { "kbit", 1e3 / 8 },
		{ "mbit", 1e6 / 8 },      { "gbit", 1e9 / 8 },  { "bps", 1 },
		{ "kbps", 1e3 },          { "mbps", 1e6 },      { "gbps", 1e9 },
	};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v <= 0)
		return err_set(err, errlen, "rate '%s' is not a positive number with a unit", s);
	for (i = 0; i < ARRAY_LEN(units); i++) {
		if (strcasecmp(end, units[i].unit) == 0) {
			double b = v * units[i].mult;

			if (b < 1 || b > 1e9)
				return err_set(err, errlen, "rate '%s' is out of range 8bit..8gbit", s);
			*bytes = (long)b;
			return 0;
		}
	}
	return err_set(err, errlen, "rate '%s': unknown unit '%s' (bit, kbit, mbit, gbit, bps, kbps, mbps)",
		       s, end);
}

/* Replace (rate > 0) or delete (rate 0) the root qdisc of one interface. */
static int topo_tbf(struct nl_sock *sk, const char *host, const char *ifname, long rate,
		    char *err, size_t errlen)
{
	struct rtnl_qdisc *q = NULL;
	int rc = -1, nrc, idx;

	idx = topo_ifindex(sk, host, ifname, err, errlen);
	if (idx < 0)
		return -1;
	q = rtnl_qdisc_alloc();
	if (!q)
		return err_set(err, errlen, "topo: %s: out of memory", host);
	rtnl_tc_set_ifindex(TC_CAST(q), idx);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	if (rate == 0) {
		nrc = rtnl_qdisc_delete(sk, q);
		/* No tbf there is what was asked for. */
		if (nrc < 0 && nrc != -NLE_OBJ_NOTFOUND && nrc != -NLE_INVAL && nrc != -NLE_NOATTR) {
			err_set(err, errlen, "topo: %s: remove qdisc on %s: %s", host, ifname,
				nl_geterror(nrc));
			goto done;
		}
		rc = 0;
		goto done;
	}
	nrc = rtnl_tc_set_kind(TC_CAST(q), "tbf");
	if (nrc < 0) {
		err_set(err, errlen, "topo: %s: tbf: %s", host, nl_geterror(nrc));
		goto done;
	}
	/* Bucket: 10 ms of traffic but at least two full frames; queue: 100 ms. */
	rtnl_qdisc_tbf_set_rate(q, (int)rate, rate / 100 > 3028 ? (int)(rate / 100) : 3028, 0);
	rtnl_qdisc_tbf_set_limit(q, rate / 10 > 16384 ? (int)(rate / 10) : 16384);
	nrc = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	if (nrc < 0) {
		err_set(err, errlen, "topo: %s: add tbf on %s: %s", host, ifname, nl_geterror(nrc));
		goto done;
	}
	rc = 0;
done:
	rtnl_qdisc_put(q);
	return rc;
}

int topo_set_rate(struct topo *t, const char *host, const char *rate, char *err, size_t errlen)
{
	struct topo_host *h = topo_host(t, host);
	struct topo_priv *p;
	char msg[256];
	long bytes = 0;

	if (!h || h->role == TOPO_ROUTER)
		return err_set(err, errlen, "topo: rate: no host link named '%s'",
			       host ? host : "(null)");
	p = t->priv;
	if (rate && topo_parse_rate(rate, &bytes, msg, sizeof msg) < 0)
		return err_set(err, errlen, "topo: %s: %s", host, msg);
	if (topo_tbf(p->rtnl[topo_host_index(t, h)], h->name, h->ifname, bytes, err, errlen) < 0)
		return -1;
	return topo_tbf(p->rtnl[topo_host_index(t, t->router)], "router", h->router_ifname, bytes,
			err, errlen);
}
