/*
 * Unit tests for sandbox + topo: the topology is built once per group inside
 * the sandbox (this program is PID 1 of its own namespaces), then checked:
 * addresses, no default route, NAT seen from the server, the router's
 * sysctls and base ruleset (and that the router module stands on a bare
 * namespace alone), tbf on and off, and that freeing the topology really destroys
 * every namespace. Exits 77 when the kernel refuses namespaces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "../../harness/netprobe.h"
#include "../../harness/router.h"
#include "../../harness/sandbox.h"
#include "../../harness/topo.h"
#include "../../harness/topo_priv.h"
#include "util.h"

static struct topo *topo;
static double build_ms;

static int group_setup(void **state)
{
	char err[512];
	struct topo_config cfg = { .recipients = 2 };
	int64_t t0 = mono_ns();

	if (topo_build(&topo, &cfg, err, sizeof err) < 0) {
		fprintf(stderr, "topo_build: %s\n", err);
		return -1;
	}
	build_ms = ms_since(t0);
	printf("# topology with %d hosts built in %.1f ms\n", topo->nhosts, build_ms);
	return 0;
}

static int group_teardown(void **state)
{
	topo_free(topo);
	topo = NULL;
	return 0;
}

struct addr_check {
	const char *ifname, *addr;
	int found, lo_up;
};

static int check_addrs_in(void *arg, char *err, size_t errlen)
{
	struct addr_check *c = arg;
	struct ifaddrs *ifa, *i;
	char buf[INET_ADDRSTRLEN];

	if (getifaddrs(&ifa) < 0)
		return err_set(err, errlen, "getifaddrs: %s", strerror(errno));
	for (i = ifa; i; i = i->ifa_next) {
		if (strcmp(i->ifa_name, "lo") == 0 && (i->ifa_flags & IFF_UP))
			c->lo_up = 1;
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf, sizeof buf);
		if (strcmp(i->ifa_name, c->ifname) == 0 && strcmp(buf, c->addr) == 0 &&
		    (i->ifa_flags & IFF_UP))
			c->found = 1;
	}
	freeifaddrs(ifa);
	return 0;
}

static void test_build_time(void **state)
{
	/* Five hosts (router, client, server, two recipients): well under 100 ms. */
	assert_true(build_ms < 100.0);
}

static void test_addresses(void **state)
{
	char err[256];
	int i;

	for (i = 0; i < topo->nhosts; i++) {
		struct topo_host *h = &topo->hosts[i];
		struct addr_check c = { h->ifname, h->addr, 0, 0 };

		if (h->role == TOPO_ROUTER)
			continue;
		assert_int_equal(sandbox_in_netns(h->netns_fd, check_addrs_in, &c, err, sizeof err), 0);
		if (!c.found)
			fail_msg("%s: %s has no %s", h->name, h->ifname, h->addr);
		assert_true(c.lo_up);
		/* ... and the router's end of the link */
		struct addr_check r = { h->router_ifname, h->router_addr, 0, 0 };
		assert_int_equal(sandbox_in_netns(topo->router->netns_fd, check_addrs_in, &r, err,
						  sizeof err), 0);
		if (!r.found)
			fail_msg("router: %s has no %s", h->router_ifname, h->router_addr);
	}
}

static void test_no_default_route(void **state)
{
	struct topo_priv *p = topo_priv(topo);
	int i;

	for (i = 0; i < topo->nhosts; i++) {
		struct nl_cache *cache = NULL;
		struct nl_object *o;
		int routes = 0;

		assert_int_equal(rtnl_route_alloc_cache(p->rtnl[i], AF_INET, 0, &cache), 0);
		for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
			struct rtnl_route *r = (struct rtnl_route *)o;

			if (rtnl_route_get_table(r) != RT_TABLE_MAIN)
				continue;
			routes++;
			if (nl_addr_get_prefixlen(rtnl_route_get_dst(r)) == 0)
				fail_msg("%s has a default route", topo->hosts[i].name);
		}
		nl_cache_free(cache);
		assert_true(routes > 0);
	}
}

