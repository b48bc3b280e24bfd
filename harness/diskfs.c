/*
 * diskfs: `acklab disk-serve`, the FUSE filesystem under the server role's
 * data folder (disk.h says how it is started and mounted).
 *
 * It passes every operation through to the real folder (DISK_BACKING_FD),
 * by path, with libfuse's high-level API, except that data goes through the
 * cache of unsynced writes (diskcache.h): a write is kept in memory, fsync
 * writes it to the real file, a power cut drops it. Faults are flags the
 * operations look at: a write or create on a full disk fails with ENOSPC,
 * an armed I/O error fails reads, writes or fsyncs with EIO, and a slow
 * disk makes each fsync wait first. Every operation a fault acts on is
 * counted, so the harness can tell a fault that bit from one that did not.
 *
 * Each life of the server is one FUSE connection (a /dev/fuse fd sent over
 * the control socket) served by a thread of its own; the connection ends
 * when the server's mount namespace dies, and the thread with it. The main
 * thread answers the control socket (DISK_CONTROL_FD) one request at a
 * time, and exits when it is told to or when acklab is gone. One lock
 * guards the cache, the flags and the counts; a slow fsync waits outside
 * it, so a power cut is never held up by a delay.
 */
#define FUSE_USE_VERSION 31

#include "disk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "diskcache.h"

#define DISKFS_NFAULTS 5              /* bits of enum disk_fault */

/*
 * One open file: the real file's fd and its inode (the cache's key). Every
 * handle is also on a list with the connection that opened it: a killed
 * server's connection ends without a release for its open files, so they
 * are closed when its session is reaped.
 */
struct diskfs_handle {
	int fd;
	ino_t ino;
	struct fuse *owner;
	struct diskfs_handle *prev, *next;
};

/* One FUSE connection (one life of the server) and the thread serving it. */
struct diskfs_session {
	struct fuse *fuse;
	struct fuse_args args;
	pthread_t thread;
	atomic_bool done;
	struct diskfs_session *next;
};

