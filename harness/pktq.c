/*
 * pktq: the router's packet queue; see pktq.h.
 *
 * The table's plain rules go through the router's libnftables context
 * (router_nft, with echoed handles so each rule can be deleted alone). The
 * one rule nft cannot write, the xtables NFQUEUE target, is built with
 * libnftnl and sent over a netlink socket made inside the router's
 * namespace. Packets come from libnetfilter_queue's socket, also made
 * there: queue numbers are per namespace, so every cell's router has its
 * own queue 1. The socket is non-blocking and read until it is empty;
 * every packet gets one verdict, now or when shape.h releases it.
 */
#include "pktq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "router.h"
#include "sandbox.h"
#include "util.h"

#define PKTQ_NUM 1
#define PKTQ_TABLE_NAME "acklab_queue"
#define PKTQ_MAXLEN 8192              /* packets the kernel keeps for acklab at most */
#define PKTQ_RCVBUF (4 * 1024 * 1024)
#define PKTQ_BUF (0xffff + 4096)      /* one netlink message: a whole packet and its attributes */
#define PKTQ_READ_MAX 4096            /* messages per pktq_read(), a bound on one turn */
/* Marks a packet for the dup chain: "AC" then 0xdd0d. */
#define PKTQ_DUP_MARK 0x4143dd0du

/* A rule's entries in the table: its jump in forward, and its dup rule (0: none). */
struct pktq_rule {
	int shape_id;
	uint64_t jump_handle, dup_handle;
};

/* A watch: its addresses (so a second identical watch adds nothing) and its rule. */
struct pktq_watch {
	char src[16], dst[16];
	uint64_t handle;
};

struct pktq {
	struct router *rt;
	int netns_fd;
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	int fd;
	bool table;                   /* the table exists (to delete on free) */
	struct shape *shape;
	pktq_classify_fn classify;
	void *classify_arg;
	struct pktq_rule *rules;
	int nrules, caprules;
	struct pktq_watch *watches;
	int nwatches, capwatches;
	struct { int hold; struct shape_flow_info info; } *opened; /* holds not yet reported */
	int nopened, capopened;
	bool closing;                 /* accept everything: the queue is being taken down */
	uint64_t lost, verdict_errors;
	char *buf;
};

/* --- the table -------------------------------------------------------------- */

/* Add one rule to chain (echoed with its handle). 0 or -1 with err. */
static int pktq_nft_add(struct pktq *q, const char *chain, const char *rule, uint64_t *handle,
			char *err, size_t errlen)
{
	char cmd[512], *out = NULL, *h;
	unsigned long long n;
	int rc = -1;

	snprintf(cmd, sizeof cmd, "add rule " PKTQ_TABLE " %s %s", chain, rule);
	if (router_nft(q->rt, cmd, ROUTER_NFT_ECHO | ROUTER_NFT_HANDLES, &out, err, errlen) < 0)
		return -1;
	h = out ? strstr(out, "# handle ") : NULL;
	if (!h || sscanf(h, "# handle %llu", &n) != 1) {
		err_set(err, errlen, "router: nft: '%s': no handle in the echoed rule", rule);
	} else {
		*handle = n;
		rc = 0;
	}
	free(out);
	return rc;
}

static int pktq_nft_delete(struct pktq *q, const char *chain, uint64_t handle, char *err,
			   size_t errlen)
{
	char cmd[160];

	snprintf(cmd, sizeof cmd, "delete rule " PKTQ_TABLE " %s handle %" PRIu64, chain, handle);
	return router_nft(q->rt, cmd, 0, NULL, err, errlen);
}

