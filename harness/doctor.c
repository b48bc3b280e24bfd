/*
 * doctor: `acklab doctor` — can this machine run acklab, and does every
 * fault primitive do what it claims?
 *
 * First the kernel features, each probed for real inside the sandbox (user
 * and network namespaces, veth, nftables with NAT and conntrack, tbf,
 * packet capture). Then, on a real topology, each primitive is applied to
 * plain TCP between the client and the server host and its effect is
 * observed from both ends: evict-nat leaves the client's send() succeeding
 * while the server never gets the bytes; drop-replies lets the request in
 * and the reply never out, while a new connection works; crash makes the
 * peer see a reset; and so on. The server end of the process faults is a
 * real process (this program's hidden `probe-echo` command) run as a role,
 * so crash, pause, resume and restart go through the same fault table as
 * scenarios do. The result is a table and an exit status.
 */
#include "doctor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "conntrack.h"
#include "fault.h"
#include "log.h"
#include "netprobe.h"
#include "proc.h"
#include "router.h"
#include "sandbox.h"
#include "topo.h"
#include "util.h"

#define DOCTOR_PORT 7000
#define DOCTOR_ECHO_PORT 7001
#define DOCTOR_QUIET_MS 300       /* "nothing arrives" means nothing within this */
#define DOCTOR_WAIT_MS 2000       /* "it arrives" means within this */

const char doctor_usage[] =
	"usage: acklab doctor [-v]\n"
	"\n"
	"Checks what this machine allows (user and network namespaces, veth,\n"
	"nftables, conntrack, tbf, packet capture), then builds the topology and\n"
	"proves each fault primitive on plain TCP between two hosts, printing\n"
	"primitive, expected effect, observed effect and verdict. Exit 0 when all\n"
	"hold, 1 when a primitive misbehaved, 4 when a needed feature is missing\n"
	"(with the feature named and how to get it). Runs as root or a normal user.\n";

struct doctor {
	struct topo *topo;
	struct proc *echo;            /* the probe-echo role in the server host */
	const char *bin_dir;
	int failures;
	bool verbose;
};

static void doctor_row(struct doctor *d, const char *what, const char *expected, bool ok,
		       const char *observed)
{
	printf("%-14s %-58s %-7s %s\n", what, expected, ok ? "ok" : "FAIL", observed);
	fflush(stdout);
	if (!ok)
		d->failures++;
}

static void doctor_feature(const char *what, bool ok, const char *detail)
{
	printf("  %-22s %-4s %s\n", what, ok ? "ok" : "no", detail);
	fflush(stdout);
}

/* --- the echo role ---------------------------------------------------------- */

static struct proc *doctor_find_role(void *arg, const char *role)
{
	struct doctor *d = arg;

	return strcmp(role, "server") == 0 ? d->echo : NULL;
}

static int doctor_wait_ready(struct doctor *d, char *err, size_t errlen);

static int doctor_start_echo(struct doctor *d, char *err, size_t errlen)
{
	char exe[4200], port[16];
	char *argv[] = { exe, "probe-echo", port, NULL };
	struct proc_spec spec = { "server", d->topo->server->netns_fd, argv, "/dev/null", false };

	/* Logs go nowhere: the doctor leaves no files behind. */
	snprintf(exe, sizeof exe, "%s/acklab", d->bin_dir);
	snprintf(port, sizeof port, "%d", DOCTOR_ECHO_PORT);
	spec.log_dir = NULL;
	proc_free(d->echo);
	d->echo = NULL;
	if (proc_start(&d->echo, &spec, err, errlen) == -1)
		return -1;
	return doctor_wait_ready(d, err, errlen);
}

static int doctor_restart_role(void *arg, const char *role, char *err, size_t errlen)
{
	return doctor_start_echo(arg, err, errlen);
}

static void doctor_ready_line(void *arg, struct proc *p, const char *line, int64_t t)
{
	*(bool *)arg |= strstr(line, "\"ready\"") != NULL;
}

