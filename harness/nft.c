/*
 * nft: the fault rules added to and removed from the router's "faults"
 * chain; see nft.h.
 *
 * Rules are added one command at a time with echo + handle output, and the
 * handle is read back from the echoed "# handle N", so heal deletes exactly
 * the rules its fault added. Counters are read from a listing of the chain
 * with handles, matched line by line to the fault's own handles. Hosts are
 * named as in the topology; the flows a fault picks come from the router's
 * conntrack table.
 */
#include "nft.h"

#include "conntrack.h"
#include "router.h"
#include "topo.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_conntrack_tcp.h>

/* Marks on conntrack entries chosen by drop-replies: "AC" then a sequence. */
#define NFT_MARK_BASE 0x41430000u
/* Conntrack entries read per fault: closed flows linger, so look well past the rule limit. */
#define NFT_CT_SCAN 512

/*
 * Append one rule to chain faults and record its handle in f. marks: the
 * rule marks a flow rather than dropping packets (its counter counts SYNs).
 */
static int nft_add_rule(struct topo *t, struct nft_fault *f, const char *rule, bool marks,
			char *err, size_t errlen)
{
	char cmd[512], *out = NULL, *h;
	unsigned long long handle;
	int rc = -1;

	if (f->nhandles >= NFT_FAULT_MAX_RULES)
		return err_set(err, errlen, "nft: a fault may add at most %d rules",
			       NFT_FAULT_MAX_RULES);
	snprintf(cmd, sizeof cmd, "add rule " ROUTER_NFT_TABLE " " ROUTER_NFT_FAULTS " %s", rule);
	if (router_nft(t->rt, cmd, ROUTER_NFT_ECHO | ROUTER_NFT_HANDLES, &out, err, errlen) < 0)
		return -1;
	h = out ? strstr(out, "# handle ") : NULL;
	if (!h || sscanf(h, "# handle %llu", &handle) != 1) {
		err_set(err, errlen, "router: nft: '%s': no handle in the echoed rule", rule);
		goto done;
	}
	f->marks[f->nhandles] = marks;
	f->counts[f->nhandles] = 0;
	f->handles[f->nhandles++] = handle;
	f->nrules = f->nhandles;
	rc = 0;
done:
	free(out);
	return rc;
}

static struct topo_host *nft_host(struct topo *t, const char *name, const char *what, char *err,
				  size_t errlen)
{
	struct topo_host *h = topo_host(t, name);

	if (!h || !h->addr[0]) {
		err_set(err, errlen, "nft: %s: no host named '%s' with an address", what,
			name ? name : "(null)");
		return NULL;
	}
	return h;
}

/*
 * The TCP flows from host from to host to that are established now (both
 * hosts resolved into *a and *b). Returns their number, or -1 with err
 * naming the fault (what).
 */
static int nft_established(struct topo *t, const char *from, const char *to, const char *what,
			   struct topo_host **a, struct topo_host **b, struct ct_flow *flows,
			   int max, char *err, size_t errlen)
{
	struct ct_table *ct;
	char msg[256];
	int n, kept = 0;

	*a = nft_host(t, from, what, err, errlen);
	*b = *a ? nft_host(t, to, what, err, errlen) : NULL;
	if (!*b)
		return -1;
	ct = router_conntrack(t->rt, msg, sizeof msg);
	n = ct ? ct_list(ct, (*a)->addr, (*b)->addr, flows, max, msg, sizeof msg) : -1;
	if (n < 0)
		return err_set(err, errlen, "%s %s -> %s: %s", what, (*a)->name, (*b)->name, msg);
	for (int i = 0; i < n; i++)
		if (flows[i].tcp_state == TCP_CONNTRACK_ESTABLISHED)
			flows[kept++] = flows[i];
	return kept;
}

int nft_drop_replies(struct topo *t, const char *from_host, const char *to_host,
		     struct nft_fault *out, char *err, size_t errlen)
{
	struct topo_host *a, *b;
	struct ct_flow flows[NFT_CT_SCAN];
	char rule[384], cmd[256];
	unsigned id, mark;
	int n, i;