/* Inside the router's namespace: append the NFQUEUE target to chain to_queue. */
static int pktq_add_target_here(void *arg, char *err, size_t errlen)
{
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	struct mnl_socket *nl = NULL;
	struct mnl_nlmsg_batch *batch = NULL;
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *e = nftnl_expr_alloc("target");
	struct xt_NFQ_info_v3 *info = calloc(1, sizeof *info);
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	int rc = -1, n;

	(void)arg;
	if (!buf || !r || !e || !info) {
		err_set(err, errlen, "out of memory");
		goto done;
	}
	info->queuenum = PKTQ_NUM;
	info->queues_total = 1;
	info->flags = 0;              /* no bypass: nothing passes unseen while acklab decides */
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof *info);   /* the expression owns info */
	info = NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, PKTQ_TABLE_NAME);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "to_queue");
	nftnl_rule_add_expr(r, e);    /* the rule owns e */
	e = NULL;
	batch = mnl_nlmsg_batch_start(buf, MNL_SOCKET_BUFFER_SIZE);
	nftnl_batch_begin(mnl_nlmsg_batch_current(batch), seq++);
	mnl_nlmsg_batch_next(batch);
	nlh = nftnl_rule_nlmsg_build_hdr(mnl_nlmsg_batch_current(batch), NFT_MSG_NEWRULE,
					 NFPROTO_IPV4, NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK, seq++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	mnl_nlmsg_batch_next(batch);
	nftnl_batch_end(mnl_nlmsg_batch_current(batch), seq++);
	mnl_nlmsg_batch_next(batch);
	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch)) < 0) {
		err_set(err, errlen, "netlink: %s", strerror(errno));
		goto done;
	}
	n = (int)mnl_socket_recvfrom(nl, buf, MNL_SOCKET_BUFFER_SIZE);
	while (n > 0) {
		n = mnl_cb_run(buf, (size_t)n, 0, mnl_socket_get_portid(nl), NULL, NULL);
		if (n <= 0)
			break;
		n = (int)mnl_socket_recvfrom(nl, buf, MNL_SOCKET_BUFFER_SIZE);
	}
	if (n < 0) {
		err_set(err, errlen, "add the NFQUEUE target: %s%s", strerror(errno),
			errno == ENOENT ? " (is this kernel built without xt_NFQUEUE or nft_compat?)" : "");
		goto done;
	}
	rc = 0;
done:
	if (batch)
		mnl_nlmsg_batch_stop(batch);
	if (nl)
		mnl_socket_close(nl);
	if (e)                        /* libnftnl's free functions take no NULL */
		nftnl_expr_free(e);
	if (r)
		nftnl_rule_free(r);
	free(info);
	free(buf);
	return rc;
}

/* --- verdicts ------------------------------------------------------------- */

static void pktq_verdict(void *arg, uint32_t id, bool drop, bool duplicate)
{
	struct pktq *q = arg;
	int rc;

	if (drop)
		rc = nfq_set_verdict(q->qh, id, NF_DROP, 0, NULL);
	else if (duplicate)
		rc = nfq_set_verdict2(q->qh, id, NF_ACCEPT, PKTQ_DUP_MARK, 0, NULL);
	else
		rc = nfq_set_verdict(q->qh, id, NF_ACCEPT, 0, NULL);
	if (rc < 0)
		q->verdict_errors++;
}

/* --- packets ---------------------------------------------------------------- */

static uint16_t pktq_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The IPv4 packet in buf (len bytes) as shape and classify see it. false if it is not IPv4. */
static bool pktq_parse(const uint8_t *buf, int len, struct shape_pkt *sp, struct pktq_packet *pp)
{
	size_t ihl, tot, doff;

	if (len < 20 || buf[0] >> 4 != 4)
		return false;
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	tot = pktq_rd16(buf + 2);
	if (ihl < 20 || tot > (size_t)len || tot < ihl)
		return false;
	sp->proto = pp->proto = buf[9];
	memcpy(&sp->src, buf + 12, 4);
	memcpy(&sp->dst, buf + 16, 4);
	inet_ntop(AF_INET, buf + 12, pp->src, sizeof pp->src);
	inet_ntop(AF_INET, buf + 16, pp->dst, sizeof pp->dst);
	sp->sport = sp->dport = 0;
	pp->payload = NULL;
	pp->payload_len = 0;
	if ((sp->proto == IPPROTO_TCP || sp->proto == IPPROTO_UDP) && tot >= ihl + 4) {
		sp->sport = pktq_rd16(buf + ihl);
		sp->dport = pktq_rd16(buf + ihl + 2);
	}
	if (sp->proto == IPPROTO_TCP && tot >= ihl + 20) {
		doff = (size_t)(buf[ihl + 12] >> 4) * 4;
		if (doff >= 20 && ihl + doff <= tot) {
			pp->payload = buf + ihl + doff;
			pp->payload_len = tot - ihl - doff;
		}
	}
	pp->sport = sp->sport;
	pp->dport = sp->dport;
	return true;
}

static int pktq_note_opened(struct pktq *q, int hold, const struct shape_pkt *first, int tag,
			    int64_t now)
{
	if (q->nopened == q->capopened) {
		int cap = q->capopened ? q->capopened * 2 : 8;
		void *p = realloc(q->opened, (size_t)cap * sizeof *q->opened);

		if (!p)
			return -1;
		q->opened = p;
		q->capopened = cap;
	}
	q->opened[q->nopened].hold = hold;
	q->opened[q->nopened++].info = (struct shape_flow_info){ *first, tag, now, 1 };
	return 0;
}

