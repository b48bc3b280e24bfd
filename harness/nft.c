/*
 * nft: the router's nftables ruleset and the fault rules added to and
 * removed from it; see nft.h.
 *
 * One libnftables context per topology, created inside the router's
 * namespace, and every command also runs there, so whatever socket
 * libnftables opens (now or on a reopen) talks to the router. Fault rules are
 * added one command at a time with echo + handle output, and the handle is
 * read back from the echoed "# handle N", so heal deletes exactly the rules
 * its fault added and never disturbs another fault's.
 */
#include "nft.h"

#include "conntrack.h"
#include "sandbox.h"
#include "topo.h"
#include "topo_priv.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_conntrack_tcp.h>
#include <nftables/libnftables.h>

/* Marks on conntrack entries chosen by drop-replies: "AC" then a sequence. */
#define NFT_MARK_BASE 0x41430000u
/* Conntrack entries read per fault: closed flows linger, so look well past the rule limit. */
#define NFT_CT_SCAN 512

struct nft_call {
	struct nft_ctx *ctx;
	const char *cmds;
	unsigned flags;
	char *out;          /* copy of the output buffer, caller frees (may stay NULL) */
};

static int nft_ctx_make(void *arg, char *err, size_t errlen)
{
	struct nft_ctx **out = arg;
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!ctx)
		return err_set(err, errlen, "nft_ctx_new failed");
	if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
		nft_ctx_free(ctx);
		return err_set(err, errlen, "nft: cannot buffer output");
	}
	*out = ctx;
	return 0;
}

