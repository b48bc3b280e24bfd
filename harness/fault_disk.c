/*
 * fault_disk: the rows of the storage faults; see fault_disk.h.
 *
 * A storage fault finds the filesystem under its role's data folder
 * through env->find_disk and asks it to fail, delay or drop; the answer to
 * its heal says how many operations it acted on, which is what it touched.
 * lose-unsynced is a crash and a power cut at once: it kills the server,
 * waits until the process is gone (so every write it made has reached the
 * filesystem), then drops every write that was not fsynced; the restarted
 * server finds the folder as the last fsyncs left it.
 *
 * The proofs work on a file of their own in the lab's FUSE mount (lab.h),
 * an anonymous tmpfs behind it, through the detached mount's fd: nothing is
 * mounted anywhere and nothing is left behind.
 */
#include "fault_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capability.h"
#include "disk.h"
#include "lab.h"
#include "proc.h"
#include "util.h"

#define DISK_DEATH_MS 2000            /* how long a killed server may take to be gone */

static const char *const disk_error_kinds[] = { "fsync", "write", "read" };
static const unsigned disk_error_bits[] = { DISK_EIO_FSYNC, DISK_EIO_WRITE, DISK_EIO_READ };

/* --- validation ----------------------------------------------------------- */

/* The count, then the role: only the server has a data folder acklab serves. */
static int disk_validate_role(const struct fault_ops *ops, const char *const *args, int nargs,
			      int *bad_arg, char *err, size_t errlen)
{
	if (nargs < ops->min_args || nargs > ops->max_args) {
		*bad_arg = nargs > ops->max_args ? ops->max_args : -1;
		return err_set(err, errlen, "fault '%s' takes %s, got %d (usage: %s)", ops->name,
			       ops->min_args == ops->max_args
				       ? (ops->min_args == 1 ? "1 argument" : "2 arguments")
				       : "1 to 2 arguments",
			       nargs, ops->usage);
	}
	if (strcmp(args[0], "server") != 0) {
		*bad_arg = 0;
		return err_set(err, errlen, "fault '%s' acts on the server's data folder ({dir}), and "
			       "'%s' has none that acklab serves (expected: server)", ops->name, args[0]);
	}
	return 0;
}

static int disk_validate(const struct fault_ops *ops, const char *const *args, int nargs,
			 int recipients, int *bad_arg, char *err, size_t errlen)
{
	return disk_validate_role(ops, args, nargs, bad_arg, err, errlen);
}

/* "fsync", "write", "read" as bits; all three when there is no word. 0 when unknown. */
static unsigned disk_error_faults(const struct fault *f)
{
	if (f->nargs < 2)
		return DISK_EIO_ALL;
	for (size_t i = 0; i < ARRAY_LEN(disk_error_kinds); i++)
		if (strcmp(f->args[1], disk_error_kinds[i]) == 0)
			return disk_error_bits[i];
	return 0;
}

static int disk_error_validate(const struct fault_ops *ops, const char *const *args, int nargs,
			       int recipients, int *bad_arg, char *err, size_t errlen)
{
	if (disk_validate_role(ops, args, nargs, bad_arg, err, errlen) == -1)
		return -1;
	if (nargs < 2)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(disk_error_kinds); i++)
		if (strcmp(args[1], disk_error_kinds[i]) == 0)
			return 0;
	*bad_arg = 1;
	return err_set(err, errlen, "unknown operation '%s' for disk-error (expected fsync, write or "
		       "read; none for all three)", args[1]);
}

/* "200" or "200ms": the delay of disk-slow, in milliseconds. */
static int disk_slow_ms(const char *word, long *ms, char *err, size_t errlen)
{
	char num[32];
	size_t len = str_copy(num, word, sizeof num);

	if (len > 2 && strcmp(num + len - 2, "ms") == 0)
		num[len - 2] = '\0';
	return parse_long(num, 1, DISK_SLOW_MAX_MS, ms, err, errlen);
}

static int disk_slow_validate(const struct fault_ops *ops, const char *const *args, int nargs,
			      int recipients, int *bad_arg, char *err, size_t errlen)
{
	char why[128];
	long ms;

	if (disk_validate_role(ops, args, nargs, bad_arg, err, errlen) == -1)
		return -1;
	if (disk_slow_ms(args[1], &ms, why, sizeof why) == -1) {
		*bad_arg = 1;
		return err_set(err, errlen, "disk-slow: the delay of each fsync in milliseconds: %s", why);
	}
	return 0;
}

/* --- apply and heal --------------------------------------------------------- */