static int pktq_on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *d,
			  void *arg)
{
	struct pktq *q = arg;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(d);
	unsigned char *buf = NULL;
	int len = nfq_get_payload(d, &buf);
	struct shape_pkt sp = { 0 };
	struct pktq_packet pp = { 0 };
	struct shape_out out;
	int64_t now = mono_ns();

	(void)qh;
	(void)msg;
	if (!ph)
		return 0;
	sp.id = pp.id = ntohl(ph->packet_id);
	pp.t_ns = now;
	if (q->closing || len < 0 || !pktq_parse(buf, len, &sp, &pp)) {
		pktq_verdict(q, sp.id, false, false);
		return 0;
	}
	if (shape_in_held_flow(q->shape, &sp))
		return 0;
	if (q->classify && sp.proto == IPPROTO_TCP && pp.payload_len > 0) {
		int tag = q->classify(q->classify_arg, &pp);
		int hold = tag >= 0 ? shape_hold_flow(q->shape, &sp, tag, now) : -1;

		if (hold > 0) {
			if (pktq_note_opened(q, hold, &sp, tag, now) == -1)   /* nobody would release it: let it go */
				shape_release_flow(q->shape, hold, false, NULL, pktq_verdict, q);
			return 0;
		}
	}
	out = shape_packet(q->shape, &sp, now);
	if (out.verdict != SHAPE_KEPT)
		pktq_verdict(q, sp.id, out.verdict == SHAPE_DROP, out.duplicate);
	return 0;
}

int pktq_read(struct pktq *q, char *err, size_t errlen)
{
	int n = 0;

	while (n < PKTQ_READ_MAX) {
		ssize_t got = recv(q->fd, q->buf, PKTQ_BUF, MSG_DONTWAIT);

		if (got < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {        /* messages lost; their packets wait in vain */
				q->lost++;
				continue;
			}
			if (errno == EINTR)
				continue;
			return err_set(err, errlen, "queue: recv: %s", strerror(errno));
		}
		nfq_handle_packet(q->h, q->buf, (int)got);
		n++;
	}
	return n;
}

int pktq_service(struct pktq *q)
{
	size_t before = shape_kept(q->shape);

	shape_due(q->shape, mono_ns(), pktq_verdict, q);
	return (int)(before - shape_kept(q->shape));
}

int64_t pktq_next_due(const struct pktq *q)
{
	return shape_next_due(q->shape);
}

int pktq_opened(struct pktq *q, int *hold, struct shape_flow_info *info)
{
	if (q->nopened == 0)
		return 0;
	*hold = q->opened[0].hold;
	if (info)
		*info = q->opened[0].info;
	memmove(q->opened, q->opened + 1, (size_t)(q->nopened - 1) * sizeof *q->opened);
	q->nopened--;
	return 1;
}

int pktq_release(struct pktq *q, int hold, bool drop, struct shape_flow_info *info, char *err,
		 size_t errlen)
{
	if (shape_release_flow(q->shape, hold, drop, info, pktq_verdict, q) == -1)
		return err_set(err, errlen, "queue: no flow hold %d", hold);
	return 0;
}

int pktq_pump(struct pktq *q, int fd, int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;

	for (;;) {
		struct pollfd pfd[2] = { { q->fd, POLLIN, 0 }, { fd, POLLIN, 0 } };
		int64_t now = mono_ns(), until = deadline, next = pktq_next_due(q);
		int wait;

		pktq_service(q);
		if (fd >= 0 && poll(&pfd[1], 1, 0) > 0)
			return 1;
		if (now >= deadline)
			return 0;
		if (next < until)
			until = next;
		wait = until > now ? (int)((until - now + 999999) / 1000000) : 0;
		if (poll(pfd, fd >= 0 ? 2 : 1, wait) > 0 && (pfd[0].revents & POLLIN))
			pktq_read(q, NULL, 0);
	}
}

/* --- watches and rules ------------------------------------------------------ */

void pktq_set_classify(struct pktq *q, pktq_classify_fn fn, void *arg)
{
	q->classify = fn;
	q->classify_arg = arg;
}

