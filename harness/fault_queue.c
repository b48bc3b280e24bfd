/*
 * fault_queue: the rows of the queue faults; see fault_queue.h.
 *
 * Every row is one rule of the router's queue (pktq_rule_add) on the link
 * from its first host to its second, made from the row's values; heal
 * removes the rule, which lets go of whatever it still keeps, and copies
 * its final counts into f->touched (dropped packets count as packets, as
 * for the rule faults). The seed of a rule mixes the cell's seed with the
 * fault's words, so two different faults of one cell draw different
 * numbers and a rerun draws the same ones.
 *
 * The proofs serve the queue while they wait (pktq_pump): the doctor has
 * no loop of its own. Receivers are read to the end of what arrives, and
 * TCP's own counters (tcp_info) show what the application cannot see: a
 * duplicate the kernel discarded (the sender is told by a D-SACK), a
 * segment that came out of order.
 */
#include "fault_queue.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fault_proc.h"
#include "lab.h"
#include "netprobe.h"
#include "pktq.h"
#include "router.h"
#include "token.h"
#include "topo.h"
#include "util.h"

#define QUEUE_MAX_MS 60000
#define QUEUE_REORDER_MS 10           /* reorder's wait when the fault names none */
#define QUEUE_TCP_CLOSE 7             /* the kernel's TCP_CLOSE (netinet/tcp.h clashes with linux/tcp.h) */

/* --- values ------------------------------------------------------------------- */

int fault_queue_percent(const char *s, uint32_t *ppm, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = isdigit((unsigned char)*s) ? strtod(s, &end) : -1;
	if (v < 0 || errno || strcmp(end, "%") != 0)
		return err_set(err, errlen, "bad chance '%s' (expected a percentage like 5%% or 0.5%%)", s);
	if (v <= 0 || v > 100)
		return err_set(err, errlen, "chance '%s' is out of range (expected more than 0%% and at "
			       "most 100%%)", s);
	*ppm = (uint32_t)(v * 10000 + 0.5);
	if (*ppm == 0)
		return err_set(err, errlen, "chance '%s' is too small (the least is 0.0001%%)", s);
	return 0;
}

int fault_queue_duration(const char *s, int64_t *ms, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = isdigit((unsigned char)*s) ? strtod(s, &end) : -1;
	if (v < 0 || errno || !(strcmp(end, "ms") == 0 || strcmp(end, "s") == 0))
		return err_set(err, errlen, "bad duration '%s' (expected a duration like 80ms or 2s)", s);
	if (strcmp(end, "s") == 0)
		v *= 1000.0;
	if (v > QUEUE_MAX_MS)
		return err_set(err, errlen, "duration '%s' is too long (at most %d s)", s,
			       QUEUE_MAX_MS / 1000);
	*ms = (int64_t)(v + 0.5);
	return 0;
}

/* The values of a queue fault, read from args[2..] as each row takes them. */
struct queue_values {
	int64_t ms, jitter_ms;
	uint32_t ppm;
};

/*
 * args[2..nargs): a first value (duration or chance) and then at most one
 * "KEYWORD DURATION" pair. 0, or -1 with err and *bad_arg.
 */
static int queue_values(const struct fault_ops *ops, const char *const *args, int nargs,
			bool chance, const char *keyword, struct queue_values *v, int *bad_arg,
			char *err, size_t errlen)
{
	int64_t *second = chance ? &v->ms : &v->jitter_ms;

	memset(v, 0, sizeof *v);
	*bad_arg = 2;
	if (chance ? fault_queue_percent(args[2], &v->ppm, err, errlen) == -1
		   : fault_queue_duration(args[2], &v->ms, err, errlen) == -1)
		return -1;
	if (chance && keyword)
		v->ms = QUEUE_REORDER_MS;
	if (nargs == 3)
		return 0;
	*bad_arg = 3;
	if (!keyword || strcmp(args[3], keyword) != 0)
		return err_set(err, errlen, "unexpected '%s' (usage: %s)", args[3], ops->usage);
	if (nargs < 5) {
		*bad_arg = nargs;     /* just past the last argument */
		return err_set(err, errlen, "missing duration after '%s' (usage: %s)", keyword, ops->usage);
	}
	*bad_arg = 4;
	return fault_queue_duration(args[4], second, err, errlen);
}