static struct disk *disk_of(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	struct disk *d = env->find_disk ? env->find_disk(env->arg, f->args[0]) : NULL;

	if (!d)
		err_set(err, errlen, "the %s's data folder is not served by acklab's filesystem in "
			"this run", f->args[0]);
	return d;
}

/* The fault bits a row arms. */
static unsigned disk_faults_of(const struct fault *f)
{
	if (f->ops == &fault_disk_full)
		return DISK_FULL;
	if (f->ops == &fault_disk_slow)
		return DISK_SLOW_FSYNC;
	return disk_error_faults(f);
}

static int disk_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	struct disk *d = disk_of(f, env, err, errlen);
	long ms = 0;

	if (!d)
		return -1;
	if (f->ops == &fault_disk_slow && disk_slow_ms(f->args[1], &ms, err, errlen) == -1)
		return -1;
	if (disk_fault_set(d, disk_faults_of(f), (int)ms, err, errlen) == -1)
		return -1;
	f->active = true;
	return 0;
}

static int disk_heal(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	struct disk *d = disk_of(f, env, err, errlen);

	return d ? disk_fault_clear(d, disk_faults_of(f), &f->touched.ops, err, errlen) : -1;
}

/* Has p's process gone (exited, not yet collected) within ms? Its pidfd says so. */
static bool disk_role_gone(struct proc *p, int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;
	struct pollfd pfd = { proc_pidfd(p), POLLIN, 0 };

	if (proc_state(p) == PROC_EXITED)
		return true;
	if (pfd.fd < 0)               /* no pidfd: collect it, as proc_wait_exit does */
		return proc_wait_exit(p, ms) == 0;
	for (;;) {
		int64_t left = (deadline - mono_ns()) / 1000000;
		int r;

		if (left <= 0)
			return false;
		r = poll(&pfd, 1, (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

static int lose_apply(struct fault *f, struct fault_env *env, char *err, size_t errlen)
{
	struct disk *d = disk_of(f, env, err, errlen);
	struct proc *p = d && env->find_role ? env->find_role(env->arg, f->args[0]) : NULL;

	if (!d)
		return -1;
	if (!p)
		return err_set(err, errlen, "no role '%s' is running in this run", f->args[0]);
	/* Left for the loop to collect, so the exit is seen (and restart rules fire) as for crash. */
	if (proc_state(p) != PROC_EXITED) {
		if (proc_signal(p, SIGKILL, err, errlen) == -1)
			return -1;
		f->touched.signalled = 1;
	}
	if (!disk_role_gone(p, DISK_DEATH_MS))
		return err_set(err, errlen, "the %s was still running %d ms after SIGKILL", f->args[0],
			       DISK_DEATH_MS);
	return disk_lose(d, &f->touched.ops, &f->touched.bytes, err, errlen);
}

static void disk_count(const struct fault *f, const char *verb, char *buf, size_t len)
{
	if (f->healed)
		snprintf(buf, len, "; it %s %" PRIu64 " operation%s", verb, f->touched.ops,
			 f->touched.ops == 1 ? "" : "s");
	else
		buf[0] = '\0';
}

static void disk_full_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64];

	disk_count(f, "failed", count, sizeof count);
	snprintf(buf, len, "filled the %s's disk: writes and new files in its data folder fail with "
		 "ENOSPC%s", f->args[0], count);
}

static void disk_error_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64];

	disk_count(f, "failed", count, sizeof count);
	snprintf(buf, len, "made the %s's disk fail %s with EIO%s", f->args[0],
		 f->nargs > 1 ? (strcmp(f->args[1], "fsync") == 0 ? "every fsync" :
				 strcmp(f->args[1], "write") == 0 ? "every write" : "every read")
			      : "every read, write and fsync", count);
}

static void disk_slow_describe(const struct fault *f, char *buf, size_t len)
{
	char count[64];
	long ms = 0;

	disk_slow_ms(f->args[1], &ms, NULL, 0);
	disk_count(f, "delayed", count, sizeof count);
	snprintf(buf, len, "made each fsync in the %s's data folder wait %ld ms%s", f->args[0], ms,
		 count);
}

static void lose_describe(const struct fault *f, char *buf, size_t len)
{
	snprintf(buf, len, "cut the %s's power: killed it with SIGKILL and dropped the %" PRIu64
		 " write%s (%" PRIu64 " bytes) it had not fsynced", f->args[0], f->touched.ops,
		 f->touched.ops == 1 ? "" : "s", f->touched.bytes);
}

/* --- proofs, on a file in the lab's FUSE mount --------------------------------- */

