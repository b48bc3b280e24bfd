/*
 * fault_net: the rows of the network faults; see fault_net.h.
 *
 * The rule faults hand their work to nft.c (which keeps the rule handles
 * and counters in f->nft) and copy what the counters say into f->touched
 * when they are healed; evict-nat deletes conntrack entries in the router
 * and counts them at once. Each row's proof opens plain TCP through the
 * lab's router, applies its fault, watches both ends, heals, and holds the
 * fault to what it touched: a rule that hit no packet is no proof.
 */
#include "fault_net.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter/nf_conntrack_tcp.h>

#include "conntrack.h"
#include "lab.h"
#include "netprobe.h"
#include "nft.h"
#include "router.h"
#include "topo.h"
#include "util.h"

/* --- apply and heal --------------------------------------------------------- */

static int net_applied(struct fault *f, int rc)
{
	if (rc == -1)
		return -1;
	f->active = true;
	f->touched.flows = f->nft.flows;
	return 0;
}

static int net_heal(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	if (nft_heal(env->topo, &f->nft, err, errlen) == -1)
		return -1;
	f->touched.packets = f->nft.packets;
	f->touched.flows = f->nft.flows;
	return 0;
}

static int drop_replies_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return net_applied(f, nft_drop_replies(env->topo, f->args[0], f->args[1], &f->nft, err,
					       errlen));
}

static int drop_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return net_applied(f, nft_drop(env->topo, f->args[0], f->args[1], &f->nft, err, errlen));
}

static int partition_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return net_applied(f, nft_partition(env->topo, f->args[0], f->args[1], &f->nft, err, errlen));
}

static int blackhole_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return net_applied(f, nft_blackhole(env->topo, f->args[0], &f->nft, err, errlen));
}

static int reset_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	return net_applied(f, nft_reset(env->topo, f->args[0], f->args[1], &f->nft, err, errlen));
}

/* The address of the host called name, or NULL with err filled. */
static const char *net_addr(struct topo *t, const char *name, char *err, size_t errlen)
{
	struct topo_host *h = topo_host(t, name);

	if (!h || !h->addr[0]) {
		err_set(err, errlen, "no host named '%s' with an address", name);
		return NULL;
	}
	return h->addr;
}

static int evict_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	const char *a = net_addr(env->topo, f->args[0], err, errlen), *b = NULL;
	struct ct_table *ct;
	int n;

	if (!a || (f->nargs > 1 && !(b = net_addr(env->topo, f->args[1], err, errlen))))
		return -1;
	ct = router_conntrack(env->topo->rt, err, errlen);
	n = ct ? ct_evict(ct, a, b, err, errlen) : -1;
	if (n < 0)
		return -1;
	f->touched.flows = n;
	return 0;
}

/* --- describe --------------------------------------------------------------- */

/* "; it dropped 12 packets" once healed (the count is final), else "". */
static const char *net_count(const struct fault *f, const char *verb, char *buf, size_t len)
{
	if (!f->healed)
		return "";
	snprintf(buf, len, "; it %s %" PRIu64 " packet%s", verb, f->touched.packets,
		 f->touched.packets == 1 ? "" : "s");
	return buf;
}

static void drop_replies_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64], which[32];

	if (f->nft.next_flow)
		str_copy(which, "the next new", sizeof which);
	else if (f->nft.flows == 1)
		str_copy(which, "the current", sizeof which);
	else
		snprintf(which, sizeof which, "the %d current", f->nft.flows);
	snprintf(buf, len, "router drops data packets from %s back to %s on %s %s->%s flow%s "
		 "(the request gets through, the reply never does)%s",
		 f->args[1], f->args[0], which, f->args[0], f->args[1],
		 !f->nft.next_flow && f->nft.flows != 1 ? "s" : "",
		 net_count(f, "dropped", count, sizeof count));
}

static void drop_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64];

	snprintf(buf, len, "router drops every packet from %s to %s%s", f->args[0], f->args[1],
		 net_count(f, "dropped", count, sizeof count));
}

