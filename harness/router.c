/*
 * router: the router's base setup and its nftables and conntrack handles;
 * see router.h.
 *
 * One libnftables context per router, created inside the router's
 * namespace, and every command also runs there (sandbox_in_netns), so a
 * socket libnftables opens now or on a reopen talks to the router. The
 * conntrack sysctls only exist once a ruleset has put conntrack to use, so
 * tcp_loose is set after the base ruleset is in.
 */
#include "router.h"

#include "conntrack.h"
#include "sandbox.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

struct router {
	int netns_fd;                 /* borrowed from the topology */
	struct nft_ctx *nft;
	struct ct_table *ct;          /* opened on first use */
	void *attached;               /* the packet queue, once opened (router_attach) */
	void (*attached_free)(void *);
	unsigned next_id;
};

struct router_call {
	struct nft_ctx *ctx;
	const char *cmds;
	unsigned flags;               /* NFT_CTX_OUTPUT_* */
	char *out;                    /* copy of the output buffer, caller frees (may stay NULL) */
};

static int router_nft_ctx_make(void *arg, char *err, size_t errlen)
{
	struct nft_ctx **out = arg;
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!ctx)
		return err_set(err, errlen, "nft_ctx_new failed");
	if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
		nft_ctx_free(ctx);
		return err_set(err, errlen, "cannot buffer output");
	}
	*out = ctx;
	return 0;
}

/* Runs inside the router's namespace. */
static int router_call_run(void *arg, char *err, size_t errlen)
{
	struct router_call *c = arg;
	const char *o, *e;
	size_t n;
	int rc;

	nft_ctx_output_set_flags(c->ctx, c->flags);
	rc = nft_run_cmd_from_buffer(c->ctx, c->cmds);
	nft_ctx_output_set_flags(c->ctx, 0);
	o = nft_ctx_get_output_buffer(c->ctx);
	e = nft_ctx_get_error_buffer(c->ctx);
	if (rc != 0) {
		/* The first line says what; the rest quotes the command with carets. */
		e = e && *e ? e : "failed";
		n = strcspn(e, "\n");
		return err_set(err, errlen, "%.*s", (int)(n < 400 ? n : 400), e);
	}
	if (o && *o) {
		c->out = strdup(o);
		if (!c->out)
			return err_set(err, errlen, "out of memory");
	}
	return 0;
}

int router_nft(struct router *r, const char *cmds, unsigned flags, char **out, char *err,
	       size_t errlen)
{
	struct router_call c = { r ? r->nft : NULL, cmds, 0, NULL };
	char msg[512];

	if (out)
		*out = NULL;
	if (!c.ctx)
		return err_set(err, errlen, "router: nft: no router");
	if (flags & ROUTER_NFT_ECHO)
		c.flags |= NFT_CTX_OUTPUT_ECHO;
	if (flags & ROUTER_NFT_HANDLES)
		c.flags |= NFT_CTX_OUTPUT_HANDLE;
	if (sandbox_in_netns(r->netns_fd, router_call_run, &c, msg, sizeof msg) < 0) {
		free(c.out);
		return err_set(err, errlen, "router: nft: %s", msg);
	}
	if (out)
		*out = c.out;
	else
		free(c.out);
	return 0;
}

/* The base ruleset of router.h, masquerading out of nat_ifname. */
static int router_base_ruleset(struct router *r, const char *nat_ifname, char *err,
			       size_t errlen)
{
	char rules[1024];

	snprintf(rules, sizeof rules,
		 "table " ROUTER_NFT_TABLE " {\n"
		 "\tchain " ROUTER_NFT_FAULTS " {\n"
		 "\t}\n"
		 "\tchain forward {\n"
		 "\t\ttype filter hook forward priority filter; policy drop;\n"
		 "\t\tjump " ROUTER_NFT_FAULTS "\n"
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
		 nat_ifname);
	return router_nft(r, rules, 0, NULL, err, errlen);
}

static int router_sysctl(struct router *r, const char *key, const char *value, char *err,
			 size_t errlen)
{
	char msg[256];

	if (sandbox_sysctl_set(r->netns_fd, key, value, msg, sizeof msg) < 0)
		return err_set(err, errlen, "router: %s", msg);
	return 0;
}

int router_new(struct router **out, int netns_fd, const char *nat_ifname, char *err,
	       size_t errlen)
{
	struct router *r = calloc(1, sizeof *r);
	char msg[256];

	*out = NULL;
	if (!r)
		return err_set(err, errlen, "router: out of memory");
	r->netns_fd = netns_fd;
	if (sandbox_in_netns(netns_fd, router_nft_ctx_make, &r->nft, msg, sizeof msg) < 0) {
		err_set(err, errlen, "router: nft: %s", msg);
		goto err;
	}
	if (router_sysctl(r, "net.ipv4.ip_forward", "1", err, errlen) < 0 ||
	    router_base_ruleset(r, nat_ifname, err, errlen) < 0 ||
	    router_sysctl(r, "net.netfilter.nf_conntrack_tcp_loose", "0", err, errlen) < 0)
		goto err;
	*out = r;
	return 0;
err:
	router_free(r);
	return -1;
}

void router_free(struct router *r)
{
	if (!r)
		return;
	if (r->attached && r->attached_free)
		r->attached_free(r->attached);   /* the queue deletes its table: before the nft context goes */
	ct_close(r->ct);
	if (r->nft)
		nft_ctx_free(r->nft);
	free(r);
}

struct ct_table *router_conntrack(struct router *r, char *err, size_t errlen)
{
	char msg[256];

	if (!r->ct && ct_open(&r->ct, r->netns_fd, msg, sizeof msg) < 0) {
		err_set(err, errlen, "router: %s", msg);
		return NULL;
	}
	return r->ct;
}

void router_attach(struct router *r, void *thing, void (*free_fn)(void *thing))
{
	r->attached = thing;
	r->attached_free = free_fn;
}

void *router_attached(const struct router *r)
{
	return r ? r->attached : NULL;
}

int router_netns(const struct router *r)
{
	return r->netns_fd;
}

unsigned router_next_id(struct router *r)
{
	return ++r->next_id;
}
