/*
 * disk: the harness's side of the storage filesystem: starting the child,
 * making a mount per life, and the control requests; see disk.h.
 *
 * The child is started like a role (PR_SET_PDEATHSIG, its own process
 * group, every stray fd closed, exec) but not through proc.h, because it
 * needs two fds kept open at known numbers and no network namespace. It
 * dies with the cell's process; its mounts live only in the namespaces of
 * the server's lives, so nothing is left behind on any kind of exit.
 */
#include "disk.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "util.h"

struct disk {
	pid_t pid;
	int ctl;                      /* our end of the control socket */
	bool lost;                    /* a request went unanswered: a late answer would be taken for the next */
};

/* /dev/fuse for a new connection, or -1 with err saying how to get one. */
static int disk_open_fuse(char *err, size_t errlen)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	struct stat st;
	int e = errno;

	if (fd >= 0)
		return fd;
	if (e == ENOENT)
		return err_set(err, errlen, "no /dev/fuse on this machine (load the fuse module; "
			       "Debian's fuse3 package provides the rest)");
	if ((e == EACCES || e == EPERM) && stat("/dev/fuse", &st) == 0)
		return err_set(err, errlen, "cannot open /dev/fuse as uid %u: %s (it is mode %04o here; "
			       "stock Debian makes it 0666, and `chmod 0666 /dev/fuse` as root lets every "
			       "user serve FUSE in a user namespace)", sandbox_outer_uid(),
			       strerror(e), (unsigned)(st.st_mode & 07777));
	return err_set(err, errlen, "cannot open /dev/fuse: %s", strerror(e));
}

/*
 * A FUSE superblock on fuse_fd, in the user namespace acklab runs in: the
 * fsopen() fd ready for fsmount(), or -1 with err.
 */
static int disk_superblock(int fuse_fd, char *err, size_t errlen)
{
	char fdnum[16], uid[16], gid[16];
	int fs = fsopen("fuse", FSOPEN_CLOEXEC);

	if (fs < 0)
		return err_set(err, errlen, "fsopen(fuse): %s%s", strerror(errno),
			       errno == ENODEV ? " (this kernel has no FUSE)" :
			       errno == EPERM ? " (the kernel refuses FUSE mounts in a user namespace)" : "");
	snprintf(fdnum, sizeof fdnum, "%d", fuse_fd);
	snprintf(uid, sizeof uid, "%u", (unsigned)getuid());
	snprintf(gid, sizeof gid, "%u", (unsigned)getgid());
	if (fsconfig(fs, FSCONFIG_SET_STRING, "fd", fdnum, 0) != 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "rootmode", "40000", 0) != 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "user_id", uid, 0) != 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "group_id", gid, 0) != 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
		err_set(err, errlen, "fsconfig(fuse): %s", strerror(errno));
		close(fs);
		return -1;
	}
	return fs;
}

int disk_probe(char *err, size_t errlen)
{
	int fuse_fd = disk_open_fuse(err, errlen), fs;

	if (fuse_fd < 0)
		return -1;
	fs = disk_superblock(fuse_fd, err, errlen);
	close(fuse_fd);               /* the superblock, never mounted, goes with the fds */
	if (fs < 0)
		return -1;
	close(fs);
	return 0;
}

/* In the child, between fork and exec: fds 3 and 4 in place, everything else closed. */
static void __attribute__((noreturn)) disk_child(int ctl, int backing, int log_fd, const char *exe,
						  pid_t parent)
{
	char *argv[] = { (char *)exe, "disk-serve", NULL };
	int null_fd, hi_ctl, hi_back, hi_log;
	sigset_t none;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
	setpgid(0, 0);                /* a terminal's Ctrl-C reaches acklab, not this */
	null_fd = open("/dev/null", O_RDWR);
	hi_ctl = fcntl(ctl, F_DUPFD, 10);
	hi_back = fcntl(backing, F_DUPFD, 10);
	hi_log = fcntl(log_fd >= 0 ? log_fd : null_fd, F_DUPFD, 10);
	if (null_fd < 0 || hi_ctl < 0 || hi_back < 0 || hi_log < 0 || dup2(null_fd, 0) < 0 ||
	    dup2(null_fd, 1) < 0 || dup2(hi_log, 2) < 0 || dup2(hi_ctl, DISK_CONTROL_FD) < 0 ||
	    dup2(hi_back, DISK_BACKING_FD) < 0)
		_exit(127);
	if (close_range(DISK_BACKING_FD + 1, ~0U, 0) != 0)
		for (int fd = DISK_BACKING_FD + 1; fd < 1024; fd++)
			close(fd);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(exe, argv);
	_exit(127);
}