static int doctor_wait_ready(struct doctor *d, char *err, size_t errlen)
{
	int64_t deadline = mono_ns() + (int64_t)DOCTOR_WAIT_MS * 1000000;
	bool ready = false;

	while (!ready && mono_ns() < deadline) {
		struct pollfd pfd = { proc_stdout_fd(d->echo), POLLIN, 0 };

		if (pfd.fd < 0 || poll(&pfd, 1, 20) < 0)
			break;
		if (proc_drain(d->echo, doctor_ready_line, &ready) != 0)
			break;
	}
	return ready ? 0 : err_set(err, errlen, "probe-echo did not start in the server host");
}

static int doctor_fault(struct doctor *d, struct fault *f, const char *name, const char *a,
			const char *b, char *err, size_t errlen)
{
	struct fault_env env = { d->topo, doctor_find_role, doctor_restart_role, d };
	const char *args[2] = { a, b };

	if (fault_init(f, fault_lookup(name), args, b ? 2 : 1, err, errlen) == -1)
		return -1;
	return fault_apply(f, &env, err, errlen);
}

static void doctor_heal(struct doctor *d, struct fault *f)
{
	struct fault_env env = { d->topo, doctor_find_role, doctor_restart_role, d };
	char err[256];

	if (fault_heal(f, &env, err, sizeof err) == -1)
		log_warnx("%s", err);
}

/* --- plain TCP pairs -------------------------------------------------------- */

struct pair {
	int lfd, c, s;
};

static void pair_close(struct pair *p)
{
	if (p->c >= 0) close(p->c);
	if (p->s >= 0) close(p->s);
	p->c = p->s = -1;
}

/* A connected client/server pair through the router, on the doctor's listener. */
static int pair_open(struct doctor *d, struct pair *p, char *peer, size_t peerlen, char *err, size_t errlen)
{
	p->c = netprobe_connect(d->topo, "client", d->topo->server->addr, DOCTOR_PORT, DOCTOR_WAIT_MS,
				err, errlen);
	if (p->c < 0)
		return -1;
	p->s = netprobe_accept(p->lfd, DOCTOR_WAIT_MS, peer, peerlen, err, errlen);
	return p->s < 0 ? -1 : 0;
}

/* Does a fresh connection carry a request and its reply both ways? */
static bool pair_fresh_works(struct doctor *d, struct pair *base)
{
	struct pair p = { base->lfd, -1, -1 };
	char buf[64], err[256];
	bool ok = false;

	if (pair_open(d, &p, NULL, 0, err, sizeof err) == 0 &&
	    netprobe_send(p.c, "req", 3, DOCTOR_WAIT_MS, err, sizeof err) == 0 &&
	    netprobe_recv(p.s, buf, sizeof buf, DOCTOR_WAIT_MS, err, sizeof err) > 0 &&
	    netprobe_send(p.s, "rep", 3, DOCTOR_WAIT_MS, err, sizeof err) == 0 &&
	    netprobe_recv(p.c, buf, sizeof buf, DOCTOR_WAIT_MS, err, sizeof err) > 0)
		ok = true;
	pair_close(&p);
	return ok;
}

/* nothing arrives on fd within the quiet time */
static bool quiet(int fd)
{
	char buf[64], err[128];

	return netprobe_recv(fd, buf, sizeof buf, DOCTOR_QUIET_MS, err, sizeof err) == -1 &&
	       errno == ETIMEDOUT;
}

static bool arrives(int fd)
{
	char buf[64], err[128];

	return netprobe_recv(fd, buf, sizeof buf, DOCTOR_WAIT_MS, err, sizeof err) > 0;
}

/* --- the proofs ------------------------------------------------------------- */