static struct {
	int dir;                          /* the real folder */
	pthread_mutex_t lock;             /* the cache, the flags, the counts */
	pthread_cond_t quit_cond;         /* a slow fsync's wait ends early at quit */
	bool quitting;
	struct diskcache *cache;
	unsigned armed;                   /* enum disk_fault bits */
	int slow_ms;
	uint64_t acted[DISKFS_NFAULTS];   /* per fault bit: operations acted on since armed */
	struct diskfs_session *sessions;
	struct diskfs_handle *handles;    /* every open file, of every connection */
} fs = { .dir = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *fs_rel(const char *path)
{
	return path[0] == '/' && path[1] ? path + 1 : ".";
}

static struct diskfs_handle *fs_handle(const struct fuse_file_info *fi)
{
	return (struct diskfs_handle *)(uintptr_t)fi->fh;
}

/* Is fault bit armed? If so it acts on this operation: count it. Called with the lock held. */
static bool fs_fault_acts(unsigned bit)
{
	if (!(fs.armed & bit))
		return false;
	fs.acted[__builtin_ctz(bit)]++;
	return true;
}

/* The error a write-like operation meets now, or 0. */
static int fs_write_fault(bool is_write)
{
	int rc = 0;

	pthread_mutex_lock(&fs.lock);
	if (fs_fault_acts(DISK_FULL))
		rc = -ENOSPC;
	else if (is_write && fs_fault_acts(DISK_EIO_WRITE))
		rc = -EIO;
	pthread_mutex_unlock(&fs.lock);
	return rc;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	int rc = fi ? fstat(fs_handle(fi)->fd, st) : fstatat(fs.dir, fs_rel(path), st, AT_SYMLINK_NOFOLLOW);

	if (rc != 0)
		return -errno;
	if (S_ISREG(st->st_mode)) {
		pthread_mutex_lock(&fs.lock);
		st->st_size = diskcache_size(fs.cache, st->st_ino, st->st_size);
		pthread_mutex_unlock(&fs.lock);
	}
	return 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	int fd = openat(fs.dir, fs_rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return -e;
	}
	while ((e = readdir(d)))
		if (fill(buf, e->d_name, NULL, 0, 0))
			break;
	closedir(d);
	return 0;
}

/* Open (or create) the real file for fi; the kernel gives offsets, so never O_APPEND. */
static int fs_open_real(const char *path, struct fuse_file_info *fi, bool create, mode_t mode)
{
	int flags = (fi->flags & ~(O_APPEND | O_NOCTTY)) | O_CLOEXEC | (create ? O_CREAT : 0);
	struct diskfs_handle *h = malloc(sizeof *h);
	struct stat st;

	if (!h)
		return -ENOMEM;
	h->fd = openat(fs.dir, fs_rel(path), flags, mode);
	if (h->fd < 0 || fstat(h->fd, &st) != 0) {
		int e = errno;

		if (h->fd >= 0)
			close(h->fd);
		free(h);
		return -e;
	}
	h->ino = st.st_ino;
	h->owner = fuse_get_context()->fuse;
	h->prev = NULL;
	pthread_mutex_lock(&fs.lock);
	if (flags & O_TRUNC)
		diskcache_truncate(fs.cache, h->ino, 0);
	h->next = fs.handles;
	if (fs.handles)
		fs.handles->prev = h;
	fs.handles = h;
	pthread_mutex_unlock(&fs.lock);
	fi->fh = (uint64_t)(uintptr_t)h;
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	return fs_open_real(path, fi, false, 0);
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int rc = fs_write_fault(false);

	return rc ? rc : fs_open_real(path, fi, true, mode);
}

/* Take h off the list, close its file and free it. Called with the lock held. */
static void fs_handle_free(struct diskfs_handle *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		fs.handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	close(h->fd);
	free(h);
}

/* Every handle a connection left open (all of them when owner is NULL). */
static void fs_handles_free(struct fuse *owner)
{
	pthread_mutex_lock(&fs.lock);
	for (struct diskfs_handle *h = fs.handles, *next; h; h = next) {
		next = h->next;
		if (!owner || h->owner == owner)
			fs_handle_free(h);
	}
	pthread_mutex_unlock(&fs.lock);
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	pthread_mutex_lock(&fs.lock);
	fs_handle_free(fs_handle(fi));
	pthread_mutex_unlock(&fs.lock);
	return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct diskfs_handle *h = fs_handle(fi);
	ssize_t n;

	pthread_mutex_lock(&fs.lock);
	n = fs_fault_acts(DISK_EIO_READ) ? -EIO : diskcache_read(fs.cache, h->ino, h->fd, buf, size, off);
	pthread_mutex_unlock(&fs.lock);
	return (int)n;
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct diskfs_handle *h = fs_handle(fi);
	int rc = fs_write_fault(true);
	ssize_t n;

	if (rc)
		return rc;
	pthread_mutex_lock(&fs.lock);
	n = diskcache_write(fs.cache, h->ino, h->fd, buf, size, off);
	pthread_mutex_unlock(&fs.lock);
	return (int)n;
}

/* Wait ms (a slow disk), or less if the filesystem is told to quit. */
static void fs_slow_wait(int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&fs.lock);
	while (!fs.quitting &&
	       pthread_cond_timedwait(&fs.quit_cond, &fs.lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&fs.lock);
}

static int fs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	struct diskfs_handle *h = fs_handle(fi);
	int slow = 0, rc;

	pthread_mutex_lock(&fs.lock);
	if (fs_fault_acts(DISK_EIO_FSYNC)) {
		pthread_mutex_unlock(&fs.lock);
		return -EIO;
	}
	if (fs_fault_acts(DISK_SLOW_FSYNC))
		slow = fs.slow_ms;
	pthread_mutex_unlock(&fs.lock);
	if (slow > 0)
		fs_slow_wait(slow);
	pthread_mutex_lock(&fs.lock);
	rc = diskcache_sync(fs.cache, h->ino);
	pthread_mutex_unlock(&fs.lock);
	return rc;
}

/* Metadata reaches the real folder at once, so syncing a folder has nothing left to do. */
static int fs_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	return 0;
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int fd = fi ? fs_handle(fi)->fd : openat(fs.dir, fs_rel(path), O_WRONLY | O_CLOEXEC);
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) != 0 || fstat(fd, &st) != 0)
		rc = -errno;
	if (rc == 0) {
		pthread_mutex_lock(&fs.lock);
		diskcache_truncate(fs.cache, st.st_ino, size);
		pthread_mutex_unlock(&fs.lock);
	}
	if (!fi)
		close(fd);
	return rc;
}