/* Send req (with fd, if >= 0) and wait for the reply. 0, or -1 with err. */
static int disk_request(struct disk *d, const struct disk_request *req, int fd,
			struct disk_reply *rep, char *err, size_t errlen)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)req, sizeof *req };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct pollfd pfd = { d->ctl, POLLIN, 0 };
	int64_t deadline = mono_ns() + (int64_t)DISK_REPLY_MS * 1000000;
	ssize_t n;

	memset(rep, 0, sizeof *rep);
	if (d->lost)
		return err_set(err, errlen, "disk: the filesystem process stopped answering earlier");
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof ctl);
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof ctl;
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	d->lost = true;               /* until the answer is in */
	if (sendmsg(d->ctl, &msg, MSG_NOSIGNAL) != (ssize_t)sizeof *req)
		return err_set(err, errlen, "disk: the filesystem process is gone (%s)", strerror(errno));
	for (;;) {
		int64_t left = (deadline - mono_ns()) / 1000000;
		int r;

		if (left <= 0)
			return err_set(err, errlen, "disk: no answer from the filesystem process within %d ms",
				       DISK_REPLY_MS);
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return err_set(err, errlen, "disk: poll: %s", strerror(errno));
		if (r > 0)
			break;
	}
	n = recv(d->ctl, rep, sizeof *rep, 0);
	if (n != (ssize_t)sizeof *rep)
		return err_set(err, errlen, "disk: the filesystem process is gone");
	d->lost = false;
	if (rep->err)
		return err_set(err, errlen, "disk: %s", strerror(rep->err));
	return 0;
}

int disk_open(struct disk **out, int backing_fd, const char *exe, int log_fd, char *err,
	      size_t errlen)
{
	struct disk *d = calloc(1, sizeof *d);
	struct disk_request hello = { DISK_OP_SET, 0, 0 };
	struct disk_reply rep;
	int sv[2];
	pid_t parent = getpid();

	*out = NULL;
	if (!d)
		return err_set(err, errlen, "disk: out of memory");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		free(d);
		return err_set(err, errlen, "disk: socketpair: %s", strerror(errno));
	}
	fflush(NULL);
	d->pid = fork();
	if (d->pid < 0) {
		err_set(err, errlen, "disk: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(d);
		return -1;
	}
	if (d->pid == 0)
		disk_child(sv[1], backing_fd, log_fd, exe, parent);
	setpgid(d->pid, d->pid);
	close(sv[1]);
	d->ctl = sv[0];
	/* An empty request: the child is up and answering (or it could not start). */
	if (disk_request(d, &hello, -1, &rep, err, errlen) == -1) {
		char inner[256];

		str_copy(inner, err, sizeof inner);
		err_set(err, errlen, "%s (is '%s disk-serve' runnable?)", inner, exe);
		disk_close(d, NULL, 0);
		return -1;
	}
	*out = d;
	return 0;
}

int disk_mount(struct disk *d, char *err, size_t errlen)
{
	struct disk_request req = { DISK_OP_SESSION, 0, 0 };
	struct disk_reply rep;
	int fuse_fd, fs = -1, mnt = -1;

	fuse_fd = disk_open_fuse(err, errlen);
	if (fuse_fd < 0)
		return -1;
	fs = disk_superblock(fuse_fd, err, errlen);
	if (fs < 0)
		goto done;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt < 0) {
		err_set(err, errlen, "fsmount(fuse): %s", strerror(errno));
		goto done;
	}
	if (disk_request(d, &req, fuse_fd, &rep, err, errlen) == -1) {
		close(mnt);
		mnt = -1;
	}
done:
	if (fs >= 0)
		close(fs);
	close(fuse_fd);               /* the child has its own copy now */
	return mnt;
}

int disk_fault_set(struct disk *d, unsigned faults, int ms, char *err, size_t errlen)
{
	struct disk_request req = { DISK_OP_SET, faults, ms };
	struct disk_reply rep;

	return disk_request(d, &req, -1, &rep, err, errlen);
}

int disk_fault_clear(struct disk *d, unsigned faults, uint64_t *ops, char *err, size_t errlen)
{
	struct disk_request req = { DISK_OP_CLEAR, faults, 0 };
	struct disk_reply rep;

	if (disk_request(d, &req, -1, &rep, err, errlen) == -1)
		return -1;
	*ops = rep.ops;
	return 0;
}

int disk_lose(struct disk *d, uint64_t *writes, uint64_t *bytes, char *err, size_t errlen)
{
	struct disk_request req = { DISK_OP_LOSE, 0, 0 };
	struct disk_reply rep;

	if (disk_request(d, &req, -1, &rep, err, errlen) == -1)
		return -1;
	*writes = rep.ops;
	*bytes = rep.bytes;
	return 0;
}

/* Wait for the child to exit, up to ms; then SIGKILL it. Someone else may have reaped it. */
static void disk_wait_child(pid_t pid, int ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pidfd >= 0) {
		struct pollfd pfd = { pidfd, POLLIN, 0 };

		while (poll(&pfd, 1, ms) < 0 && errno == EINTR)
			;
		close(pidfd);
	}
	if (waitpid(pid, NULL, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
}

int disk_close(struct disk *d, char *err, size_t errlen)
{
	struct disk_request req = { DISK_OP_QUIT, 0, 0 };
	struct disk_reply rep;
	int rc = 0;

	if (!d)
		return 0;
	if (d->ctl >= 0 && d->pid > 0 && !d->lost)
		rc = disk_request(d, &req, -1, &rep, err, errlen);
	if (d->ctl >= 0)
		close(d->ctl);        /* end of file for a child that did not get the request */
	if (d->pid > 0)
		disk_wait_child(d->pid, DISK_REPLY_MS);
	free(d);
	return rc;
}