static void prove_baseline(struct doctor *d, struct pair *base)
{
	struct pair p = { base->lfd, -1, -1 };
	char peer[64] = "", err[256], obs[256];
	bool ok = pair_open(d, &p, peer, sizeof peer, err, sizeof err) == 0;

	ok = ok && strcmp(peer, d->topo->server->router_addr) == 0;
	snprintf(obs, sizeof obs, ok ? "server saw the peer as %s (the router): NAT works" : "%s%s",
		 ok ? peer : "connection failed: ", ok ? "" : err);
	if (!ok && peer[0])
		snprintf(obs, sizeof obs, "server saw the peer as %s, not the router %s", peer,
			 d->topo->server->router_addr);
	doctor_row(d, "baseline", "client reaches server through the router's NAT", ok, obs);
	pair_close(&p);
}

static void prove_evict(struct doctor *d, struct pair *base)
{
	struct pair p = { base->lfd, -1, -1 };
	struct fault f;
	char err[256], obs[256];
	int64_t t;
	double send_ms = -1;
	bool sent = false, lost = false, fresh = false;

	if (pair_open(d, &p, NULL, 0, err, sizeof err) == 0 &&
	    doctor_fault(d, &f, "evict-nat", "client", "server", err, sizeof err) == 0) {
		t = mono_ns();
		sent = netprobe_send(p.c, "after-eviction", 14, 50, err, sizeof err) == 0;
		send_ms = ms_since(t);
		lost = quiet(p.s);
		fresh = pair_fresh_works(d, base);
		snprintf(obs, sizeof obs, "%d entr%s deleted; send() %s in %.2f ms; server got %s; new connection %s",
			 f.affected, f.affected == 1 ? "y" : "ies", sent ? "succeeded" : "failed", send_ms,
			 lost ? "nothing" : "the bytes", fresh ? "works" : "fails");
	} else {
		snprintf(obs, sizeof obs, "%s", err);
	}
	doctor_row(d, "evict-nat", "client send() succeeds at once, server never gets it",
		   sent && lost && fresh && send_ms < 50, obs);
	pair_close(&p);
}

static void prove_drop_replies(struct doctor *d, struct pair *base)
{
	struct pair p = { base->lfd, -1, -1 };
	struct fault f;
	char err[256], obs[256];
	bool got_req = false, no_reply = false, fresh = false, applied = false;

	if (pair_open(d, &p, NULL, 0, err, sizeof err) == 0 &&
	    doctor_fault(d, &f, "drop-replies", "client", "server", err, sizeof err) == 0) {
		applied = true;
		got_req = netprobe_send(p.c, "request", 7, DOCTOR_WAIT_MS, err, sizeof err) == 0 &&
			  arrives(p.s);
		no_reply = netprobe_send(p.s, "reply", 5, DOCTOR_WAIT_MS, err, sizeof err) == 0 &&
			   quiet(p.c);
		fresh = pair_fresh_works(d, base);
		doctor_heal(d, &f);
		snprintf(obs, sizeof obs, "server %s the request; client got %s; new connection %s",
			 got_req ? "got" : "did not get", no_reply ? "no reply" : "the reply",
			 fresh ? "works" : "fails");
	} else {
		snprintf(obs, sizeof obs, "%s", err);
	}
	doctor_row(d, "drop-replies", "request arrives, reply never does, a new connection works",
		   applied && got_req && no_reply && fresh, obs);
	pair_close(&p);
}

static void prove_drop(struct doctor *d, struct pair *base)
{
	struct pair p = { base->lfd, -1, -1 };
	struct fault f;
	char err[256], obs[256];
	bool lost = false, back_ok = false, healed = false;

	if (pair_open(d, &p, NULL, 0, err, sizeof err) == 0 &&
	    doctor_fault(d, &f, "drop", "client", "server", err, sizeof err) == 0) {
		lost = netprobe_send(p.c, "x", 1, DOCTOR_WAIT_MS, err, sizeof err) == 0 && quiet(p.s);
		back_ok = netprobe_send(p.s, "y", 1, DOCTOR_WAIT_MS, err, sizeof err) == 0 && arrives(p.c);
		doctor_heal(d, &f);
		healed = pair_fresh_works(d, base);
		snprintf(obs, sizeof obs, "client->server %s; server->client %s; after heal %s",
			 lost ? "lost" : "delivered", back_ok ? "delivered" : "lost",
			 healed ? "works" : "still broken");
	} else {
		snprintf(obs, sizeof obs, "%s", err);
	}
	doctor_row(d, "drop", "one direction lost, the other delivered; heal restores",
		   lost && back_ok && healed, obs);
	pair_close(&p);
}

