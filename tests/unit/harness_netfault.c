/*
 * Unit tests for the network fault primitives (nft.c, conntrack.c) on plain
 * TCP between the client and the server of one topology (built once per
 * group, inside the sandbox). Table-driven: each variant opens a fresh
 * connection on its own port, applies one fault, checks what the fault must
 * do to that connection and what its rule counters say it touched, heals,
 * and checks that a new connection carries data both ways again. The exact
 * packet count is checked with UDP datagrams, which TCP's retransmissions
 * cannot blur. Every wait is a poll with a deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../../harness/conntrack.h"
#include "../../harness/fault_table.h"
#include "../../harness/netprobe.h"
#include "../../harness/nft.h"
#include "../../harness/router.h"
#include "../../harness/sandbox.h"
#include "../../harness/topo.h"
#include "util.h"

/* How long "never arrives" is watched. */
#define QUIET_MS 300
/* How long "arrives" may take. */
#define ARRIVE_MS 2000

static struct topo *topo;

struct conn {
	int lfd, cfd, sfd;            /* listener (server), client end, server end */
	uint16_t port;
};

struct variant {
	const char *name;
	bool fault_before_connect;    /* apply before the connection exists */
	int (*apply)(struct nft_fault *f, char *err, size_t errlen);
	void (*check)(struct conn *c); /* the fault's effect on the connection */
	int flows;                    /* flows the rules must act on at least (earlier variants'
	                                 flows may linger as established); -1: not a rule fault */
	int min_packets;              /* packets the rules must have hit at least */
};

