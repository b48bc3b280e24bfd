/*
 * doctor: `acklab doctor` — can this machine run acklab, and does every
 * fault primitive do what it claims?
 *
 * First the kernel features, each probed for real inside the sandbox (user
 * and network namespaces, veth, nftables with NAT and conntrack, tbf,
 * packet capture, the router's packet queue). Then, on a real topology, the lab (lab.h) is set up and
 * every row of the fault table proves itself (its prove function lives
 * next to its apply, in fault_proc.c, fault_net.c or fault_queue.c): evict-nat leaves the
 * client's send() succeeding while the server never gets the bytes;
 * drop-replies lets the request in and the reply never out, while a new
 * connection works; crash makes the peer see a reset; the storage faults
 * fail, delay or drop writes to a file through acklab's FUSE filesystem
 * (skipped, and said why, on a machine that refuses FUSE). Adding a
 * fault adds its line here without touching this file. The result is a
 * table and an exit status.
 */
#include "doctor.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "conntrack.h"
#include "disk.h"
#include "fault_table.h"
#include "lab.h"
#include "log.h"
#include "pktq.h"
#include "router.h"
#include "sandbox.h"
#include "topo.h"
#include "util.h"

const char doctor_usage[] =
	"usage: acklab doctor [-v]\n"
	"\n"
	"Checks what this machine allows (user and network namespaces, veth,\n"
	"nftables, conntrack, tbf, packet capture, the router's packet queue, FUSE),\n"
	"then builds the topology and proves each fault primitive on plain TCP\n"
	"between two hosts (the storage faults on a file through acklab's FUSE\n"
	"filesystem), printing primitive, expected effect, observed effect and\n"
	"verdict. Exit 0 when all hold, 1 when a primitive misbehaved, 4 when a\n"
	"needed feature is missing (with the feature named and how to get it).\n"
	"Runs as root or a normal user.\n";

struct doctor {
	struct topo *topo;
	struct lab *lab;
	int failures, skipped;
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

/* A primitive this machine cannot show (no FUSE here): said, neither held nor failed. */
static void doctor_skip(struct doctor *d, const char *what, const char *expected, const char *why)
{
	printf("%-14s %-58s %-7s %s\n", what, expected, "skip", why);
	fflush(stdout);
	d->skipped++;
}

static void doctor_feature(const char *what, bool ok, const char *detail)
{
	printf("  %-22s %-4s %s\n", what, ok ? "ok" : "no", detail);
	fflush(stdout);
}

/* Before any fault: the client reaches the server, and the server sees the router. */
static void doctor_baseline(struct doctor *d)
{
	struct lab_pair p = { -1, -1 };
	char peer[64] = "", err[256], obs[256];
	bool ok = lab_pair_open(d->lab, &p, peer, sizeof peer, err, sizeof err) == 0;

	ok = ok && strcmp(peer, d->topo->server->router_addr) == 0;
	snprintf(obs, sizeof obs, ok ? "server saw the peer as %s (the router): NAT works" : "%s%s",
		 ok ? peer : "connection failed: ", ok ? "" : err);
	if (!ok && peer[0])
		snprintf(obs, sizeof obs, "server saw the peer as %s, not the router %s", peer,
			 d->topo->server->router_addr);
	doctor_row(d, "baseline", "client reaches server through the router's NAT", ok, obs);
	lab_pair_close(&p);
}

/* Every row of the fault table, in table order, on the lab. */
static void doctor_prove_all(struct doctor *d)
{
	for (const struct fault_ops *const *ops = fault_table(); *ops; ops++) {
		struct fault_proof proof = { false, "", false };

		(*ops)->prove(d->lab, &proof);
		if (proof.skipped)
			doctor_skip(d, (*ops)->name, (*ops)->proof, proof.observed);
		else
			doctor_row(d, (*ops)->name, (*ops)->proof, proof.ok, proof.observed);
		/* a SYN a fault held back may sit in the listener's backlog */
		lab_drain(d->lab);
	}
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
	if (!pktq_of(d->topo->rt, err, sizeof err)) {
		doctor_feature("packet queue", false, err);
		return -1;
	}
	doctor_feature("packet queue", true, "NFQUEUE (xtables target) in the router, read by acklab");
	/* Optional: without it, only the storage faults are out of reach. */
	if (disk_probe(err, sizeof err) == 0)
		doctor_feature("FUSE (/dev/fuse)", true, "a FUSE superblock made in the user namespace "
			       "(storage faults)");
	else
		doctor_feature("FUSE (/dev/fuse)", false, err);
	doctor_feature("netem", false, "absent here, and not needed: the packet queue shapes, "
		       "nftables drops, conntrack evicts, tbf limits");
	return 0;
}

int doctor_main(int argc, char **argv, const char *bin_dir)
{
	struct doctor d = { NULL, NULL, 0, 0, false };
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
	if (lab_open(&d.lab, d.topo, bin_dir, err, sizeof err) == -1) {
		doctor_row(&d, "setup", "a listener and an echo process in the server host", false, err);
		rc = 1;
		goto done;
	}
	doctor_baseline(&d);
	doctor_prove_all(&d);
	rc = d.failures ? 1 : 0;
	printf("\n%s: %d failure%s, %.1f s\n", rc ? "doctor found problems" : "all primitives hold",
	       d.failures, d.failures == 1 ? "" : "s", ms_since(start) / 1000.0);
	if (d.skipped)
		printf("%d primitive%s skipped: the rows marked skip say why\n", d.skipped,
		       d.skipped == 1 ? "" : "s");
done:
	lab_close(d.lab);
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