int pktq_watch_tcp(struct pktq *q, const char *src, const char *dst, char *err, size_t errlen)
{
	char rule[256], from[40] = "", to[40] = "";
	uint64_t handle;

	for (int i = 0; i < q->nwatches; i++)
		if (strcmp(q->watches[i].src, src ? src : "") == 0 &&
		    strcmp(q->watches[i].dst, dst ? dst : "") == 0)
			return 0;
	if (q->nwatches == q->capwatches) {
		int cap = q->capwatches ? q->capwatches * 2 : 4;
		void *p = realloc(q->watches, (size_t)cap * sizeof *q->watches);

		if (!p)
			return err_set(err, errlen, "queue: out of memory");
		q->watches = p;
		q->capwatches = cap;
	}
	if (src)
		snprintf(from, sizeof from, "ip saddr %.15s ", src);
	if (dst)
		snprintf(to, sizeof to, "ip daddr %.15s ", dst);
	/*
	 * Segments with data only: SYNs, FINs and bare ACKs (52 bytes with
	 * timestamps) pass, so no handshake of acklab's own probes waits on
	 * a loop that is busy probing.
	 */
	snprintf(rule, sizeof rule, "meta l4proto tcp %s%stcp flags & (syn|fin|rst) == 0 "
		 "ip length > 52 jump to_queue", from, to);
	if (pktq_nft_add(q, "forward", rule, &handle, err, errlen) == -1)
		return -1;
	q->watches[q->nwatches].handle = handle;
	str_copy(q->watches[q->nwatches].src, src ? src : "", sizeof q->watches[0].src);
	str_copy(q->watches[q->nwatches].dst, dst ? dst : "", sizeof q->watches[0].dst);
	q->nwatches++;
	return 0;
}

int pktq_unwatch_all(struct pktq *q, char *err, size_t errlen)
{
	while (q->nwatches > 0) {
		if (pktq_nft_delete(q, "forward", q->watches[q->nwatches - 1].handle, err, errlen) == -1)
			return -1;
		q->nwatches--;
	}
	return 0;
}

static struct pktq_rule *pktq_rule(const struct pktq *q, int id)
{
	for (int i = 0; i < q->nrules; i++)
		if (q->rules[i].shape_id == id)
			return &q->rules[i];
	return NULL;
}

int pktq_rule_add(struct pktq *q, const struct shape_rule *r, const char *dst_ifname, int *id,
		  char *err, size_t errlen)
{
	char src[16], dst[16], rule[256];
	struct pktq_rule pr = { 0, 0, 0 };

	if (q->nrules == q->caprules) {
		int cap = q->caprules ? q->caprules * 2 : 4;
		void *p = realloc(q->rules, (size_t)cap * sizeof *q->rules);

		if (!p)
			return err_set(err, errlen, "queue: out of memory");
		q->rules = p;
		q->caprules = cap;
	}
	inet_ntop(AF_INET, &r->src, src, sizeof src);
	inet_ntop(AF_INET, &r->dst, dst, sizeof dst);
	pr.shape_id = shape_add(q->shape, r);
	if (pr.shape_id < 0)
		return err_set(err, errlen, "queue: out of memory");
	if (r->kind == SHAPE_DUPLICATE) {
		snprintf(rule, sizeof rule, "oifname \"%.15s\" meta mark 0x%08x dup to %s device \"%.15s\"",
			 dst_ifname ? dst_ifname : "", PKTQ_DUP_MARK, dst, dst_ifname ? dst_ifname : "");
		if (pktq_nft_add(q, "duplicates", rule, &pr.dup_handle, err, errlen) == -1)
			goto err;
	}
	snprintf(rule, sizeof rule, "ip saddr %s ip daddr %s jump to_queue", src, dst);
	if (pktq_nft_add(q, "forward", rule, &pr.jump_handle, err, errlen) == -1)
		goto err;
	q->rules[q->nrules++] = pr;
	*id = pr.shape_id;
	return 0;
err:
	if (pr.dup_handle)
		pktq_nft_delete(q, "duplicates", pr.dup_handle, NULL, 0);
	shape_remove(q->shape, pr.shape_id, NULL, pktq_verdict, q);
	return -1;
}

int pktq_rule_remove(struct pktq *q, int id, struct shape_counts *out, char *err, size_t errlen)
{
	struct pktq_rule *pr = pktq_rule(q, id);

	if (!pr)
		return err_set(err, errlen, "queue: no rule %d", id);
	/* Stop queueing first, then read what is already on its way, then let go of what waits. */
	if (pr->jump_handle && pktq_nft_delete(q, "forward", pr->jump_handle, err, errlen) == -1)
		return -1;
	pr->jump_handle = 0;
	if (pktq_read(q, err, errlen) == -1)
		return -1;
	if (shape_remove(q->shape, id, out, pktq_verdict, q) == -1)
		return err_set(err, errlen, "queue: no rule %d", id);
	if (pr->dup_handle && pktq_nft_delete(q, "duplicates", pr->dup_handle, err, errlen) == -1)
		return -1;
	*pr = q->rules[--q->nrules];
	return 0;
}

