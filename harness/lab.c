/*
 * lab: the doctor's bench (a listener and an echo role in the server host
 * of a real topology) and the probes proofs watch it with; see lab.h.
 *
 * The echo role is started like any role (proc.h) with its output read for
 * the ready line, and logs nowhere: the doctor leaves no files behind.
 */
#include "lab.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "disk.h"
#include "netprobe.h"
#include "proc.h"
#include "topo.h"
#include "util.h"

static void lab_ready_line(void *arg, struct proc *p, const char *line, int64_t t)
{
	*(bool *)arg |= strstr(line, "\"ready\"") != NULL;
}

/* Start a new echo process (stopping the old one) and wait for its ready line. */
static int lab_start_echo(struct lab *l, char *err, size_t errlen)
{
	char port[16];
	char *argv[] = { l->exe, "probe-echo", port, NULL };
	struct proc_spec spec = { "server", l->topo->server->netns_fd, argv, NULL, false };
	int64_t deadline = mono_ns() + (int64_t)LAB_WAIT_MS * 1000000;
	bool ready = false;

	snprintf(port, sizeof port, "%d", LAB_ECHO_PORT);
	proc_free(l->echo);
	l->echo = NULL;
	if (proc_start(&l->echo, &spec, err, errlen) == -1)
		return -1;
	while (!ready && mono_ns() < deadline) {
		struct pollfd pfd = { proc_stdout_fd(l->echo), POLLIN, 0 };

		if (pfd.fd < 0 || poll(&pfd, 1, 20) < 0)
			break;
		if (proc_drain(l->echo, lab_ready_line, &ready) != 0)
			break;
	}
	return ready ? 0 : err_set(err, errlen, "probe-echo did not start in the server host");
}

static struct proc *lab_find_role(void *arg, const char *role)
{
	struct lab *l = arg;

	return strcmp(role, "server") == 0 ? l->echo : NULL;
}

static struct disk *lab_find_disk(void *arg, const char *role)
{
	struct lab *l = arg;

	return strcmp(role, "server") == 0 ? l->disk : NULL;
}

static int lab_restart_role(void *arg, const char *role, char *err, size_t errlen)
{
	if (strcmp(role, "server") != 0)
		return err_set(err, errlen, "the lab runs no role '%s'", role);
	return lab_start_echo(arg, err, errlen);
}

int lab_open(struct lab **out, struct topo *t, const char *bin_dir, char *err, size_t errlen)
{
	struct lab *l = calloc(1, sizeof *l);

	*out = NULL;
	if (!l)
		return err_set(err, errlen, "lab: out of memory");
	l->topo = t;
	l->env = (struct fault_env){ t, lab_find_role, lab_restart_role, l, lab_find_disk, LAB_SEED, NULL };
	l->disk_mnt = -1;
	snprintf(l->exe, sizeof l->exe, "%s/acklab", bin_dir);
	l->lfd = netprobe_listen(t, "server", LAB_PORT, err, errlen);
	if (l->lfd < 0 || lab_start_echo(l, err, errlen) == -1) {
		lab_close(l);
		return -1;
	}
	*out = l;
	return 0;
}

void lab_close(struct lab *l)
{
	if (!l)
		return;
	proc_free(l->echo);
	if (l->lfd >= 0)
		close(l->lfd);
	if (l->disk_mnt >= 0)
		close(l->disk_mnt);   /* the mount's last reference: the connection ends */
	disk_close(l->disk, NULL, 0);
	free(l);
}

int lab_pair_open(struct lab *l, struct lab_pair *p, char *peer, size_t peerlen, char *err,
		  size_t errlen)
{
	p->s = -1;
	p->c = netprobe_connect(l->topo, "client", l->topo->server->addr, LAB_PORT, LAB_WAIT_MS,
				err, errlen);
	if (p->c < 0)
		return -1;
	p->s = netprobe_accept(l->lfd, LAB_WAIT_MS, peer, peerlen, err, errlen);
	return p->s < 0 ? -1 : 0;
}

void lab_pair_close(struct lab_pair *p)
{
	if (p->c >= 0)
		close(p->c);
	if (p->s >= 0)
		close(p->s);
	p->c = p->s = -1;
}

bool lab_fresh_works(struct lab *l)
{
	struct lab_pair p = { -1, -1 };
	char buf[64], err[256];
	bool ok = false;

	if (lab_pair_open(l, &p, NULL, 0, err, sizeof err) == 0 &&
	    netprobe_send(p.c, "req", 3, LAB_WAIT_MS, err, sizeof err) == 0 &&
	    netprobe_recv(p.s, buf, sizeof buf, LAB_WAIT_MS, err, sizeof err) > 0 &&
	    netprobe_send(p.s, "rep", 3, LAB_WAIT_MS, err, sizeof err) == 0 &&
	    netprobe_recv(p.c, buf, sizeof buf, LAB_WAIT_MS, err, sizeof err) > 0)
		ok = true;
	lab_pair_close(&p);
	return ok;
}

bool lab_quiet(int fd)
{
	char buf[64], err[128];

	return netprobe_recv(fd, buf, sizeof buf, LAB_QUIET_MS, err, sizeof err) == -1 &&
	       errno == ETIMEDOUT;
}

bool lab_arrives(int fd)
{
	char buf[64], err[128];

	return netprobe_recv(fd, buf, sizeof buf, LAB_WAIT_MS, err, sizeof err) > 0;
}

void lab_drain(struct lab *l)
{
	for (int s; (s = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0;)
		close(s);
}

int lab_echo_running(struct lab *l, char *err, size_t errlen)
{
	if (l->echo) {
		proc_reap(l->echo);
		if (proc_state(l->echo) == PROC_RUNNING)
			return 0;
	}
	return lab_start_echo(l, err, errlen);
}

int lab_echo_connect(struct lab *l, char *err, size_t errlen)
{
	return netprobe_connect(l->topo, "client", l->topo->server->addr, LAB_ECHO_PORT,
				LAB_WAIT_MS, err, errlen);
}

/* An empty tmpfs that no path leads to: a detached mount's fd, or -1 with err. */
static int lab_anonymous_tmpfs(char *err, size_t errlen)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), mnt = -1;

	if (fs < 0)
		return err_set(err, errlen, "fsopen(tmpfs): %s", strerror(errno));
	if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "16m", 0) != 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0)
		err_set(err, errlen, "fsconfig(tmpfs): %s", strerror(errno));
	else if ((mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0)
		err_set(err, errlen, "fsmount(tmpfs): %s", strerror(errno));
	close(fs);
	return mnt;
}

int lab_disk(struct lab *l, char *err, size_t errlen)
{
	int backing;

	if (l->disk_mnt >= 0)
		return 0;
	if (l->disk_err[0] || disk_probe(l->disk_err, sizeof l->disk_err) == -1)
		return err_set(err, errlen, "%s", l->disk_err);
	backing = lab_anonymous_tmpfs(l->disk_err, sizeof l->disk_err);
	if (backing >= 0 && disk_open(&l->disk, backing, l->exe, -1, l->disk_err,
				      sizeof l->disk_err) == 0)
		l->disk_mnt = disk_mount(l->disk, l->disk_err, sizeof l->disk_err);
	if (backing >= 0)
		close(backing);       /* the child holds the tmpfs now */
	if (l->disk_mnt < 0 && !l->disk_err[0])
		str_copy(l->disk_err, "the FUSE filesystem did not start", sizeof l->disk_err);
	return l->disk_mnt >= 0 ? 0 : err_set(err, errlen, "%s", l->disk_err);
}