/* The inode of rel when its last name is about to go (nlink 1), or 0. */
static ino_t fs_last_link(const char *rel)
{
	struct stat st;

	if (fstatat(fs.dir, rel, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_nlink > 1)
		return 0;
	return st.st_ino;
}

static void fs_forget(ino_t ino)
{
	if (!ino)
		return;
	pthread_mutex_lock(&fs.lock);
	diskcache_forget(fs.cache, ino);
	pthread_mutex_unlock(&fs.lock);
}

static int fs_unlink(const char *path)
{
	ino_t gone = fs_last_link(fs_rel(path));

	if (unlinkat(fs.dir, fs_rel(path), 0) != 0)
		return -errno;
	fs_forget(gone);
	return 0;
}

static int fs_mkdir(const char *path, mode_t mode)
{
	int rc = fs_write_fault(false);

	if (rc)
		return rc;
	return mkdirat(fs.dir, fs_rel(path), mode) == 0 ? 0 : -errno;
}

static int fs_rmdir(const char *path)
{
	return unlinkat(fs.dir, fs_rel(path), AT_REMOVEDIR) == 0 ? 0 : -errno;
}

static int fs_rename(const char *from, const char *to, unsigned int flags)
{
	ino_t replaced = fs_last_link(fs_rel(to)), moved = fs_last_link(fs_rel(from));

	if (renameat2(fs.dir, fs_rel(from), fs.dir, fs_rel(to), flags) != 0)
		return -errno;
	if (replaced != moved && !(flags & RENAME_EXCHANGE))
		fs_forget(replaced);
	return 0;
}

static int fs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int rc = fi ? fchmod(fs_handle(fi)->fd, mode) : fchmodat(fs.dir, fs_rel(path), mode, 0);

	return rc == 0 ? 0 : -errno;
}

static int fs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	int rc = fi ? fchown(fs_handle(fi)->fd, uid, gid)
		    : fchownat(fs.dir, fs_rel(path), uid, gid, AT_SYMLINK_NOFOLLOW);

	return rc == 0 ? 0 : -errno;
}

static int fs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	int rc = fi ? futimens(fs_handle(fi)->fd, tv)
		    : utimensat(fs.dir, fs_rel(path), tv, AT_SYMLINK_NOFOLLOW);

	return rc == 0 ? 0 : -errno;
}

static int fs_access(const char *path, int mask)
{
	return faccessat(fs.dir, fs_rel(path), mask, 0) == 0 ? 0 : -errno;
}

/* A full disk says so here too (df, and servers that check free space first). */
static int fs_statfs(const char *path, struct statvfs *st)
{
	if (fstatvfs(fs.dir, st) != 0)
		return -errno;
	pthread_mutex_lock(&fs.lock);
	if (fs.armed & DISK_FULL)
		st->f_bfree = st->f_bavail = 0;
	pthread_mutex_unlock(&fs.lock);
	return 0;
}

/*
 * No caching of names or attributes in the kernel: sizes come from the
 * cache of unsynced writes, which a power cut changes behind the kernel's
 * back. hard_remove: an unlinked open file is gone, not renamed to
 * .fuse_hidden (the server's folder shows what the server did).
 */
static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1;
	cfg->hard_remove = 1;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	return NULL;
}

static const struct fuse_operations fs_ops = {
	.getattr = fs_getattr,
	.mkdir = fs_mkdir,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.rename = fs_rename,
	.chmod = fs_chmod,
	.chown = fs_chown,
	.truncate = fs_truncate,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.statfs = fs_statfs,
	.release = fs_release,
	.fsync = fs_fsync,
	.readdir = fs_readdir,
	.fsyncdir = fs_fsyncdir,
	.init = fs_init,
	.access = fs_access,
	.create = fs_create,
	.utimens = fs_utimens,
};

/* --- connections ------------------------------------------------------------ */

static void *fs_serve(void *arg)
{
	struct diskfs_session *s = arg;

	fuse_loop(s->fuse);           /* returns when the connection is gone */
	atomic_store(&s->done, true);
	return NULL;
}

static void fs_session_free(struct diskfs_session *s)
{
	fs_handles_free(s->fuse);     /* what a killed server had open: no release came */
	fuse_destroy(s->fuse);        /* closes the connection's fd */
	fuse_opt_free_args(&s->args);
	free(s);
}

/*
 * Join and free the sessions whose connection has ended. One still
 * connected (its mount is alive in some process) is left to exit().
 */
static void fs_reap_sessions(void)
{
	for (struct diskfs_session **sp = &fs.sessions; *sp;) {
		struct diskfs_session *s = *sp;

		if (!atomic_load(&s->done)) {
			sp = &s->next;
			continue;
		}
		pthread_join(s->thread, NULL);
		*sp = s->next;
		fs_session_free(s);
	}
}