static int queue_validate(const struct fault_ops *ops, const char *const *args, int nargs,
			  int recipients, int *bad_arg, char *err, size_t errlen)
{
	struct queue_values v;
	bool chance = ops != &fault_delay;
	const char *keyword = ops == &fault_delay ? "jitter" : ops == &fault_reorder ? "by" : NULL;

	if (fault_validate_hosts(ops, args, nargs, recipients, bad_arg, err, errlen) == -1)
		return -1;
	if (ops == &fault_hold)
		return 0;
	if (queue_values(ops, args, nargs, chance, keyword, &v, bad_arg, err, errlen) == -1)
		return -1;
	*bad_arg = -1;
	return 0;
}

/* --- apply and heal ------------------------------------------------------------ */

/* A seed for f's rule: the cell's, mixed with the fault's own words. */
static uint64_t queue_seed(const struct fault *f, unsigned long cell_seed)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)cell_seed;

	for (const char *c = f->ops->name; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	for (int i = 0; i < f->nargs; i++)
		for (const char *c = f->args[i]; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	return shape_next_random(&h);
}

static int queue_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	static const struct {
		const struct fault_ops *ops;
		enum shape_kind kind;
	} kinds[] = {
		{ &fault_hold, SHAPE_HOLD }, { &fault_delay, SHAPE_DELAY }, { &fault_loss, SHAPE_LOSS },
		{ &fault_duplicate, SHAPE_DUPLICATE }, { &fault_reorder, SHAPE_REORDER },
	};
	struct topo_host *a = topo_host(env->topo, f->args[0]), *b = topo_host(env->topo, f->args[1]);
	const char *args[FAULT_MAX_ARGS];
	struct shape_rule r = { 0 };
	struct queue_values v = { 0 };
	struct pktq *q;
	int bad;

	if (!a || !b || !a->addr[0] || !b->addr[0])
		return err_set(err, errlen, "no host named '%s'", !a || !a->addr[0] ? f->args[0] : f->args[1]);
	for (int i = 0; i < f->nargs; i++)
		args[i] = f->args[i];
	if (f->ops != &fault_hold &&
	    queue_values(f->ops, args, f->nargs, f->ops != &fault_delay,
			 f->ops == &fault_delay ? "jitter" : f->ops == &fault_reorder ? "by" : NULL, &v,
			 &bad, err, errlen) == -1)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
		if (kinds[i].ops == f->ops)
			r.kind = kinds[i].kind;
	inet_pton(AF_INET, a->addr, &r.src);
	inet_pton(AF_INET, b->addr, &r.dst);
	r.ms = v.ms;
	r.jitter_ms = v.jitter_ms;
	r.ppm = v.ppm;
	r.seed = queue_seed(f, env->seed);
	q = pktq_of(env->topo->rt, err, errlen);
	if (!q || pktq_rule_add(q, &r, b->router_ifname, &f->queue_rule, err, errlen) == -1)
		return -1;
	f->active = true;
	return 0;
}

static void queue_touched(struct fault *f, const struct shape_counts *c)
{
	f->touched.held = c->held;
	f->touched.delayed = c->delayed;
	f->touched.duplicated = c->duplicated;
	f->touched.packets = c->dropped;
}

static int queue_heal(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	struct pktq *q = pktq_if_open(env->topo->rt);
	struct shape_counts c;

	if (!q)
		return err_set(err, errlen, "the router's queue is gone");
	if (pktq_rule_remove(q, f->queue_rule, &c, err, errlen) == -1)
		return -1;
	f->queue_rule = 0;
	queue_touched(f, &c);
	return 0;
}

void fault_queue_hold_rule(struct fault *f, const char *from, const char *to, const char *msg_id,
			   uint64_t packets)
{
	memset(f, 0, sizeof *f);
	f->ops = &fault_hold;
	f->nargs = 3;
	str_copy(f->args[0], from, sizeof f->args[0]);
	str_copy(f->args[1], to, sizeof f->args[1]);
	str_copy(f->args[2], msg_id, sizeof f->args[2]);
	f->healed = true;
	f->touched.held = packets;
}

/* --- describe --------------------------------------------------------------------- */

/* "; it delayed 12 packets" once healed (the count is final), else "". */
static const char *queue_count(const struct fault *f, const char *verb, uint64_t n, char *buf,
			       size_t len)
{
	if (!f->healed)
		return "";
	snprintf(buf, len, "; it %s %" PRIu64 " packet%s", verb, n, n == 1 ? "" : "s");
	return buf;
}