static int group_setup(void **state)
{
	char err[512];
	struct topo_config cfg = { .recipients = 1 };

	if (topo_build(&topo, &cfg, err, sizeof err) < 0) {
		fprintf(stderr, "topo_build: %s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	topo_free(topo);
	topo = NULL;
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->sfd >= 0)
		close(c->sfd);
	c->cfd = c->sfd = -1;
}

/* Connect client -> server:port through the router and accept it. */
static void conn_open(struct conn *c)
{
	char err[256];

	c->cfd = netprobe_connect(topo, "client", topo->server->addr, c->port, ARRIVE_MS, err,
				  sizeof err);
	if (c->cfd < 0)
		fail_msg("%s", err);
	c->sfd = netprobe_accept(c->lfd, ARRIVE_MS, NULL, 0, err, sizeof err);
	if (c->sfd < 0)
		fail_msg("%s", err);
}

/* from sends msg; to must get exactly it within ARRIVE_MS. */
static void expect_arrives(int from, int to, const char *msg)
{
	char err[256], buf[64];
	size_t len = strlen(msg), got = 0;
	int64_t deadline = mono_ns() + ARRIVE_MS * 1000000LL;

	if (netprobe_send(from, msg, len, ARRIVE_MS, err, sizeof err) < 0)
		fail_msg("%s", err);
	while (got < len) {
		int left = (int)((deadline - mono_ns()) / 1000000);
		ssize_t n = netprobe_recv(to, buf + got, sizeof buf - got, left > 0 ? left : 0, err,
					  sizeof err);
		if (n <= 0)
			fail_msg("'%s' did not arrive: %s", msg, n == 0 ? "peer closed" : err);
		got += (size_t)n;
	}
	assert_memory_equal(buf, msg, len);
}

/* Nothing may arrive on fd for QUIET_MS. */
static void expect_quiet(int fd, const char *what)
{
	char err[256], buf[64];
	ssize_t n = netprobe_recv(fd, buf, sizeof buf, QUIET_MS, err, sizeof err);

	if (n >= 0 || errno != ETIMEDOUT)
		fail_msg("%s: expected nothing for %d ms, got %s", what, QUIET_MS,
			 n > 0 ? "bytes" : n == 0 ? "EOF" : strerror(errno));
}

/* A send that the kernel must accept at once (TCP's "sent"). */
static void send_now(int fd, const char *msg)
{
	char err[256];
	int64_t t0 = mono_ns();

	if (netprobe_send(fd, msg, strlen(msg), 50, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_true(ms_since(t0) < 50);
}

/* ---- evict-nat ---- */
static int apply_evict(struct nft_fault *f, char *err, size_t errlen)
{
	struct ct_table *ct = router_conntrack(topo->rt, err, errlen);
	int n = ct ? ct_evict(ct, topo->client->addr, topo->server->addr, err, errlen) : -1;

	if (n < 0)
		return -1;
	if (n < 1)
		return err_set(err, errlen, "evict: no conntrack entry deleted");
	return 0;
}

static void check_evict(struct conn *c)
{
	send_now(c->cfd, "after-evict");
	expect_quiet(c->sfd, "server after eviction");
}

/* ---- drop-replies ---- */
static int apply_drop_replies(struct nft_fault *f, char *err, size_t errlen)
{
	return nft_drop_replies(topo, "client", "server", f, err, errlen);
}

static void check_drop_replies(struct conn *c)
{
	expect_arrives(c->cfd, c->sfd, "request");
	send_now(c->sfd, "reply");
	expect_quiet(c->cfd, "client waiting for the reply");
}

/* ---- drop ---- */
static int apply_drop(struct nft_fault *f, char *err, size_t errlen)
{
	return nft_drop(topo, "client", "server", f, err, errlen);
}

static void check_drop(struct conn *c)
{
	send_now(c->cfd, "dropped");
	expect_quiet(c->sfd, "server after drop client->server");
	/* one direction only */
	expect_arrives(c->sfd, c->cfd, "other-way");
}

/* ---- blackhole ---- */
static int apply_blackhole(struct nft_fault *f, char *err, size_t errlen)
{
	return nft_blackhole(topo, "client", f, err, errlen);
}

static void check_blackhole(struct conn *c)
{
	char err[256];
	int fd;

	send_now(c->cfd, "into-the-hole");
	expect_quiet(c->sfd, "server during blackhole");
	send_now(c->sfd, "out-of-the-hole");
	expect_quiet(c->cfd, "client during blackhole");
	fd = netprobe_connect(topo, "client", topo->server->addr, c->port, QUIET_MS, err,
			      sizeof err);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ETIMEDOUT);
}

/* ---- reset ---- */
static int apply_reset(struct nft_fault *f, char *err, size_t errlen)
{
	return nft_reset(topo, "client", "server", f, err, errlen);
}

static void check_reset(struct conn *c)
{
	char err[256], buf[16];
	ssize_t n;

	send_now(c->cfd, "reset-me");
	n = netprobe_recv(c->cfd, buf, sizeof buf, ARRIVE_MS, err, sizeof err);
	assert_int_equal(n, -1);
	if (errno != ECONNRESET)
		fail_msg("client: expected ECONNRESET, got %s", err);
}

/* drop and blackhole act on hosts, not flows: 0 flows, every packet counted. */
static const struct variant variants[] = {
	{ "evict-nat", false, apply_evict, check_evict, -1, 0 },
	{ "drop-replies-established", false, apply_drop_replies, check_drop_replies, 1, 1 },
	{ "drop-replies-next-flow", true, apply_drop_replies, check_drop_replies, 1, 1 },
	{ "drop", false, apply_drop, check_drop, 0, 1 },
	{ "blackhole", false, apply_blackhole, check_blackhole, 0, 3 },
	{ "reset", false, apply_reset, check_reset, 1, 1 },
};

static void run_variant(void **state)
{
	const struct variant *v = *state;
	struct nft_fault f;
	struct conn c = { -1, -1, -1, 0 };
	char err[512];

	memset(&f, 0, sizeof f);
	c.port = (uint16_t)(7100 + (v - variants));
	c.lfd = netprobe_listen(topo, "server", c.port, err, sizeof err);
	if (c.lfd < 0)
		fail_msg("%s", err);
	if (v->fault_before_connect && v->apply(&f, err, sizeof err) < 0)
		fail_msg("%s: apply: %s", v->name, err);
	conn_open(&c);
	expect_arrives(c.cfd, c.sfd, "hello");
	if (!v->fault_before_connect && v->apply(&f, err, sizeof err) < 0)
		fail_msg("%s: apply: %s", v->name, err);
	v->check(&c);

	/* drop-replies: a retry on a new connection gets its reply while still faulted */
	if (v->apply == apply_drop_replies) {
		struct conn r = { c.lfd, -1, -1, c.port };

		conn_open(&r);
		expect_arrives(r.cfd, r.sfd, "retry");
		expect_arrives(r.sfd, r.cfd, "reply-to-retry");
		conn_close(&r);
	}
	/* evict-nat: a new connection simply works */
	if (v->apply == apply_evict) {
		struct conn r = { c.lfd, -1, -1, c.port };

		conn_open(&r);
		expect_arrives(r.cfd, r.sfd, "fresh");
		expect_arrives(r.sfd, r.cfd, "fresh-reply");
		conn_close(&r);
	}
	/* what the rules touched; a retry above is a new flow and is not counted */
	if (nft_read_counters(topo, &f, err, sizeof err) < 0)
		fail_msg("%s: counters: %s", v->name, err);
	if (v->flows >= 0) {
		uint64_t before = f.packets;

		if (f.flows < v->flows)
			fail_msg("%s: %d flows, expected at least %d", v->name, f.flows, v->flows);
		/* the next new flow, and only that one, however many came after */
		if (f.next_flow)
			assert_int_equal(f.flows, 1);
		if (f.packets < (uint64_t)v->min_packets)
			fail_msg("%s: %llu packets counted, expected at least %d", v->name,
				 (unsigned long long)f.packets, v->min_packets);
		if (nft_heal(topo, &f, err, sizeof err) < 0)
			fail_msg("%s: heal: %s", v->name, err);
		/* read once more just before the rules went: never fewer */
		assert_true(f.packets >= before);
		assert_true(f.flows >= v->flows);
	}
	if (nft_heal(topo, &f, err, sizeof err) < 0)
		fail_msg("%s: heal: %s", v->name, err);
	assert_int_equal(f.nhandles, 0);
	assert_string_equal(f.set_name, "");
	if (nft_heal(topo, &f, err, sizeof err) < 0)
		fail_msg("%s: heal twice: %s", v->name, err);
	conn_close(&c);

	/* healed: traffic flows again, both ways, on a new connection */
	conn_open(&c);
	expect_arrives(c.cfd, c.sfd, "healed");
	expect_arrives(c.sfd, c.cfd, "healed-reply");
	conn_close(&c);
	close(c.lfd);
}

struct udp_sock {
	int fd;
};

static int udp_socket_in(void *arg, char *err, size_t errlen)
{
	struct udp_sock *u = arg;

	u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return u->fd < 0 ? err_set(err, errlen, "socket: %s", strerror(errno)) : 0;
}

/* n datagrams from the client host to the server's port: n packets through the router. */
static void send_datagrams(int n, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct udp_sock u = { -1 };
	char err[256];

	if (sandbox_in_netns(topo->client->netns_fd, udp_socket_in, &u, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(inet_pton(AF_INET, topo->server->addr, &sin.sin_addr), 1);
	for (int i = 0; i < n; i++)
		assert_int_equal(sendto(u.fd, "x", 1, 0, (struct sockaddr *)&sin, sizeof sin), 1);
	close(u.fd);
}

/*
 * The counters count what the fault dropped, exactly: five datagrams under
 * a drop are five packets, and heal reads them before the rule goes. The
 * forward chain would drop these datagrams anyway (not a SYN), but only
 * after the faults chain: without the fault nothing is counted.
 */
static void test_drop_counts_packets(void **state)
{
	struct nft_fault f, other;
	char err[512];

	memset(&f, 0, sizeof f);
	memset(&other, 0, sizeof other);
	if (nft_drop(topo, "client", "server", &f, err, sizeof err) < 0 ||
	    nft_drop(topo, "server", "client", &other, err, sizeof err) < 0)
		fail_msg("%s", err);
	send_datagrams(5, 7190);
	if (nft_read_counters(topo, &f, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(f.packets, 5);
	send_datagrams(2, 7190);
	if (nft_heal(topo, &f, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(f.packets, 7);
	assert_int_equal(f.flows, 0);
	assert_int_equal(f.nhandles, 0);
	/* the other direction's rule saw none of it */
	if (nft_heal(topo, &other, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(other.packets, 0);
	/* healed: the count stays what it was */
	send_datagrams(3, 7190);
	if (nft_read_counters(topo, &f, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(f.packets, 7);
}

/*
 * The same through the fault table's rows, as a cell runs them: what the
 * fault touched lands in struct fault, in its description once healed, and
 * in the record for the history.
 */
static void test_rows_record_what_they_touched(void **state)
{
	struct fault_env env = { topo, NULL, NULL, NULL, NULL, 0, NULL };
	const char *args[] = { "client", "server" };
	struct conn c = { -1, -1, -1, 7191 };
	struct fault f;
	char err[512], what[256], *text;
	json_t *touched;

	assert_int_equal(fault_init(&f, fault_lookup("drop"), args, 2, err, sizeof err), 0);
	if (fault_apply(&f, &env, err, sizeof err) < 0)
		fail_msg("%s", err);
	send_datagrams(4, 7191);
	fault_describe(&f, what, sizeof what);
	assert_string_equal(what, "router drops every packet from client to server");
	if (fault_heal(&f, &env, err, sizeof err) < 0)
		fail_msg("%s", err);
	fault_describe(&f, what, sizeof what);
	assert_string_equal(what, "router drops every packet from client to server; it dropped 4 packets");
	assert_int_equal(fault_touched(&f, &touched), 0);
	text = json_dumps(touched, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"bit\":true,\"bytes\":0,\"delayed\":0,\"duplicated\":0,\"flows\":0,\"held\":0,\"ops\":0,\"packets\":4,\"signalled\":0,\"started\":0}");
	free(text);
	json_decref(touched);

	/* evict-nat counts the conntrack entries it deleted: at least this connection's */
	c.lfd = netprobe_listen(topo, "server", c.port, err, sizeof err);
	if (c.lfd < 0)
		fail_msg("%s", err);
	conn_open(&c);
	assert_int_equal(fault_init(&f, fault_lookup("evict-nat"), args, 2, err, sizeof err), 0);
	if (fault_apply(&f, &env, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_true(f.touched.flows >= 1);
	fault_describe(&f, what, sizeof what);
	assert_non_null(strstr(what, "router forgot the NAT state of "));
	conn_close(&c);
	close(c.lfd);
}

static void test_faults_chain_empty_after_heals(void **state)
{
	char err[512], *out = NULL;
	struct nft_fault f;

	/* every variant above healed: the faults chain holds no rule, no set is left */
	if (router_nft(topo->rt, "list table ip acklab", 0, &out, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_non_null(out);
	if (strstr(out, "set acklab_") || strstr(out, " drop\n\t}\n\n\tchain forward"))
		fail_msg("leftovers after heal:\n%s", out);
	assert_non_null(strstr(out, "chain faults {\n\t}"));
	free(out);

	memset(&f, 0, sizeof f);
	assert_int_equal(nft_drop(topo, "client", "nowhere", &f, err, sizeof err), -1);
	assert_non_null(strstr(err, "nowhere"));
	assert_int_equal(f.nhandles, 0);
}

int main(void)
{
	char err[512];
	struct CMUnitTest tests[ARRAY_LEN(variants) + 3];
	size_t i;

	for (i = 0; i < ARRAY_LEN(variants); i++) {
		memset(&tests[i], 0, sizeof tests[i]);
		tests[i].name = variants[i].name;
		tests[i].test_func = run_variant;
		tests[i].initial_state = (void *)&variants[i];
	}
	memset(&tests[i], 0, sizeof tests[i]);
	tests[i].name = "drop_counts_packets";
	tests[i].test_func = test_drop_counts_packets;
	i++;
	memset(&tests[i], 0, sizeof tests[i]);
	tests[i].name = "rows_record_what_they_touched";
	tests[i].test_func = test_rows_record_what_they_touched;
	i++;
	memset(&tests[i], 0, sizeof tests[i]);
	tests[i].name = "faults_chain_after_heals";
	tests[i].test_func = test_faults_chain_empty_after_heals;

	if (sandbox_enter(err, sizeof err) < 0) {
		printf("skip: %s\n", err);
		return 77;
	}
	return _cmocka_run_group_tests("harness_netfault", tests, ARRAY_LEN(tests), group_setup,
				       group_teardown);
}