static void test_nat_seen_from_server(void **state)
{
	char err[256], peer[INET_ADDRSTRLEN] = "";
	char buf[16];
	int l, c, s;

	l = netprobe_listen(topo, "server", 7001, err, sizeof err);
	assert_true(l >= 0);
	c = netprobe_connect(topo, "client", topo->server->addr, 7001, 1000, err, sizeof err);
	if (c < 0)
		fail_msg("%s", err);
	s = netprobe_accept(l, 1000, peer, sizeof peer, err, sizeof err);
	if (s < 0)
		fail_msg("%s", err);
	assert_string_equal(peer, topo->server->router_addr);
	assert_int_equal(netprobe_send(c, "ping", 4, 500, err, sizeof err), 0);
	assert_int_equal(netprobe_recv(s, buf, sizeof buf, 1000, err, sizeof err), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(netprobe_send(s, "pong", 4, 500, err, sizeof err), 0);
	assert_int_equal(netprobe_recv(c, buf, sizeof buf, 1000, err, sizeof err), 4);
	/* a recipient reaches the server too */
	int r = netprobe_connect(topo, "recipient2", topo->server->addr, 7001, 1000, err, sizeof err);
	if (r < 0)
		fail_msg("%s", err);
	close(r);
	close(s);
	close(c);
	close(l);
}

static void test_client_reaches_recipient(void **state)
{
	/* No listener: the recipient answers with a reset, which crosses the router. */
	char err[256];
	int c = netprobe_connect(topo, "client", topo_host(topo, "recipient1")->addr, 7002, 1000,
				 err, sizeof err);

	assert_int_equal(c, -1);
	assert_int_equal(errno, ECONNREFUSED);
}

struct read_file {
	const char *path;
	char buf[64];
};

static int read_in(void *arg, char *err, size_t errlen)
{
	struct read_file *r = arg;
	FILE *f = fopen(r->path, "r");

	if (!f)
		return err_set(err, errlen, "%s: %s", r->path, strerror(errno));
	if (!fgets(r->buf, sizeof r->buf, f))
		r->buf[0] = '\0';
	fclose(f);
	r->buf[strcspn(r->buf, "\n")] = '\0';
	return 0;
}

static void test_router_sysctls(void **state)
{
	struct read_file loose = { "/proc/sys/net/netfilter/nf_conntrack_tcp_loose", "" };
	struct read_file fwd = { "/proc/sys/net/ipv4/ip_forward", "" };
	struct read_file cfwd = { "/proc/sys/net/ipv4/ip_forward", "" };
	char err[256];

	assert_int_equal(sandbox_in_netns(topo->router->netns_fd, read_in, &loose, err, sizeof err), 0);
	assert_string_equal(loose.buf, "0");
	assert_int_equal(sandbox_in_netns(topo->router->netns_fd, read_in, &fwd, err, sizeof err), 0);
	assert_string_equal(fwd.buf, "1");
	assert_int_equal(sandbox_in_netns(topo->client->netns_fd, read_in, &cfwd, err, sizeof err), 0);
	assert_string_equal(cfwd.buf, "0");
	/* topo_set_sysctl names the key on failure */
	assert_int_equal(topo_set_sysctl(topo, "client", "net.ipv4.no_such_key", "1", err, sizeof err), -1);
	assert_non_null(strstr(err, "net.ipv4.no_such_key"));
	assert_non_null(strstr(err, "client"));
	assert_int_equal(topo_set_sysctl(topo, "client", "net.ipv4.tcp_retries2", "3", err, sizeof err), 0);
}

/*
 * The router's base ruleset, as the kernel lists it: the fault chain is
 * jumped before anything is accepted, the forward policy is drop with only
 * established flows and new SYNs let through, invalid packets to the router
 * are dropped, and traffic out of the server link is masqueraded.
 */
static void test_router_ruleset(void **state)
{
	char err[512], *out = NULL;
	const char *jump, *est, *syn, *inv, *masq;

	if (router_nft(topo->rt, "list table ip acklab", 0, &out, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_non_null(out);
	assert_non_null(strstr(out, "chain faults {\n\t}"));
	assert_non_null(strstr(out, "type filter hook forward priority filter; policy drop;"));
	jump = strstr(out, "jump faults");
	est = strstr(out, "ct state established,related accept");
	syn = strstr(out, "ct state new tcp flags syn / fin,syn,rst,ack accept");
	inv = strstr(out, "ct state invalid drop");
	masq = strstr(out, "oifname \"server0\" masquerade");
	if (!jump || !est || !syn || !inv || !masq)
		fail_msg("base ruleset incomplete:\n%s", out);
	assert_true(jump < est && est < syn);
	free(out);
}

/* A UDP socket on port 7003 of one host that has sent one datagram to port 7003 of another. */
struct udp_probe {
	const char *to;
	int fd;
};

static int udp_send_in(void *arg, char *err, size_t errlen)
{
	struct udp_probe *u = arg;
	struct sockaddr_in here = { .sin_family = AF_INET, .sin_port = htons(7003) };
	struct sockaddr_in there = here;

	u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (u->fd < 0)
		return err_set(err, errlen, "socket: %s", strerror(errno));
	inet_pton(AF_INET, u->to, &there.sin_addr);
	if (bind(u->fd, (struct sockaddr *)&here, sizeof here) < 0 ||
	    sendto(u->fd, "x", 1, 0, (struct sockaddr *)&there, sizeof there) != 1)
		return err_set(err, errlen, "udp: %s", strerror(errno));
	return 0;
}

/* Forward policy drop: what is not a TCP flow begun with a SYN does not cross. */
static void test_router_forwards_only_tcp_flows(void **state)
{
	struct udp_probe srv = { topo->client->addr, -1 }, cli = { topo->server->addr, -1 };
	char err[256], buf[4];

	assert_int_equal(sandbox_in_netns(topo->server->netns_fd, udp_send_in, &srv, err,
					  sizeof err), 0);
	assert_int_equal(sandbox_in_netns(topo->client->netns_fd, udp_send_in, &cli, err,
					  sizeof err), 0);
	/* Each side sent one datagram to the other: neither arrives. */
	assert_int_equal(netprobe_recv(srv.fd, buf, sizeof buf, 200, err, sizeof err), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(netprobe_recv(cli.fd, buf, sizeof buf, 50, err, sizeof err), -1);
	assert_int_equal(errno, ETIMEDOUT);
	close(srv.fd);
	close(cli.fd);
}

/* router_new needs a namespace and an interface name, nothing of a topology. */
static void test_router_alone(void **state)
{
	struct read_file loose = { "/proc/sys/net/netfilter/nf_conntrack_tcp_loose", "" };
	struct read_file fwd = { "/proc/sys/net/ipv4/ip_forward", "" };
	struct router *r = NULL;
	char err[512], *out = NULL;
	int ns = sandbox_netns_new(err, sizeof err);

	assert_true(ns >= 0);
	if (router_new(&r, ns, "nat0", err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(sandbox_in_netns(ns, read_in, &loose, err, sizeof err), 0);
	assert_string_equal(loose.buf, "0");
	assert_int_equal(sandbox_in_netns(ns, read_in, &fwd, err, sizeof err), 0);
	assert_string_equal(fwd.buf, "1");
	assert_non_null(router_conntrack(r, err, sizeof err));
	assert_int_equal(router_next_id(r), 1);
	assert_int_equal(router_next_id(r), 2);
	assert_int_equal(router_nft(r, "list chain ip acklab nowhere", 0, &out, err, sizeof err), -1);
	assert_null(out);
	assert_int_equal(strncmp(err, "router: nft: ", 13), 0);
	router_free(r);
	close(ns);
}

static void test_rate(void **state)
{
	char err[256];

	if (topo_set_rate(topo, "client", "1mbit", err, sizeof err) < 0)
		fail_msg("%s", err);
	if (topo_set_rate(topo, "client", "2mbit", err, sizeof err) < 0)
		fail_msg("%s", err);
	if (topo_set_rate(topo, "client", NULL, err, sizeof err) < 0)
		fail_msg("%s", err);
	if (topo_set_rate(topo, "client", NULL, err, sizeof err) < 0)
		fail_msg("removing twice: %s", err);
	assert_int_equal(topo_set_rate(topo, "client", "fast", err, sizeof err), -1);
	assert_non_null(strstr(err, "fast"));
	assert_int_equal(topo_set_rate(topo, "nobody", "1mbit", err, sizeof err), -1);
}

/*
 * Freeing a topology destroys its namespaces. A namespace cannot be looked
 * at once nobody holds it, so each host gets a witness: a veth whose one end
 * lives here (in the home namespace) and whose other end lives in the host.
 * The kernel deletes the pair when the host's namespace is destroyed, so the
 * home ends must vanish (namespace cleanup is asynchronous: poll, deadline).
 */
static void test_free_destroys_namespaces(void **state)
{
	struct topo_config cfg = { .recipients = 1 };
	struct nl_sock *sk = nl_socket_alloc();
	struct topo *t = NULL;
	char err[512], name[16];
	int i, n, left;
	int64_t deadline;

	assert_non_null(sk);
	assert_int_equal(nl_connect(sk, NETLINK_ROUTE), 0);
	if (topo_build(&t, &cfg, err, sizeof err) < 0)
		fail_msg("%s", err);
	n = t->nhosts;
	for (i = 0; i < n; i++) {
		struct rtnl_link *veth = rtnl_link_veth_alloc(), *peer = rtnl_link_veth_get_peer(veth);

		snprintf(name, sizeof name, "witness%d", i);
		rtnl_link_set_name(veth, name);
		rtnl_link_set_name(peer, "witness");
		rtnl_link_set_ns_fd(peer, t->hosts[i].netns_fd);
		assert_int_equal(rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL), 0);
		rtnl_link_put(peer);
		rtnl_link_veth_release(veth);
	}
	topo_free(t);
	deadline = mono_ns() + 5000000000LL;
	do {
		left = 0;
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof name, "witness%d", i);
			if (if_nametoindex(name) != 0)
				left++;
		}
		if (left == 0)
			break;
		struct nl_cache *c = NULL; /* a netlink round trip paces the poll */
		rtnl_link_alloc_cache(sk, AF_UNSPEC, &c);
		nl_cache_free(c);
	} while (mono_ns() < deadline);
	nl_socket_free(sk);
	if (left)
		fail_msg("%d of %d namespaces outlived topo_free", left, n);
}

int main(void)
{
	char err[512];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_time),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_no_default_route),
		cmocka_unit_test(test_nat_seen_from_server),
		cmocka_unit_test(test_client_reaches_recipient),
		cmocka_unit_test(test_router_sysctls),
		cmocka_unit_test(test_router_ruleset),
		cmocka_unit_test(test_router_forwards_only_tcp_flows),
		cmocka_unit_test(test_router_alone),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_free_destroys_namespaces),
	};

	if (sandbox_enter(err, sizeof err) < 0) {
		printf("skip: %s\n", err);
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