int pktq_rule_counts(const struct pktq *q, int id, struct shape_counts *out)
{
	return shape_counts(q->shape, id, out);
}

int pktq_fd(const struct pktq *q)
{
	return q->fd;
}

uint64_t pktq_lost(const struct pktq *q)
{
	return q->lost;
}

/* --- open and close --------------------------------------------------------- */

/* Inside the router's namespace: the queue's netlink socket, bound to queue PKTQ_NUM. */
static int pktq_bind_here(void *arg, char *err, size_t errlen)
{
	struct pktq *q = arg;
	int one = 1;

	q->h = nfq_open();
	if (!q->h)
		return err_set(err, errlen, "nfq_open: %s", strerror(errno));
	q->qh = nfq_create_queue(q->h, PKTQ_NUM, pktq_on_packet, q);
	if (!q->qh)
		return err_set(err, errlen, "bind queue %d: %s", PKTQ_NUM, strerror(errno));
	if (nfq_set_mode(q->qh, NFQNL_COPY_PACKET, 0xffff) < 0)
		return err_set(err, errlen, "queue copy mode: %s", strerror(errno));
	if (nfq_set_queue_maxlen(q->qh, PKTQ_MAXLEN) < 0)
		return err_set(err, errlen, "queue length: %s", strerror(errno));
	q->fd = nfq_fd(q->h);
	nfnl_rcvbufsiz(nfq_nfnlh(q->h), PKTQ_RCVBUF);
	setsockopt(q->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
	if (fcntl(q->fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(q->fd, F_SETFL, fcntl(q->fd, F_GETFL) | O_NONBLOCK) == -1)
		return err_set(err, errlen, "queue socket: %s", strerror(errno));
	return 0;
}

int pktq_open(struct pktq **out, struct router *r, int netns_fd, char *err, size_t errlen)
{
	struct pktq *q = calloc(1, sizeof *q);
	char msg[512];

	*out = NULL;
	if (!q || !(q->buf = malloc(PKTQ_BUF)) || !(q->shape = shape_new())) {
		pktq_free(q);
		return err_set(err, errlen, "queue: out of memory");
	}
	q->rt = r;
	q->netns_fd = netns_fd;
	q->fd = -1;
	/* Bound first: from the moment the rules exist, someone must be there to read. */
	if (sandbox_in_netns(netns_fd, pktq_bind_here, q, msg, sizeof msg) < 0) {
		err_set(err, errlen, "queue: %s", msg);
		goto err;
	}
	if (router_nft(r, "table " PKTQ_TABLE " {\n"
			  "\tchain to_queue {\n\t}\n"
			  "\tchain forward {\n"
			  "\t\ttype filter hook forward priority filter - 10; policy accept;\n"
			  "\t}\n"
			  "\tchain duplicates {\n"
			  "\t\ttype filter hook postrouting priority srcnat + 10; policy accept;\n"
			  "\t}\n"
			  "}\n", 0, NULL, msg, sizeof msg) < 0) {
		err_set(err, errlen, "queue: %s", msg);
		goto err;
	}
	q->table = true;
	if (sandbox_in_netns(netns_fd, pktq_add_target_here, NULL, msg, sizeof msg) < 0) {
		err_set(err, errlen, "queue: %s", msg);
		goto err;
	}
	*out = q;
	return 0;
err:
	pktq_free(q);
	return -1;
}

void pktq_free(struct pktq *q)
{
	if (!q)
		return;
	if (q->table)
		router_nft(q->rt, "delete table " PKTQ_TABLE, 0, NULL, NULL, 0);
	if (q->qh) {
		/* What was queued before the table went is still on its way: accept it all. */
		q->closing = true;
		pktq_read(q, NULL, 0);
		shape_release_all(q->shape, pktq_verdict, q);
		nfq_destroy_queue(q->qh);
	}
	if (q->h)
		nfq_close(q->h);
	shape_free(q->shape);
	free(q->rules);
	free(q->watches);
	free(q->opened);
	free(q->buf);
	free(q);
}

static void pktq_free_attached(void *q)
{
	pktq_free(q);
}

struct pktq *pktq_of(struct router *r, char *err, size_t errlen)
{
	struct pktq *q = router_attached(r);

	if (q)
		return q;
	if (pktq_open(&q, r, router_netns(r), err, errlen) < 0)
		return NULL;
	router_attach(r, q, pktq_free_attached);
	return q;
}

struct pktq *pktq_if_open(const struct router *r)
{
	return router_attached(r);
}