/* First line of an nft error message, without the trailing newline. */
static void nft_first_line(const char *s, char *buf, size_t len)
{
	size_t n = strcspn(s, "\n");

	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

static int nft_call_run(void *arg, char *err, size_t errlen)
{
	struct nft_call *c = arg;
	const char *o, *e;
	char line[512];
	int rc;

	nft_ctx_output_set_flags(c->ctx, c->flags);
	rc = nft_run_cmd_from_buffer(c->ctx, c->cmds);
	nft_ctx_output_set_flags(c->ctx, 0);
	o = nft_ctx_get_output_buffer(c->ctx);
	e = nft_ctx_get_error_buffer(c->ctx);
	if (rc != 0) {
		nft_first_line(e && *e ? e : "failed", line, sizeof line);
		/* The error text quotes the command; the caller adds where it came from. */
		return err_set(err, errlen, "%s", line);
	}
	if (o && *o) {
		c->out = strdup(o);
		if (!c->out)
			return err_set(err, errlen, "out of memory");
	}
	return 0;
}

/* Run cmds in the router; *out (if non-NULL) gets a malloc'd copy of the output. */
static int nft_exec(struct topo *t, const char *cmds, unsigned flags, char **out, char *err,
		    size_t errlen)
{
	struct topo_priv *p = topo_priv(t);
	struct nft_call c = { p ? p->nft : NULL, cmds, flags, NULL };
	char msg[512];
	int rc;

	if (!c.ctx)
		return err_set(err, errlen, "nft: the router has no ruleset yet");
	rc = sandbox_in_netns(t->router->netns_fd, nft_call_run, &c, msg, sizeof msg);
	if (rc < 0) {
		free(c.out);
		return err_set(err, errlen, "router: nft: %s", msg);
	}
	if (out)
		*out = c.out;
	else
		free(c.out);
	return 0;
}

void nft_ctx_release(struct topo *t)
{
	struct topo_priv *p = t ? topo_priv(t) : NULL;

	if (p && p->nft) {
		nft_ctx_free(p->nft);
		p->nft = NULL;
	}
}

int nft_setup_router(struct topo *t, char *err, size_t errlen)
{
	struct topo_priv *p = topo_priv(t);
	char rules[1024], msg[256];

	if (!p->nft && sandbox_in_netns(t->router->netns_fd, nft_ctx_make, &p->nft, msg,
					sizeof msg) < 0)
		return err_set(err, errlen, "router: nft: %s", msg);
	/*
	 * input drops invalid packets addressed to the router itself: after an
	 * eviction the server's packets to the masqueraded port would otherwise
	 * reach the router's own TCP stack and be answered with a reset, and the
	 * half-open connection would not stay silent.
	 */
	snprintf(rules, sizeof rules,
		 "table ip acklab {\n"
		 "\tchain faults {\n"
		 "\t}\n"
		 "\tchain forward {\n"
		 "\t\ttype filter hook forward priority filter; policy drop;\n"
		 "\t\tjump faults\n"
		 "\t\tct state established,related accept\n"
		 "\t\tct state new tcp flags & (fin|syn|rst|ack) == syn accept\n"
		 "\t}\n"
		 "\tchain input {\n"
		 "\t\ttype filter hook input priority filter; policy accept;\n"
		 "\t\tct state invalid drop\n"
		 "\t}\n"
		 "\tchain postrouting {\n"
		 "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		 "\t\toifname \"%s\" masquerade\n"
		 "\t}\n"
		 "}\n",
		 t->server->router_ifname);
	return nft_exec(t, rules, 0, NULL, err, errlen);
}

int nft_run(struct topo *t, const char *cmds, char *err, size_t errlen)
{
	return nft_exec(t, cmds, 0, NULL, err, errlen);
}

int nft_query(struct topo *t, const char *cmds, char **out, char *err, size_t errlen)
{
	*out = NULL;
	return nft_exec(t, cmds, 0, out, err, errlen);
}

/* Append one rule to chain faults and record its handle in f. */
static int nft_add_rule(struct topo *t, struct nft_fault *f, const char *rule, char *err,
			size_t errlen)
{
	char cmd[512], *out = NULL, *h;
	unsigned long long handle;
	int rc = -1;

	if (f->nhandles >= NFT_FAULT_MAX_RULES)
		return err_set(err, errlen, "nft: a fault may add at most %d rules",
			       NFT_FAULT_MAX_RULES);
	snprintf(cmd, sizeof cmd, "add rule ip acklab faults %s", rule);
	if (nft_exec(t, cmd, NFT_CTX_OUTPUT_ECHO | NFT_CTX_OUTPUT_HANDLE, &out, err, errlen) < 0)
		return -1;
	h = out ? strstr(out, "# handle ") : NULL;
	if (!h || sscanf(h, "# handle %llu", &handle) != 1) {
		err_set(err, errlen, "router: nft: '%s': no handle in the echoed rule", rule);
		goto done;
	}
	f->handles[f->nhandles++] = handle;
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
	char msg[256];
	int n, kept = 0;

	*a = nft_host(t, from, what, err, errlen);
	*b = *a ? nft_host(t, to, what, err, errlen) : NULL;
	if (!*b)
		return -1;
	n = ct_list(t, (*a)->name, (*b)->name, flows, max, msg, sizeof msg);
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
	struct topo_priv *p = topo_priv(t);
	struct topo_host *a, *b;
	struct ct_flow flows[NFT_CT_SCAN];
	char rule[384], cmd[256];
	unsigned mark;
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
			 "tcp flags & psh == psh drop",
			 flows[i].dst, flows[i].dport, flows[i].src, flows[i].sport);
		if (nft_add_rule(t, out, rule, err, errlen) < 0)
			goto err;
	}
	if (out->nhandles > 0)
		return 0;

	/* No flow yet: the first new one is marked, and only that one. */
	mark = NFT_MARK_BASE | (++p->fault_seq & 0xffff);
	snprintf(out->set_name, sizeof out->set_name, "acklab_dr%u", p->fault_seq);
	snprintf(cmd, sizeof cmd,
		 "add set ip acklab %s { type ipv4_addr . inet_service; size 1; flags dynamic; }",
		 out->set_name);
	if (nft_exec(t, cmd, 0, NULL, err, errlen) < 0) {
		out->set_name[0] = '\0';
		return -1;
	}
	/* A full set stops the rule before "ct mark set": later flows stay unmarked. */
	snprintf(rule, sizeof rule,
		 "ip saddr %s ip daddr %s ct state new tcp flags & (fin|syn|rst|ack) == syn "
		 "add @%s { ip saddr . tcp sport } ct mark set 0x%08x",
		 a->addr, b->addr, out->set_name, mark);
	if (nft_add_rule(t, out, rule, err, errlen) < 0)
		goto err;
	snprintf(rule, sizeof rule, "ct mark 0x%08x ct direction reply tcp flags & psh == psh drop",
		 mark);
	if (nft_add_rule(t, out, rule, err, errlen) < 0)
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
	snprintf(rule, sizeof rule, "ip saddr %s ip daddr %s drop", a->addr, b->addr);
	return nft_add_rule(t, out, rule, err, errlen);
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
	snprintf(rule, sizeof rule, "iifname \"%s\" drop", h->router_ifname);
	if (nft_add_rule(t, out, rule, err, errlen) < 0)
		return -1;
	snprintf(rule, sizeof rule, "oifname \"%s\" drop", h->router_ifname);
	if (nft_add_rule(t, out, rule, err, errlen) < 0) {
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
			 "reject with tcp reset", flows[i].src, flows[i].sport, flows[i].dst,
			 flows[i].dport);
		if (nft_add_rule(t, out, rule, err, errlen) < 0)
			goto err;
		snprintf(rule, sizeof rule, "ip saddr %.15s tcp sport %u ip daddr %.15s tcp dport %u "
			 "reject with tcp reset", flows[i].dst, flows[i].dport, flows[i].src,
			 flows[i].sport);
		if (nft_add_rule(t, out, rule, err, errlen) < 0)
			goto err;
	}
	return 0;
err:
	nft_heal(t, out, NULL, 0);
	return -1;
}

int nft_heal(struct topo *t, struct nft_fault *f, char *err, size_t errlen)
{
	char cmd[128], msg[512];
	int rc = 0;

	if (!f)
		return 0;
	while (f->nhandles > 0) {
		uint64_t h = f->handles[f->nhandles - 1];

		snprintf(cmd, sizeof cmd, "delete rule ip acklab faults handle %" PRIu64, h);
		/* A rule already gone is healed; anything else is reported. */
		if (nft_exec(t, cmd, 0, NULL, msg, sizeof msg) < 0 && !strstr(msg, "No such file")) {
			rc = err_set(err, errlen, "heal: %s", msg);
			break;
		}
		f->nhandles--;
	}
	if (rc == 0 && f->set_name[0]) {
		snprintf(cmd, sizeof cmd, "delete set ip acklab %s", f->set_name);
		if (nft_exec(t, cmd, 0, NULL, msg, sizeof msg) < 0 && !strstr(msg, "No such file"))
			return err_set(err, errlen, "heal: %s", msg);
		f->set_name[0] = '\0';
	}
	return rc;
}