/* f made from row ops with args and applied in the lab. */
static int disk_fault_on_lab(struct lab *lab, struct fault *f, const struct fault_ops *ops,
			     const char *arg, char *err, size_t errlen)
{
	const char *args[] = { "server", arg };

	if (fault_init(f, ops, args, arg ? 2 : 1, err, errlen) == -1)
		return -1;
	return fault_apply(f, &lab->env, err, errlen);
}

/* A new file name in the lab's mount, opened read-write (fd, or -1 with err). */
static int disk_probe_file(struct lab *lab, const char *name, char *err, size_t errlen)
{
	int fd = openat(lab->disk_mnt, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		err_set(err, errlen, "%s: %s", name, strerror(errno));
	return fd;
}

/* The lab's mount, or a skipped proof saying why the machine has none. */
static bool disk_lab_ready(struct lab *lab, struct fault_proof *out)
{
	char err[256];

	if (lab_disk(lab, err, sizeof err) == 0)
		return true;
	out->skipped = true;
	snprintf(out->observed, sizeof out->observed, "%s", err);
	return false;
}

/* "EIO", "ENOSPC", "ok" for what a call returned. */
static const char *disk_outcome(ssize_t rc, int e)
{
	if (rc >= 0)
		return "ok";
	return e == ENOSPC ? "ENOSPC" : e == EIO ? "EIO" : strerror(e);
}

static void disk_full_prove(struct lab *lab, struct fault_proof *out)
{
	struct fault f;
	char err[256] = "";
	ssize_t during = 0, after = -1;
	int e = 0, fd;

	if (!disk_lab_ready(lab, out))
		return;
	fd = disk_probe_file(lab, "disk-full", err, sizeof err);
	if (fd >= 0 && disk_fault_on_lab(lab, &f, &fault_disk_full, NULL, err, sizeof err) == 0) {
		during = pwrite(fd, "x", 1, 0);
		e = errno;
		/* fsynced, so the power cut proven later drops only its own write */
		if (fault_heal(&f, &lab->env, err, sizeof err) == 0 && pwrite(fd, "x", 1, 0) == 1 &&
		    fsync(fd) == 0)
			after = 1;
		snprintf(out->observed, sizeof out->observed, "write: %s; after heal: %s; %" PRIu64
			 " operation failed", disk_outcome(during, e), after == 1 ? "written" : "failed",
			 f.touched.ops);
		out->ok = during < 0 && e == ENOSPC && after == 1 && f.touched.ops == 1;
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	if (fd >= 0)
		close(fd);
}

static void disk_error_prove(struct lab *lab, struct fault_proof *out)
{
	struct fault f;
	char err[256] = "", buf[4];
	ssize_t w = 0, r = 0, s = 0;
	int ew = 0, er = 0, es = 0, fd;
	bool healed = false;

	if (!disk_lab_ready(lab, out))
		return;
	fd = disk_probe_file(lab, "disk-error", err, sizeof err);
	if (fd >= 0 && pwrite(fd, "abc", 3, 0) == 3 &&
	    disk_fault_on_lab(lab, &f, &fault_disk_error, NULL, err, sizeof err) == 0) {
		w = pwrite(fd, "d", 1, 3);
		ew = errno;
		r = pread(fd, buf, sizeof buf, 0);
		er = errno;
		s = fsync(fd);
		es = errno;
		healed = fault_heal(&f, &lab->env, err, sizeof err) == 0 && pwrite(fd, "d", 1, 3) == 1 &&
			 pread(fd, buf, sizeof buf, 0) == 4 && fsync(fd) == 0;
		snprintf(out->observed, sizeof out->observed, "write: %s, read: %s, fsync: %s; after heal "
			 "%s; %" PRIu64 " operations failed", disk_outcome(w, ew), disk_outcome(r, er),
			 disk_outcome(s, es), healed ? "all three work" : "they still fail", f.touched.ops);
		out->ok = w < 0 && ew == EIO && r < 0 && er == EIO && s < 0 && es == EIO && healed &&
			  f.touched.ops == 3;
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err[0] ? err : strerror(errno));
	}
	if (fd >= 0)
		close(fd);
}

/* How long one fsync of fd takes after a one-byte write, in ms (-1 when it fails). */
static double disk_fsync_ms(int fd)
{
	int64_t t;

	if (pwrite(fd, "s", 1, 0) != 1)
		return -1;
	t = mono_ns();
	return fsync(fd) == 0 ? ms_since(t) : -1;
}

#define DISK_PROOF_SLOW_MS 100

static void disk_slow_prove(struct lab *lab, struct fault_proof *out)
{
	struct fault f;
	char err[256] = "", ms[16];
	double before = -1, during = -1, after = -1;
	int fd;

	if (!disk_lab_ready(lab, out))
		return;
	snprintf(ms, sizeof ms, "%d", DISK_PROOF_SLOW_MS);
	fd = disk_probe_file(lab, "disk-slow", err, sizeof err);
	if (fd >= 0)
		before = disk_fsync_ms(fd);
	if (fd >= 0 && disk_fault_on_lab(lab, &f, &fault_disk_slow, ms, err, sizeof err) == 0) {
		during = disk_fsync_ms(fd);
		if (fault_heal(&f, &lab->env, err, sizeof err) == 0)
			after = disk_fsync_ms(fd);
		snprintf(out->observed, sizeof out->observed, "fsync took %.2f ms, %.1f ms with the "
			 "fault, %.2f ms after heal; %" PRIu64 " fsync delayed", before, during, after,
			 f.touched.ops);
		out->ok = before >= 0 && during >= DISK_PROOF_SLOW_MS && after >= 0 &&
			  after < DISK_PROOF_SLOW_MS && f.touched.ops == 1;
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err);
	}
	if (fd >= 0)
		close(fd);
}