static void hold_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64];

	if (f->nargs == 3) {
		snprintf(buf, len, "router held the packet carrying %s from %s to %s, and what came after "
			 "it on its flow, until the rule's fault had fired (%" PRIu64 " packet%s held)",
			 f->args[2], f->args[0], f->args[1], f->touched.held,
			 f->touched.held == 1 ? "" : "s");
		return;
	}
	snprintf(buf, len, "router keeps every packet from %s to %s and lets them go, in order, when "
		 "healed%s", f->args[0], f->args[1],
		 queue_count(f, "held", f->touched.held, count, sizeof count));
}

static void delay_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64], jitter[48] = "";

	if (f->nargs == 5)
		snprintf(jitter, sizeof jitter, " (plus or minus %s)", f->args[4]);
	snprintf(buf, len, "router delays every packet from %s to %s by %s%s%s", f->args[0],
		 f->args[1], f->args[2], jitter,
		 queue_count(f, "delayed", f->touched.delayed, count, sizeof count));
}

static void loss_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64];

	snprintf(buf, len, "router drops each packet from %s to %s with chance %s%s", f->args[0],
		 f->args[1], f->args[2], queue_count(f, "dropped", f->touched.packets, count, sizeof count));
}

static void duplicate_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64];

	snprintf(buf, len, "router delivers each packet from %s to %s twice with chance %s%s",
		 f->args[0], f->args[1], f->args[2],
		 queue_count(f, "duplicated", f->touched.duplicated, count, sizeof count));
}

static void reorder_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64];

	snprintf(buf, len, "router holds each packet from %s to %s back by %s with chance %s while "
		 "later ones pass%s", f->args[0], f->args[1], f->nargs == 5 ? f->args[4] : "10ms",
		 f->args[2], queue_count(f, "held back", f->touched.delayed, count, sizeof count));
}

/* --- proofs, on plain TCP between the lab's client and server ---------------- */

/* f made from row ops with args and applied in the lab. */
static int queue_fault(struct lab *lab, struct fault *f, const struct fault_ops *ops,
		       const char *const *args, int nargs, char *err, size_t errlen)
{
	if (fault_init(f, ops, args, nargs, err, errlen) == -1)
		return -1;
	return fault_apply(f, &lab->env, err, errlen);
}

/* Serve the queue until fd has bytes (read them into buf, up to len): the count, or -1 after ms. */
static ssize_t queue_recv(struct pktq *q, int fd, void *buf, size_t len, int ms)
{
	char err[128];

	if (pktq_pump(q, fd, ms) != 1)
		return -1;
	return netprobe_recv(fd, buf, len, 0, err, sizeof err);
}

/* One write from the client and its arrival at the server, in ms (-1: it never came). */
static double queue_one_way(struct pktq *q, struct lab_pair *p, int ms)
{
	char buf[64], err[128];
	int64_t t = mono_ns();

	if (netprobe_send(p->c, "x", 1, LAB_WAIT_MS, err, sizeof err) == -1)
		return -1;
	return queue_recv(q, p->s, buf, sizeof buf, ms) > 0 ? ms_since(t) : -1;
}

static struct tcp_info queue_tcp_info(int fd)
{
	struct tcp_info ti;
	socklen_t n = sizeof ti;

	memset(&ti, 0, sizeof ti);
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &n);
	return ti;
}

static const char *const client_server[] = { "client", "server" };

/* The lab's queue and a pair through it, or NULL with out->observed saying why. */
static struct pktq *queue_lab(struct lab *lab, struct lab_pair *p, struct fault_proof *out)
{
	char err[256];
	struct pktq *q = pktq_of(lab->topo->rt, err, sizeof err);

	if (!q || lab_pair_open(lab, p, NULL, 0, err, sizeof err) == -1) {
		snprintf(out->observed, sizeof out->observed, "%s", err);
		return NULL;
	}
	return q;
}

/* The hold proof's classify: hold the flow of the packet carrying the doctor's token. */
static int hold_classify(void *arg, const struct pktq_packet *p)
{
	return token_memfind((const char *)p->payload, p->payload_len, arg, strlen(arg)) ? 0 : -1;
}

/*
 * The hold on a packet, as a cell's rule does it: the echo's request is
 * held, the echo is killed, the request is released into a dead host's
 * socket: the client gets a reset, never an echo. Fills what it saw.
 */
