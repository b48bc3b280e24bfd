/*
 * topo: the isolated network of one experiment.
 *
 *   client host ──veth── router host ──veth── server host
 *   recipient hosts ─veth─┘  (forwarding, NAT masquerade toward the server,
 *                             conntrack with tcp_loose=0, nftables filter)
 *
 * Every host is its own network namespace (held by fd). Each host-router link
 * is its own /24 in 198.18.0.0/15: the router is .1 and the host .2 on
 * 198.18.<link>.0/24 (client link 1, server link 2, recipient k link 10+k,
 * a bot link 100).
 * Hosts route only 198.18.0.0/15 via the router; no default route exists
 * anywhere. Once the links are up, router.c turns the router host into a
 * NAT router (masquerade toward the server, a forward filter that passes
 * established flows and new SYNs only, tcp_loose=0, and an empty chain for
 * fault rules; see router.h), and the topology keeps its handles in t->rt.
 * Built with libnl-route (links, addresses, routes, tbf).
 */
#ifndef ACKLAB_TOPO_H
#define ACKLAB_TOPO_H

#include <stddef.h>

#define TOPO_MAX_SERVERS 8          /* server instances behind a balancer */
#define TOPO_MAX_HOSTS (68 + TOPO_MAX_SERVERS)  /* client, router, server (or lb), instances, a bot, 64 recipients */
#define TOPO_NAME_MAX 32

struct router;

/* TOPO_SERVER is where clients connect: the server, or the balancer in front of TOPO_INSTANCEs. */
enum topo_role { TOPO_ROUTER, TOPO_CLIENT, TOPO_SERVER, TOPO_RECIPIENT, TOPO_INSTANCE, TOPO_BOT };

struct topo_host {
	char name[TOPO_NAME_MAX];     /* "client", "router", "server", "recipient1", ... */
	enum topo_role role;
	int netns_fd;
	char addr[16];                /* the host's address ("198.18.1.2"); router: "" */
	char ifname[16];              /* the host's interface toward the router ("eth0") */
	char router_ifname[16];       /* the router's interface toward this host ("client0") */
	char router_addr[16];         /* the router's address on this link ("198.18.1.1") */
};

struct topo {
	struct topo_host hosts[TOPO_MAX_HOSTS];
	int nhosts;
	struct topo_host *router, *client, *server;   /* server: "server", or "lb" when instances are behind it */
	struct router *rt;            /* the router's nftables and conntrack handles (router.h); owned */
	void *priv;                   /* the hosts' netlink sockets (topo_priv.h); owned */
};

struct topo_config {
	int recipients;               /* 0..64 recipient hosts, named recipient1.. */
	int servers;                  /* 0: one host "server"; 2..TOPO_MAX_SERVERS: "lb" in front of
	                                 hosts server1..serverN (each on its own link to the router) */
	int bot;                      /* 1: a host "bot" on link 100 (198.18.100.2), for a bot role */
};

/* Build the whole topology. On success *out is owned by the caller (topo_free). */
int topo_build(struct topo **out, const struct topo_config *cfg, char *err, size_t errlen);

/* Tear down (close every fd: namespaces and everything in them vanish). NULL ok. */
void topo_free(struct topo *t);

/* The host called name, or NULL. */
struct topo_host *topo_host(struct topo *t, const char *name);

/* A sysctl in one host's namespace, e.g. ("client", "net.ipv4.tcp_retries2", "3"). */
int topo_set_sysctl(struct topo *t, const char *host, const char *key, const char *value,
		    char *err, size_t errlen);

/*
 * Limit the rate of the link between host and router with a tbf qdisc on
 * both ends (rate like "1mbit", "512kbit"); rate NULL removes it.
 */
int topo_set_rate(struct topo *t, const char *host, const char *rate, char *err, size_t errlen);

#endif