	memset(out, 0, sizeof *out);
	n = nft_established(t, from_host, to_host, "drop-replies", &a, &b, flows,
			    (int)ARRAY_LEN(flows), err, errlen);
	if (n < 0)
		return -1;
	for (i = 0; i < n && out->nhandles < NFT_FAULT_MAX_RULES; i++) {
		/* At the forward hook a reply is already de-NATed: server -> client. */
		snprintf(rule, sizeof rule,
			 "ip saddr %.15s tcp sport %u ip daddr %.15s tcp dport %u "
			 "tcp flags & psh == psh counter drop",
			 flows[i].dst, flows[i].dport, flows[i].src, flows[i].sport);
		if (nft_add_rule(t, out, rule, false, err, errlen) < 0)
			goto err;
		out->flows++;
	}
	if (out->nhandles > 0)
		return 0;

	/* No flow yet: the first new one is marked, and only that one. */
	id = router_next_id(t->rt);
	mark = NFT_MARK_BASE | (id & 0xffff);
	out->next_flow = true;
	snprintf(out->set_name, sizeof out->set_name, "acklab_dr%u", id);
	snprintf(cmd, sizeof cmd,
		 "add set " ROUTER_NFT_TABLE " %s { type ipv4_addr . inet_service; size 1; flags dynamic; }",
		 out->set_name);
	if (router_nft(t->rt, cmd, 0, NULL, err, errlen) < 0) {
		out->set_name[0] = '\0';
		return -1;
	}
	/* A full set stops the rule before "counter": later flows stay unmarked and uncounted. */
	snprintf(rule, sizeof rule,
		 "ip saddr %s ip daddr %s ct state new tcp flags & (fin|syn|rst|ack) == syn "
		 "add @%s { ip saddr . tcp sport } counter ct mark set 0x%08x",
		 a->addr, b->addr, out->set_name, mark);
	if (nft_add_rule(t, out, rule, true, err, errlen) < 0)
		goto err;
	snprintf(rule, sizeof rule,
		 "ct mark 0x%08x ct direction reply tcp flags & psh == psh counter drop", mark);
	if (nft_add_rule(t, out, rule, false, err, errlen) < 0)
		goto err;
	return 0;
err:
	nft_heal(t, out, NULL, 0);
	return -1;
}

int nft_drop(struct topo *t, const char *from_host, const char *to_host, struct nft_fault *out,
	     char *err, size_t errlen)
{
	struct topo_host *a, *b;
	char rule[128];

	memset(out, 0, sizeof *out);
	a = nft_host(t, from_host, "drop", err, errlen);
	b = a ? nft_host(t, to_host, "drop", err, errlen) : NULL;
	if (!b)
		return -1;
	snprintf(rule, sizeof rule, "ip saddr %s ip daddr %s counter drop", a->addr, b->addr);
	return nft_add_rule(t, out, rule, false, err, errlen);
}

int nft_partition(struct topo *t, const char *a_name, const char *b_name, struct nft_fault *out,
		  char *err, size_t errlen)
{
	struct topo_host *a, *b;
	char rule[128];

	memset(out, 0, sizeof *out);
	a = nft_host(t, a_name, "partition", err, errlen);
	b = a ? nft_host(t, b_name, "partition", err, errlen) : NULL;
	if (!b)
		return -1;
	snprintf(rule, sizeof rule, "ip saddr %s ip daddr %s counter drop", a->addr, b->addr);
	if (nft_add_rule(t, out, rule, false, err, errlen) < 0)
		return -1;
	snprintf(rule, sizeof rule, "ip saddr %s ip daddr %s counter drop", b->addr, a->addr);
	if (nft_add_rule(t, out, rule, false, err, errlen) < 0) {
		nft_heal(t, out, NULL, 0);
		return -1;
	}
	return 0;
}

int nft_blackhole(struct topo *t, const char *host, struct nft_fault *out, char *err,
		  size_t errlen)
{
	struct topo_host *h;
	char rule[128];

	memset(out, 0, sizeof *out);
	h = nft_host(t, host, "blackhole", err, errlen);
	if (!h)
		return -1;
	snprintf(rule, sizeof rule, "iifname \"%s\" counter drop", h->router_ifname);
	if (nft_add_rule(t, out, rule, false, err, errlen) < 0)
		return -1;
	snprintf(rule, sizeof rule, "oifname \"%s\" counter drop", h->router_ifname);
	if (nft_add_rule(t, out, rule, false, err, errlen) < 0) {
		nft_heal(t, out, NULL, 0);
		return -1;
	}
	return 0;
}