static bool hold_crash_before_read(struct lab *lab, struct pktq *q, char *seen, size_t len)
{
	static char token[] = "acklab-doctor-hold";
	struct shape_flow_info info;
	struct fault crash = { 0 };
	const char *server[] = { "server" };
	char err[256], buf[64];
	double fired_ms = -1, held_ms = -1;
	bool quiet = false, reset = false;
	ssize_t got, echoed = 0;
	int hold = 0, fd = -1;
	int64_t t;

	if (lab_echo_running(lab, err, sizeof err) == -1 ||
	    pktq_watch_tcp(q, lab->topo->client->addr, lab->topo->server->addr, err, sizeof err) == -1 ||
	    (fd = lab_echo_connect(lab, err, sizeof err)) < 0) {
		snprintf(seen, len, "%s", err);
		goto done;
	}
	pktq_set_classify(q, hold_classify, token);
	netprobe_send(fd, token, strlen(token), LAB_WAIT_MS, err, sizeof err);
	t = mono_ns();
	while (!pktq_opened(q, &hold, &info) && ms_since(t) < LAB_WAIT_MS)
		pktq_pump(q, -1, 10);
	if (!hold) {
		snprintf(seen, len, "the request was never held");
		goto done;
	}
	quiet = pktq_pump(q, fd, LAB_QUIET_MS / 3) == 0;    /* held: no echo comes */
	if (fault_init(&crash, &fault_crash, server, 1, err, sizeof err) == 0 &&
	    fault_apply(&crash, &lab->env, err, sizeof err) == 0)
		fired_ms = (double)(mono_ns() - info.opened_ns) / 1e6;
	pktq_release(q, hold, false, &info, err, sizeof err);
	held_ms = (double)(mono_ns() - info.opened_ns) / 1e6;
	/* The dead echo's socket closed with nothing unread (a FIN); the request then meets no socket. */
	while ((got = netprobe_recv(fd, buf, sizeof buf, LAB_WAIT_MS, err, sizeof err)) > 0)
		echoed += got;
	for (int64_t t0 = mono_ns(); !reset && ms_since(t0) < LAB_WAIT_MS; pktq_pump(q, -1, 5))
		reset = queue_tcp_info(fd).tcpi_state == QUEUE_TCP_CLOSE;
	snprintf(seen, len, "request held %.1f ms (no echo while held: %s; echo killed %.1f ms in), "
		 "then %zd bytes echoed and %s", held_ms, quiet ? "yes" : "no", fired_ms, echoed,
		 reset ? "a reset for the request: it reached a dead server" : "no reset");
done:
	pktq_set_classify(q, NULL, NULL);
	pktq_unwatch_all(q, NULL, 0);
	if (fd >= 0)
		close(fd);
	lab_echo_running(lab, err, sizeof err);
	return quiet && reset && echoed == 0 && fired_ms >= 0;
}