static void lose_prove(struct lab *lab, struct fault_proof *out)
{
	struct fault f = { 0 };
	char err[256] = "", buf[32] = "";
	ssize_t got = -1;
	int fd, again = -1;

	if (!disk_lab_ready(lab, out))
		return;
	if (lab_echo_running(lab, err, sizeof err) == -1) {
		snprintf(out->observed, sizeof out->observed, "%s", err);
		return;
	}
	fd = disk_probe_file(lab, "power-loss", err, sizeof err);
	/* "synced" reaches the disk; "+unsynced" stays in the cache when the power goes. */
	if (fd >= 0 && pwrite(fd, "synced", 6, 0) == 6 && fsync(fd) == 0 &&
	    pwrite(fd, "+unsynced", 9, 6) == 9 &&
	    disk_fault_on_lab(lab, &f, &fault_lose_unsynced, NULL, err, sizeof err) == 0) {
		again = openat(lab->disk_mnt, "power-loss", O_RDONLY | O_CLOEXEC);
		got = again >= 0 ? pread(again, buf, sizeof buf - 1, 0) : -1;
		buf[got > 0 ? got : 0] = '\0';
		snprintf(out->observed, sizeof out->observed, "server killed; the file reads '%s' "
			 "(%zd bytes); %" PRIu64 " write (%" PRIu64 " bytes) dropped", buf, got,
			 f.touched.ops, f.touched.bytes);
		out->ok = strcmp(buf, "synced") == 0 && f.touched.signalled == 1 &&
			  f.touched.ops == 1 && f.touched.bytes == 9;
	} else {
		snprintf(out->observed, sizeof out->observed, "%s", err[0] ? err : strerror(errno));
	}
	if (again >= 0)
		close(again);
	if (fd >= 0)
		close(fd);
}

const struct fault_ops fault_disk_full = {
	"disk-full", "disk-full server", "writes in the server's data folder fail with ENOSPC", 1, 1,
	FAULT_ARG_ROLE, CAP_STORAGE, disk_validate, disk_apply, disk_heal, disk_full_describe,
	"a write fails with ENOSPC; heal lets it through", disk_full_prove, 0,
};

const struct fault_ops fault_disk_error = {
	"disk-error", "disk-error server [fsync|write|read]",
	"fsyncs, writes or reads in the server's data folder fail with EIO", 1, 2,
	FAULT_ARG_ROLE_THEN_VALUES,
	CAP_STORAGE, disk_error_validate, disk_apply, disk_heal, disk_error_describe,
	"write, read and fsync fail with EIO; heal ends it", disk_error_prove, 1,
};

const struct fault_ops fault_disk_slow = {
	"disk-slow", "disk-slow server MS", "each fsync in the server's data folder waits MS first",
	2, 2, FAULT_ARG_ROLE_THEN_VALUES, CAP_STORAGE, disk_slow_validate, disk_apply, disk_heal,
	disk_slow_describe, "an fsync takes the delay; heal ends it", disk_slow_prove, 1,
};

/* A power cut is a crash too: the stack must be able to start the server again to matter. */
const struct fault_ops fault_lose_unsynced = {
	"lose-unsynced", "lose-unsynced server",
	"power cut: kill the server and drop every write it has not fsynced", 1, 1, FAULT_ARG_ROLE,
	CAP_STORAGE, disk_validate, lose_apply, NULL, lose_describe,
	"server dies; a synced write stays, an unsynced one goes", lose_prove, 0,
};