int nft_reset(struct topo *t, const char *a_name, const char *b_name, struct nft_fault *out,
	      char *err, size_t errlen)
{
	struct topo_host *a, *b;
	struct ct_flow flows[NFT_CT_SCAN];
	char rule[256];
	int n;

	memset(out, 0, sizeof *out);
	n = nft_established(t, a_name, b_name, "reset", &a, &b, flows, (int)ARRAY_LEN(flows), err,
			    errlen);
	if (n < 0)
		return -1;
	/* Only the flows established now; a new connection is a new flow and passes. */
	for (int i = 0; i < n && out->nhandles + 2 <= NFT_FAULT_MAX_RULES; i++) {
		snprintf(rule, sizeof rule, "ip saddr %.15s tcp sport %u ip daddr %.15s tcp dport %u "
			 "counter reject with tcp reset", flows[i].src, flows[i].sport, flows[i].dst,
			 flows[i].dport);
		if (nft_add_rule(t, out, rule, false, err, errlen) < 0)
			goto err;
		snprintf(rule, sizeof rule, "ip saddr %.15s tcp sport %u ip daddr %.15s tcp dport %u "
			 "counter reject with tcp reset", flows[i].dst, flows[i].dport, flows[i].src,
			 flows[i].sport);
		if (nft_add_rule(t, out, rule, false, err, errlen) < 0)
			goto err;
		out->flows++;
	}
	return 0;
err:
	nft_heal(t, out, NULL, 0);
	return -1;
}

/* The index of handle in f, or -1. */
static int nft_handle_index(const struct nft_fault *f, uint64_t handle)
{
	for (int i = 0; i < f->nhandles; i++)
		if (f->handles[i] == handle)
			return i;
	return -1;
}

int nft_read_counters(struct topo *t, struct nft_fault *f, char *err, size_t errlen)
{
	char *out = NULL, *line, *save = NULL;
	uint64_t packets = 0, marked = 0;
	int i;

	if (!f || f->nhandles == 0)
		return 0;
	if (router_nft(t->rt, "list chain " ROUTER_NFT_TABLE " " ROUTER_NFT_FAULTS,
		       ROUTER_NFT_HANDLES, &out, err, errlen) < 0)
		return -1;
	/* "ip saddr ... counter packets 3 bytes 180 drop # handle 7", one rule a line */
	for (line = out ? strtok_r(out, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *h = strstr(line, "# handle "), *c = strstr(line, "counter packets ");
		unsigned long long handle, n;

		if (!h || !c || sscanf(h, "# handle %llu", &handle) != 1 ||
		    sscanf(c, "counter packets %llu", &n) != 1)
			continue;
		i = nft_handle_index(f, handle);
		if (i >= 0)
			f->counts[i] = n;
	}
	free(out);
	/* Rules a partial heal already removed keep their last count. */
	for (i = 0; i < f->nrules; i++) {
		if (f->marks[i])
			marked += f->counts[i];
		else
			packets += f->counts[i];
	}
	f->packets = packets;
	/* The set holds one flow: any SYN counted (retransmits count again) is that flow. */
	if (f->next_flow)
		f->flows = marked > 0;
	return 0;
}

int nft_heal(struct topo *t, struct nft_fault *f, char *err, size_t errlen)
{
	char cmd[128], msg[512];
	int rc = 0;

	if (!f)
		return 0;
	if (nft_read_counters(t, f, msg, sizeof msg) < 0)
		return err_set(err, errlen, "heal: %s", msg);
	while (f->nhandles > 0) {
		uint64_t h = f->handles[f->nhandles - 1];

		snprintf(cmd, sizeof cmd,
			 "delete rule " ROUTER_NFT_TABLE " " ROUTER_NFT_FAULTS " handle %" PRIu64, h);
		/* A rule already gone is healed; anything else is reported. */
		if (router_nft(t->rt, cmd, 0, NULL, msg, sizeof msg) < 0 &&
		    !strstr(msg, "No such file")) {
			rc = err_set(err, errlen, "heal: %s", msg);
			break;
		}
		f->nhandles--;
	}
	if (rc == 0 && f->set_name[0]) {
		snprintf(cmd, sizeof cmd, "delete set " ROUTER_NFT_TABLE " %s", f->set_name);
		if (router_nft(t->rt, cmd, 0, NULL, msg, sizeof msg) < 0 &&
		    !strstr(msg, "No such file"))
			return err_set(err, errlen, "heal: %s", msg);
		f->set_name[0] = '\0';
	}
	return rc;
}