static void partition_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64];

	snprintf(buf, len, "router drops every packet between %s and %s, both ways%s", f->args[0],
		 f->args[1], net_count(f, "dropped", count, sizeof count));
}

static void blackhole_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64];

	snprintf(buf, len, "router drops every packet in or out of %s's link%s", f->args[0],
		 net_count(f, "dropped", count, sizeof count));
}

static void reset_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64];

	snprintf(buf, len, "router answers the next packet of the %d %s->%s flow%s established now "
		 "with a TCP reset (new flows pass)%s", f->touched.flows, f->args[0], f->args[1],
		 f->touched.flows == 1 ? "" : "s", net_count(f, "reset", count, sizeof count));
}

static void evict_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "router forgot the NAT state of %d %s->%s flow%s (their next packets are "
		 "dropped as invalid; neither end is told)", f->touched.flows, f->args[0],
		 f->nargs > 1 ? f->args[1] : "any", f->touched.flows == 1 ? "" : "s");
}

/* --- proofs, on plain TCP between the lab's client and server --------------- */

/* f made from row ops on (a, b) (b may be NULL) and applied in the lab. */
static int net_fault(struct lab *lab, struct fault *f, const struct fault_ops *ops,
		     const char *a, const char *b, char *err, size_t errlen)
{
	const char *args[] = { a, b };

	if (fault_init(f, ops, args, b ? 2 : 1, err, errlen) == -1)
		return -1;
	return fault_apply(f, &lab->env, err, errlen);
}

static void net_heal_in(struct lab *lab, struct fault *f, char *err, size_t errlen)
{
	fault_heal(f, &lab->env, err, errlen);
}