static void prove_blackhole(struct doctor *d, struct pair *base)
{
	struct fault f;
	char err[256], obs[256];
	int fd = -1;
	bool refused = false, healed = false;

	if (doctor_fault(d, &f, "blackhole", "server", NULL, err, sizeof err) == 0) {
		fd = netprobe_connect(d->topo, "client", d->topo->server->addr, DOCTOR_PORT,
				      DOCTOR_QUIET_MS, err, sizeof err);
		refused = fd < 0 && errno == ETIMEDOUT;
		if (fd >= 0)
			close(fd);
		doctor_heal(d, &f);
		/* the unanswered SYN may sit in the backlog: drain it */
		for (int s; (s = accept4(base->lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0;)
			close(s);
		healed = pair_fresh_works(d, base);
		snprintf(obs, sizeof obs, "connect %s; after heal %s", refused ? "timed out" : "got through",
			 healed ? "works" : "still broken");
	} else {
		snprintf(obs, sizeof obs, "%s", err);
	}
	doctor_row(d, "blackhole", "nothing in or out of the server's link; heal restores",
		   refused && healed, obs);
}

static void prove_reset(struct doctor *d, struct pair *base)
{
	struct pair p = { base->lfd, -1, -1 };
	struct fault f;
	char err[256], obs[256], buf[16];
	bool reset = false, fresh = false;

	if (pair_open(d, &p, NULL, 0, err, sizeof err) == 0 &&
	    doctor_fault(d, &f, "reset", "client", "server", err, sizeof err) == 0) {
		netprobe_send(p.c, "x", 1, DOCTOR_WAIT_MS, err, sizeof err);
		reset = netprobe_recv(p.c, buf, sizeof buf, DOCTOR_WAIT_MS, err, sizeof err) == -1 &&
			errno == ECONNRESET;
		fresh = pair_fresh_works(d, base);
		doctor_heal(d, &f);
		snprintf(obs, sizeof obs, "client %s; new connection %s", reset ? "got ECONNRESET" : err,
			 fresh ? "works" : "fails");
	} else {
		snprintf(obs, sizeof obs, "%s", err);
	}
	doctor_row(d, "reset", "the flow's next packet gets a TCP reset; new flows pass", reset && fresh, obs);
	pair_close(&p);
}

/* pause, resume, crash and restart, on the probe-echo role. */
static void prove_process_faults(struct doctor *d)
{
	struct fault f;
	char err[256], obs[256], buf[16];
	int fd;
	bool frozen = false, thawed = false, reset = false, restarted = false;

	fd = netprobe_connect(d->topo, "client", d->topo->server->addr, DOCTOR_ECHO_PORT,
			      DOCTOR_WAIT_MS, err, sizeof err);
	if (fd >= 0 && doctor_fault(d, &f, "pause", "server", NULL, err, sizeof err) == 0) {
		frozen = netprobe_send(fd, "a", 1, DOCTOR_WAIT_MS, err, sizeof err) == 0 && quiet(fd);
		doctor_heal(d, &f);
		thawed = arrives(fd);
	}
	snprintf(obs, sizeof obs, "while paused %s; after resume %s", frozen ? "no echo" : "echoed",
		 thawed ? "the echo came" : "nothing came");
	doctor_row(d, "pause/resume", "a paused server answers nothing; resumed, it answers",
		   frozen && thawed, obs);

	if (fd >= 0 && doctor_fault(d, &f, "pause", "server", NULL, err, sizeof err) == 0) {
		/* unread bytes in a dying socket make the kernel send a reset */
		netprobe_send(fd, "unread", 6, DOCTOR_WAIT_MS, err, sizeof err);
		quiet(fd);
		if (doctor_fault(d, &f, "crash", "server", NULL, err, sizeof err) == 0) {
			proc_wait_exit(d->echo, DOCTOR_WAIT_MS);
			reset = netprobe_recv(fd, buf, sizeof buf, DOCTOR_WAIT_MS, err, sizeof err) == -1 &&
				errno == ECONNRESET;
		}
	}
	proc_describe_exit(d->echo, buf, sizeof buf);
	snprintf(obs, sizeof obs, "server %s; client %s", buf, reset ? "got ECONNRESET" : "saw no reset");
	doctor_row(d, "crash", "SIGKILL; the peer sees a reset", reset, obs);
	if (fd >= 0)
		close(fd);

	if (doctor_fault(d, &f, "restart", "server", NULL, err, sizeof err) == 0) {
		fd = netprobe_connect(d->topo, "client", d->topo->server->addr, DOCTOR_ECHO_PORT,
				      DOCTOR_WAIT_MS, err, sizeof err);
		restarted = fd >= 0 && netprobe_send(fd, "b", 1, DOCTOR_WAIT_MS, err, sizeof err) == 0 &&
			    arrives(fd);
		if (fd >= 0)
			close(fd);
	}
	doctor_row(d, "restart", "the same command starts again and serves", restarted,
		   restarted ? "a new connection is echoed" : err);
}

/* --- features --------------------------------------------------------------- */

static int doctor_features(struct doctor *d)
{
	struct topo_config cfg = { .recipients = 1 };
	struct ct_flow flows[4];
	struct ct_table *ct;
	struct capture *cap = NULL;
	char err[1024];
	int64_t t;

	printf("features:\n");
	doctor_feature("user namespace", true, sandbox_outer_uid() ? "rootless: uid mapped to 0 inside"
								     : "as root, in a namespace of its own");
	t = mono_ns();
	if (topo_build(&d->topo, &cfg, err, sizeof err) == -1) {
		doctor_feature("network namespaces", false, err);
		printf("\nacklab needs network namespaces, veth pairs, nftables (nat, conntrack) in a\n"
		       "user namespace. On Debian 12 they are in the stock kernel; enable user\n"
		       "namespaces with: sysctl -w kernel.unprivileged_userns_clone=1\n");
		return -1;
	}
	char detail[128];
	snprintf(detail, sizeof detail, "topology of 5 hosts built in %.1f ms", ms_since(t));
	doctor_feature("netns + veth + routes", true, detail);
	doctor_feature("nftables nat + filter", true, "masquerade and forward filter installed");
	ct = router_conntrack(d->topo->rt, err, sizeof err);
	if (!ct || ct_list(ct, d->topo->client->addr, NULL, flows, 4, err, sizeof err) < 0) {
		doctor_feature("conntrack (netlink)", false, err);
		return -1;
	}
	doctor_feature("conntrack (netlink)", true, "tcp_loose=0 on the router, table readable");
	if (topo_set_rate(d->topo, "client", "100mbit", err, sizeof err) == -1) {
		doctor_feature("tbf qdisc", false, err);
		return -1;
	}
	topo_set_rate(d->topo, "client", NULL, err, sizeof err);
	doctor_feature("tbf qdisc", true, "rate limit set and removed on a link");
	if (capture_open(&cap, d->topo->router->netns_fd, "/dev/null", err, sizeof err) == -1) {
		doctor_feature("packet capture", false, err);
		return -1;
	}
	capture_close(cap);
	doctor_feature("packet capture", true, "libpcap on the router's interfaces");
	doctor_feature("netem", false, "absent here, and not needed: faults use nftables, conntrack, tbf");
	return 0;
}

int doctor_main(int argc, char **argv, const char *bin_dir)
{
	struct doctor d = { NULL, NULL, bin_dir, 0, false };
	struct pair base = { -1, -1, -1 };
	char err[1024];
	int64_t start;
	int rc = 4;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			d.verbose = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(doctor_usage, stdout);
			return 0;
		} else {
			log_warnx("doctor: unknown argument '%s'", argv[i]);
			fputs(doctor_usage, stderr);
			return 2;
		}
	}
	if (sandbox_enter(err, sizeof err) == -1) {
		printf("features:\n");
		doctor_feature("user namespace", false, err);
		printf("\nacklab runs everything inside a user namespace. Enable them with:\n"
		       "  sysctl -w kernel.unprivileged_userns_clone=1   (Debian)\n"
		       "  sysctl -w user.max_user_namespaces=15000\n");
		return 4;
	}
	start = mono_ns();
	if (doctor_features(&d) == -1)
		goto done;
	printf("\nprimitives (plain TCP, client host -> router -> server host):\n");
	printf("%-14s %-58s %-7s %s\n", "primitive", "expected effect", "verdict", "observed effect");
	base.lfd = netprobe_listen(d.topo, "server", DOCTOR_PORT, err, sizeof err);
	if (base.lfd < 0 || doctor_start_echo(&d, err, sizeof err) == -1) {
		doctor_row(&d, "setup", "a listener and an echo process in the server host", false, err);
		rc = 1;
		goto done;
	}
	prove_baseline(&d, &base);
	prove_evict(&d, &base);
	prove_drop_replies(&d, &base);
	prove_drop(&d, &base);
	prove_blackhole(&d, &base);
	prove_reset(&d, &base);
	prove_process_faults(&d);
	rc = d.failures ? 1 : 0;
	printf("\n%s: %d failure%s, %.1f s\n", rc ? "doctor found problems" : "all primitives hold",
	       d.failures, d.failures == 1 ? "" : "s", ms_since(start) / 1000.0);
done:
	if (base.lfd >= 0)
		close(base.lfd);
	proc_free(d.echo);
	topo_free(d.topo);
	return rc;
}