static void hold_prove(struct lab *lab, struct fault_proof *out)
{
	struct lab_pair p = { -1, -1 };
	struct fault f = { 0 };
	char err[256], buf[16], crash[200] = "";
	struct pktq *q = queue_lab(lab, &p, out);
	bool kept = false, released = false, dead = false;
	double after_ms = -1;
	int64_t healed;

	if (q && queue_fault(lab, &f, &fault_hold, client_server, 2, err, sizeof err) == 0) {
		netprobe_send(p.c, "held", 4, LAB_WAIT_MS, err, sizeof err);
		kept = pktq_pump(q, p.s, LAB_QUIET_MS) == 0;
		fault_heal(&f, &lab->env, err, sizeof err);
		healed = mono_ns();
		released = queue_recv(q, p.s, buf, sizeof buf, LAB_WAIT_MS) == 4;
		after_ms = ms_since(healed);
		lab_pair_close(&p);
		dead = hold_crash_before_read(lab, q, crash, sizeof crash);
		snprintf(out->observed, sizeof out->observed, "link: %s for %d ms, %s %.1f ms after heal "
			 "(%" PRIu64 " held); on a packet: %s", kept ? "nothing delivered" : "delivered",
			 LAB_QUIET_MS, released ? "delivered" : "still missing", after_ms, f.touched.held,
			 crash);
	} else if (q) {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = kept && released && dead && f.touched.held > 0;
	lab_pair_close(&p);
}

static void delay_prove(struct lab *lab, struct fault_proof *out)
{
	const char *fixed[] = { "client", "server", "80ms" };
	const char *jittery[] = { "client", "server", "40ms", "jitter", "20ms" };
	struct lab_pair p = { -1, -1 };
	struct fault f = { 0 }, g = { 0 };
	char err[256];
	struct pktq *q = queue_lab(lab, &p, out);
	double slow = -1, fast = -1, lo = 1e9, hi = -1;
	bool jitter_ok = true;

	if (q && queue_fault(lab, &f, &fault_delay, fixed, 3, err, sizeof err) == 0) {
		slow = queue_one_way(q, &p, LAB_WAIT_MS);
		fault_heal(&f, &lab->env, err, sizeof err);
		fast = queue_one_way(q, &p, LAB_WAIT_MS);
		if (queue_fault(lab, &g, &fault_delay, jittery, 5, err, sizeof err) == 0) {
			for (int i = 0; i < 5; i++) {
				double ms = queue_one_way(q, &p, LAB_WAIT_MS);

				lo = ms < lo ? ms : lo;
				hi = ms > hi ? ms : hi;
				jitter_ok = jitter_ok && ms >= 20 && ms < 60 + 30;
			}
			fault_heal(&g, &lab->env, err, sizeof err);
		}
		snprintf(out->observed, sizeof out->observed, "a write took %.1f ms with 80ms, %.1f ms "
			 "after heal (%" PRIu64 " delayed); 40ms jitter 20ms: %.1f..%.1f ms", slow, fast,
			 f.touched.delayed, lo, hi);
	} else if (q) {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = slow >= 80 && slow < 80 + 30 && fast >= 0 && fast < 20 && f.touched.delayed > 0 &&
		  g.touched.delayed >= 5 && jitter_ok;
	lab_pair_close(&p);
}

static void loss_prove(struct lab *lab, struct fault_proof *out)
{
	const char *args[] = { "client", "server", "30%" };
	struct lab_pair p = { -1, -1 };
	struct fault f = { 0 };
	char err[256];
	struct pktq *q = queue_lab(lab, &p, out);
	struct shape_counts c = { 0 };
	int arrived = 0;

	if (q && queue_fault(lab, &f, &fault_loss, args, 3, err, sizeof err) == 0) {
		for (int i = 0; i < 10; i++)
			arrived += queue_one_way(q, &p, 3 * LAB_WAIT_MS) >= 0;
		pktq_rule_counts(q, f.queue_rule, &c);
		fault_heal(&f, &lab->env, err, sizeof err);
		snprintf(out->observed, sizeof out->observed, "%d of 10 writes arrived; the router "
			 "dropped %" PRIu64 " of %" PRIu64 " packets and TCP sent them again", arrived,
			 f.touched.packets, c.seen);
	} else if (q) {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = arrived == 10 && f.touched.packets > 0 && f.touched.packets < c.seen;
	lab_pair_close(&p);
}

static void duplicate_prove(struct lab *lab, struct fault_proof *out)
{
	const char *args[] = { "client", "server", "100%" };
	struct lab_pair p = { -1, -1 };
	struct fault f = { 0 };
	char err[256], buf[64];
	struct pktq *q = queue_lab(lab, &p, out);
	unsigned dsacks = 0;
	ssize_t got = -1;

	if (q && queue_fault(lab, &f, &fault_duplicate, args, 3, err, sizeof err) == 0) {
		netprobe_send(p.c, "twice", 5, LAB_WAIT_MS, err, sizeof err);
		got = queue_recv(q, p.s, buf, sizeof buf, LAB_WAIT_MS);
		/* The copy arrives after the original: the server discards it and tells the client. */
		for (int64_t t = mono_ns(); !dsacks && ms_since(t) < LAB_WAIT_MS;) {
			pktq_pump(q, -1, 5);
			dsacks = queue_tcp_info(p.c).tcpi_dsack_dups;
		}
		fault_heal(&f, &lab->env, err, sizeof err);
		snprintf(out->observed, sizeof out->observed, "server read %zd bytes once; the client "
			 "was told of %u duplicate%s (D-SACK); %" PRIu64 " duplicated", got, dsacks,
			 dsacks == 1 ? "" : "s", f.touched.duplicated);
	} else if (q) {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = got == 5 && dsacks > 0 && f.touched.duplicated > 0 && lab_quiet(p.s);
	lab_pair_close(&p);
}

static void reorder_prove(struct lab *lab, struct fault_proof *out)
{
	const char *args[] = { "client", "server", "50%", "by", "30ms" };
	struct lab_pair p = { -1, -1 };
	struct fault f = { 0 };
	char err[256], sent[200], got[256];
	struct pktq *q = queue_lab(lab, &p, out);
	size_t have = 0;
	unsigned ooo = 0;
	int one = 1;

	for (size_t i = 0; i < sizeof sent; i++)
		sent[i] = (char)('a' + i % 26);
	if (q && queue_fault(lab, &f, &fault_reorder, args, 5, err, sizeof err) == 0) {
		setsockopt(p.c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		for (int i = 0; i < 10; i++) {
			netprobe_send(p.c, sent + 20 * i, 20, LAB_WAIT_MS, err, sizeof err);
			pktq_pump(q, -1, 1);      /* one segment a write */
		}
		while (have < sizeof sent) {
			ssize_t n = queue_recv(q, p.s, got + have, sizeof got - have, LAB_WAIT_MS);

			if (n <= 0)
				break;
			have += (size_t)n;
		}
		ooo = queue_tcp_info(p.s).tcpi_rcv_ooopack;
		fault_heal(&f, &lab->env, err, sizeof err);
		snprintf(out->observed, sizeof out->observed, "%" PRIu64 " of 10 segments held back "
			 "30 ms; server got %u out of order; the 200 bytes read back %s",
			 f.touched.delayed, ooo, have == sizeof sent && memcmp(got, sent, have) == 0
			 ? "in order" : "wrong");
	} else if (q) {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	out->ok = have == sizeof sent && memcmp(got, sent, have) == 0 && ooo > 0 &&
		  f.touched.delayed > 0;
	lab_pair_close(&p);
}

/* --- the rows --------------------------------------------------------------- */

const struct fault_ops fault_hold = {
	.name = "hold", .usage = "hold FROM-HOST TO-HOST",
	.summary = "keep every packet from one host to another until healed, then deliver them in order",
	.min_args = 2, .max_args = 2, .arg_kind = FAULT_ARG_HOST, .validate = queue_validate,
	.apply = queue_apply, .heal = queue_heal, .describe = hold_describe,
	.proof = "held: nothing delivered, then all; lands on a dead server",
	.prove = hold_prove,
};

const struct fault_ops fault_delay = {
	.name = "delay", .usage = "delay FROM-HOST TO-HOST DURATION [jitter DURATION]",
	.summary = "delay every packet from one host to another (plus or minus a jitter)",
	.min_args = 3, .max_args = 5, .arg_kind = FAULT_ARG_HOST, .validate = queue_validate,
	.apply = queue_apply, .heal = queue_heal, .describe = delay_describe,
	.proof = "80 ms late, on time after heal; jitter within its range",
	.prove = delay_prove, .nnames = 2,
};

const struct fault_ops fault_loss = {
	.name = "loss", .usage = "loss FROM-HOST TO-HOST PERCENT",
	.summary = "drop each packet from one host to another with a seeded chance",
	.min_args = 3, .max_args = 3, .arg_kind = FAULT_ARG_HOST, .validate = queue_validate,
	.apply = queue_apply, .heal = queue_heal, .describe = loss_describe,
	.proof = "some packets dropped, TCP resends them, all writes arrive",
	.prove = loss_prove, .nnames = 2,
};

const struct fault_ops fault_duplicate = {
	.name = "duplicate", .usage = "duplicate FROM-HOST TO-HOST PERCENT",
	.summary = "deliver each packet from one host to another twice with a seeded chance",
	.min_args = 3, .max_args = 3, .arg_kind = FAULT_ARG_HOST, .validate = queue_validate,
	.apply = queue_apply, .heal = queue_heal, .describe = duplicate_describe,
	.proof = "receiver gets each segment twice and reads it once",
	.prove = duplicate_prove, .nnames = 2,
};

const struct fault_ops fault_reorder = {
	.name = "reorder", .usage = "reorder FROM-HOST TO-HOST PERCENT [by DURATION]",
	.summary = "hold some packets from one host to another back while later ones pass",
	.min_args = 3, .max_args = 5, .arg_kind = FAULT_ARG_HOST, .validate = queue_validate,
	.apply = queue_apply, .heal = queue_heal, .describe = reorder_describe,
	.proof = "segments arrive out of order; read back in order",
	.prove = reorder_prove, .nnames = 2,
};