static void drop_replies_prove(struct lab *lab, struct fault_proof *out)
{
	struct lab_pair p = { -1, -1 };
	struct fault f = { 0 };
	char err[256];
	bool got_req = false, no_reply = false, fresh = false;

	if (lab_pair_open(lab, &p, NULL, 0, err, sizeof err) == 0 &&
	    net_fault(lab, &f, &fault_drop_replies, "client", "server", err, sizeof err) == 0) {
		got_req = netprobe_send(p.c, "request", 7, LAB_WAIT_MS, err, sizeof err) == 0 &&
			  lab_arrives(p.s);
		no_reply = netprobe_send(p.s, "reply", 5, LAB_WAIT_MS, err, sizeof err) == 0 &&
			   lab_quiet(p.c);
		fresh = lab_fresh_works(lab);
		net_heal_in(lab, &f, err, sizeof err);
		snprintf(out->observed, sizeof out->observed,
			 "server %s the request; client got %s (%" PRIu64 " dropped on %d flow%s); "
			 "new connection %s", got_req ? "got" : "did not get",
			 no_reply ? "no reply" : "the reply", f.touched.packets, f.touched.flows,
			 f.touched.flows == 1 ? "" : "s", fresh ? "works" : "fails");
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = got_req && no_reply && fresh && f.touched.packets > 0 && f.touched.flows > 0;
	lab_pair_close(&p);
}

static void drop_prove(struct lab *lab, struct fault_proof *out)
{
	struct lab_pair p = { -1, -1 };
	struct fault f = { 0 };
	char err[256];
	bool lost = false, back_ok = false, healed = false;

	if (lab_pair_open(lab, &p, NULL, 0, err, sizeof err) == 0 &&
	    net_fault(lab, &f, &fault_drop, "client", "server", err, sizeof err) == 0) {
		lost = netprobe_send(p.c, "x", 1, LAB_WAIT_MS, err, sizeof err) == 0 &&
		       lab_quiet(p.s);
		back_ok = netprobe_send(p.s, "y", 1, LAB_WAIT_MS, err, sizeof err) == 0 &&
			  lab_arrives(p.c);
		net_heal_in(lab, &f, err, sizeof err);
		healed = lab_fresh_works(lab);
		snprintf(out->observed, sizeof out->observed,
			 "client->server %s (%" PRIu64 " dropped); server->client %s; after heal %s",
			 lost ? "lost" : "delivered", f.touched.packets,
			 back_ok ? "delivered" : "lost", healed ? "works" : "still broken");
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = lost && back_ok && healed && f.touched.packets > 0;
	lab_pair_close(&p);
}

static void partition_prove(struct lab *lab, struct fault_proof *out)
{
	struct lab_pair p = { -1, -1 };
	struct fault f = { 0 };
	char err[256];
	bool there = false, back = false, healed = false;

	if (lab_pair_open(lab, &p, NULL, 0, err, sizeof err) == 0 &&
	    net_fault(lab, &f, &fault_partition, "client", "server", err, sizeof err) == 0) {
		there = netprobe_send(p.c, "x", 1, LAB_WAIT_MS, err, sizeof err) == 0 && lab_quiet(p.s);
		back = netprobe_send(p.s, "y", 1, LAB_WAIT_MS, err, sizeof err) == 0 && lab_quiet(p.c);
		net_heal_in(lab, &f, err, sizeof err);
		healed = lab_fresh_works(lab);
		snprintf(out->observed, sizeof out->observed,
			 "client->server %s; server->client %s (%" PRIu64 " dropped); after heal %s",
			 there ? "lost" : "delivered", back ? "lost" : "delivered", f.touched.packets,
			 healed ? "works" : "still broken");
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = there && back && healed && f.touched.packets >= 2;
	lab_pair_close(&p);
}

static void blackhole_prove(struct lab *lab, struct fault_proof *out)
{
	struct fault f = { 0 };
	char err[256];
	bool refused = false, healed = false;
	int fd;

	if (net_fault(lab, &f, &fault_blackhole, "server", NULL, err, sizeof err) == 0) {
		fd = netprobe_connect(lab->topo, "client", lab->topo->server->addr, LAB_PORT,
				      LAB_QUIET_MS, err, sizeof err);
		refused = fd < 0 && errno == ETIMEDOUT;
		if (fd >= 0)
			close(fd);
		net_heal_in(lab, &f, err, sizeof err);
		/* the unanswered SYN may sit in the backlog once healed */
		lab_drain(lab);
		healed = lab_fresh_works(lab);
		snprintf(out->observed, sizeof out->observed, "connect %s (%" PRIu64 " dropped); "
			 "after heal %s", refused ? "timed out" : "got through", f.touched.packets,
			 healed ? "works" : "still broken");
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = refused && healed && f.touched.packets > 0;
}

static void reset_prove(struct lab *lab, struct fault_proof *out)
{
	struct lab_pair p = { -1, -1 };
	struct fault f = { 0 };
	char err[256], buf[16];
	bool reset = false, fresh = false;

	if (lab_pair_open(lab, &p, NULL, 0, err, sizeof err) == 0 &&
	    net_fault(lab, &f, &fault_reset, "client", "server", err, sizeof err) == 0) {
		netprobe_send(p.c, "x", 1, LAB_WAIT_MS, err, sizeof err);
		reset = netprobe_recv(p.c, buf, sizeof buf, LAB_WAIT_MS, err, sizeof err) == -1 &&
			errno == ECONNRESET;
		fresh = lab_fresh_works(lab);
		net_heal_in(lab, &f, err, sizeof err);
		snprintf(out->observed, sizeof out->observed,
			 "client %s (%" PRIu64 " reset on %d flow%s); new connection %s",
			 reset ? "got ECONNRESET" : err, f.touched.packets, f.touched.flows,
			 f.touched.flows == 1 ? "" : "s", fresh ? "works" : "fails");
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = reset && fresh && f.touched.packets > 0;
	lab_pair_close(&p);
}

/* How many client->server flows the router tracks as established now (-1: unknown). */
static int net_established(struct lab *lab)
{
	struct ct_flow flows[64];
	struct ct_table *ct = router_conntrack(lab->topo->rt, NULL, 0);
	int n = ct ? ct_list(ct, lab->topo->client->addr, lab->topo->server->addr, flows,
			     (int)ARRAY_LEN(flows), NULL, 0) : -1, established = 0;

	for (int i = 0; i < n; i++)
		established += flows[i].tcp_state == TCP_CONNTRACK_ESTABLISHED;
	return n < 0 ? -1 : established;
}

static void evict_prove(struct lab *lab, struct fault_proof *out)
{
	struct lab_pair p = { -1, -1 };
	struct fault f = { 0 };
	char err[256];
	double send_ms = -1;
	bool sent = false, lost = false, fresh = false;
	int established = -1;

	/* Earlier proofs' closed flows are still tracked, and evicted too: say which count. */
	if (lab_pair_open(lab, &p, NULL, 0, err, sizeof err) == 0)
		established = net_established(lab);
	if (p.s >= 0 &&
	    net_fault(lab, &f, &fault_evict_nat, "client", "server", err, sizeof err) == 0) {
		int64_t t = mono_ns();

		sent = netprobe_send(p.c, "after-eviction", 14, 50, err, sizeof err) == 0;
		send_ms = ms_since(t);
		lost = lab_quiet(p.s);
		fresh = lab_fresh_works(lab);
		snprintf(out->observed, sizeof out->observed,
			 "%d entr%s deleted (%d established); send() %s in %.2f ms; server got %s; "
			 "new connection %s", f.touched.flows, f.touched.flows == 1 ? "y" : "ies",
			 established, sent ? "succeeded" : "failed", send_ms,
			 lost ? "nothing" : "the bytes", fresh ? "works" : "fails");
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = sent && lost && fresh && send_ms < 50 && f.touched.flows > 0;
	lab_pair_close(&p);
}

/* --- the rows --------------------------------------------------------------- */

const struct fault_ops fault_drop_replies = {
	"drop-replies", "drop-replies FROM-HOST TO-HOST",
	"lose the data packets of replies on the current (or next) FROM->TO flow", 2, 2,
	FAULT_ARG_HOST, 0, fault_validate_hosts, drop_replies_apply, net_heal,
	drop_replies_describe,
	"request arrives, reply never does, a new connection works", drop_replies_prove, 0,
};

const struct fault_ops fault_drop = {
	"drop", "drop FROM-HOST TO-HOST", "lose every packet from one host to another", 2, 2,
	FAULT_ARG_HOST, 0, fault_validate_hosts, drop_apply, net_heal, drop_describe,
	"one direction lost, the other delivered; heal restores", drop_prove, 0,
};

const struct fault_ops fault_partition = {
	"partition", "partition HOST HOST", "lose every packet between two hosts, both ways", 2, 2,
	FAULT_ARG_HOST, 0, fault_validate_hosts, partition_apply, net_heal, partition_describe,
	"both directions lost; heal restores", partition_prove, 0,
};

const struct fault_ops fault_blackhole = {
	"blackhole", "blackhole HOST", "lose every packet in or out of a host's link", 1, 1,
	FAULT_ARG_HOST, 0, fault_validate_hosts, blackhole_apply, net_heal, blackhole_describe,
	"nothing in or out of the server's link; heal restores", blackhole_prove, 0,
};

const struct fault_ops fault_reset = {
	"reset", "reset FROM-HOST TO-HOST",
	"reset the FROM->TO TCP flows established now (new ones pass)", 2, 2, FAULT_ARG_HOST, 0,
	fault_validate_hosts, reset_apply, net_heal, reset_describe,
	"the flow's next packet gets a TCP reset; new flows pass", reset_prove, 0,
};

const struct fault_ops fault_evict_nat = {
	"evict-nat", "evict-nat FROM-HOST [TO-HOST]",
	"delete the router's conntrack/NAT entries of FROM->TO flows (half-open connections)", 1,
	2, FAULT_ARG_HOST, 0, fault_validate_hosts, evict_apply, NULL, evict_describe,
	"client send() succeeds at once, server never gets it", evict_prove, 0,
};