/*
 * `acklab probe-echo PORT`: the doctor's server process. Listens on PORT in
 * its host, prints a ready line, echoes whatever arrives, and exits after
 * 60 s at the latest (it never outlives a doctor run by much, even orphaned).
 */
static int doctor_listen_here(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 || listen(fd, 16) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int doctor_probe_echo(const char *port_arg)
{
	long port;
	char err[128];
	struct pollfd pfd[17];
	int n = 1;
	int64_t end = mono_ns() + 60LL * 1000000000;

	if (parse_long(port_arg, 1, 65535, &port, err, sizeof err) == -1)
		fatalx("probe-echo: %s", err);
	pfd[0].fd = doctor_listen_here((uint16_t)port);
	if (pfd[0].fd < 0)
		fatal("probe-echo: listen on port %ld", port);
	pfd[0].events = POLLIN;
	printf("{\"ev\":\"ready\",\"port\":%ld}\n", port);
	fflush(stdout);
	while (mono_ns() < end) {
		if (poll(pfd, n, 1000) <= 0)
			continue;
		if ((pfd[0].revents & POLLIN) && n < 17) {
			int s = accept4(pfd[0].fd, NULL, NULL, SOCK_CLOEXEC);

			if (s >= 0) {
				pfd[n].fd = s;
				pfd[n++].events = POLLIN;
			}
		}
		for (int i = 1; i < n; i++) {
			char buf[512];
			ssize_t got;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(pfd[i].fd, buf, sizeof buf);
			if (got <= 0 || write(pfd[i].fd, buf, (size_t)got) != got) {
				close(pfd[i].fd);
				pfd[i--] = pfd[--n];
			}
		}
	}
	return 0;
}