/* Serve the connection on fuse_fd (now ours) in a thread of its own. Returns 0 or an errno. */
static int fs_session_start(int fuse_fd)
{
	struct diskfs_session *s = calloc(1, sizeof *s);
	char *argv[] = { "acklab-disk", NULL };
	char mountpoint[32];

	if (!s) {
		close(fuse_fd);
		return ENOMEM;
	}
	s->args = (struct fuse_args)FUSE_ARGS_INIT(1, argv);
	s->fuse = fuse_new(&s->args, &fs_ops, sizeof fs_ops, NULL);
	/* libfuse serves an fd its caller already mounted when given "/dev/fd/N". */
	snprintf(mountpoint, sizeof mountpoint, "/dev/fd/%d", fuse_fd);
	if (!s->fuse || fuse_mount(s->fuse, mountpoint) != 0) {
		if (s->fuse)
			fuse_destroy(s->fuse);
		fuse_opt_free_args(&s->args);
		close(fuse_fd);
		free(s);
		return EIO;
	}
	atomic_init(&s->done, false);
	if (pthread_create(&s->thread, NULL, fs_serve, s) != 0) {
		fs_session_free(s);
		return EAGAIN;
	}
	s->next = fs.sessions;
	fs.sessions = s;
	return 0;
}

/* --- the control socket ------------------------------------------------------- */

/* One request, and the fd it carries (or -1). 1, 0 at end of file, -1 on error. */
static int fs_receive(struct disk_request *req, int *fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { req, sizeof *req };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof ctl };
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(DISK_CONTROL_FD, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n == 0 ? 0 : -1;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof *fd);
	return n == (ssize_t)sizeof *req ? 1 : -1;
}

static void fs_answer(const struct disk_request *req, int fd, struct disk_reply *rep)
{
	pthread_mutex_lock(&fs.lock);
	switch (req->op) {
	case DISK_OP_SET:
		fs.armed |= req->faults;
		for (int i = 0; i < DISKFS_NFAULTS; i++)
			if (req->faults & (1u << i))
				fs.acted[i] = 0;
		if (req->faults & DISK_SLOW_FSYNC)
			fs.slow_ms = req->ms;
		break;
	case DISK_OP_CLEAR:
		fs.armed &= ~req->faults;
		for (int i = 0; i < DISKFS_NFAULTS; i++)
			if (req->faults & (1u << i))
				rep->ops += fs.acted[i];
		break;
	case DISK_OP_LOSE:
		diskcache_drop_all(fs.cache, &rep->ops, &rep->bytes);
		break;
	case DISK_OP_QUIT:
		rep->err = -diskcache_sync_all(fs.cache);
		fs.quitting = true;
		pthread_cond_broadcast(&fs.quit_cond);
		break;
	case DISK_OP_SESSION:
		break;
	default:
		rep->err = EINVAL;
	}
	pthread_mutex_unlock(&fs.lock);
	if (req->op == DISK_OP_SESSION) {
		fs_reap_sessions();
		rep->err = fd < 0 ? EBADF : fs_session_start(fd);
	}
}

int diskfs_main(void)
{
	pthread_condattr_t attr;
	int rc = 1;

	fs.dir = DISK_BACKING_FD;
	fs.cache = diskcache_new();
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&fs.quit_cond, &attr);
	pthread_condattr_destroy(&attr);
	if (!fs.cache) {
		fprintf(stderr, "disk-serve: out of memory\n");
		return 1;
	}
	for (;;) {
		struct disk_request req;
		struct disk_reply rep = { 0 };
		int fd, got = fs_receive(&req, &fd);

		if (got <= 0) {
			/* acklab is gone: nothing is waiting for the cache any more */
			if (got < 0)
				fprintf(stderr, "disk-serve: control socket: %s\n", strerror(errno));
			break;
		}
		if (req.op != DISK_OP_SESSION && fd >= 0)
			close(fd);
		fs_answer(&req, fd, &rep);
		if (send(DISK_CONTROL_FD, &rep, sizeof rep, MSG_NOSIGNAL) != (ssize_t)sizeof rep)
			break;
		if (req.op == DISK_OP_QUIT) {
			rc = rep.err ? 1 : 0;
			break;
		}
	}
	fs_reap_sessions();
	if (!fs.sessions) {           /* else a connection still serves: leave it all to exit() */
		fs_handles_free(NULL);
		diskcache_free(fs.cache);
	}
	return rc;
}
