/*
 * outdir: creating, opening and clearing what a run writes, relative to
 * folder descriptors and without following links; see outdir.h for why.
 *
 * Every call that names a file takes a folder fd and one path component,
 * so the kernel resolves exactly one name and O_NOFOLLOW (or
 * AT_SYMLINK_NOFOLLOW) covers it. When an open fails because of a link,
 * the error is re-diagnosed with fstatat/readlinkat so the user reads
 * "... is a symbolic link (to /etc/passwd)" rather than "Too many levels
 * of symbolic links". Files are checked after opening (fstat on the fd,
 * so the check and the use are about the same inode): a FIFO, a device or
 * a file with a second hard link is refused, and O_NONBLOCK at open keeps
 * a planted FIFO from blocking the run.
 */
#include "outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define OUTDIR_DIR_MODE 0700
#define OUTDIR_FILE_MODE 0600
#define OUTDIR_CHECK_DEPTH 3          /* run folder, scenario folders, cell folders */

static const char outdir_link_why[] =
	"acklab never follows a link where it writes; remove it or choose another --out";

bool outdir_name_ok(const char *name)
{
	if (!name || !((*name >= 'a' && *name <= 'z') || (*name >= '0' && *name <= '9')))
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			return false;
	return true;
}

/* "PATH is a symbolic link (to TARGET): ..." for the entry name in dirfd. */
static int outdir_link_err(int dirfd, const char *name, const char *shown, char *err, size_t errlen)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);

	if (n < 0)
		str_copy(target, "?", sizeof target);
	else
		target[n] = '\0';
	return err_set(err, errlen, "%s is a symbolic link (to %s): %s", shown, target, outdir_link_why);
}

/* The owner and mode rules for a folder acklab writes into, on its open fd. */
static int outdir_check_folder(int fd, const char *shown, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return err_set(err, errlen, "%s: %s", shown, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(err, errlen, "%s exists and is not a folder", shown);
	if (st.st_uid != geteuid())
		return err_set(err, errlen, "%s belongs to uid %u, not to the user running acklab (uid %u): "
			       "its owner could change it under the run; choose a folder of your own",
			       shown, (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		return err_set(err, errlen, "%s can be written by anybody (mode %04o, no sticky bit): "
			       "choose a folder only you can write to", shown, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Why opening dirfd/name as a folder failed with errno e, said plainly. */
static int outdir_open_err(int dirfd, const char *name, const char *shown, int e, char *err,
			   size_t errlen)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return outdir_link_err(dirfd, name, shown, err, errlen);
		if (!S_ISDIR(st.st_mode))
			return err_set(err, errlen, "%s exists and is not a folder", shown);
	}
	return err_set(err, errlen, "cannot open %s: %s", shown, strerror(e));
}

/* mkdirat (when create) and open dirfd/name as a folder, refusing a link. */
static int outdir_open_at(struct outdir *d, int dirfd, const char *name, bool create, char *err,
			  size_t errlen)
{
	int fd;

	if (create && mkdirat(dirfd, name, OUTDIR_DIR_MODE) == -1 && errno != EEXIST)
		return err_set(err, errlen, "cannot create %s: %s", d->path, strerror(errno));
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return outdir_open_err(dirfd, name, d->path, errno, err, errlen);
	if (outdir_check_folder(fd, d->path, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	d->fd = fd;
	return 0;
}

int outdir_open(struct outdir *d, const char *path, bool create, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	const char *base, *slash;
	size_t len = strlen(path);
	int pfd, rc;

	d->fd = -1;
	if (!len || len >= sizeof d->path)
		return err_set(err, errlen, "'%s': not a usable folder path", path);
	str_copy(d->path, path, sizeof d->path);
	while (len > 1 && d->path[len - 1] == '/')     /* "out/" names the folder out */
		d->path[--len] = '\0';
	slash = strrchr(d->path, '/');
	if (!slash) {
		str_copy(parent, ".", sizeof parent);
		base = d->path;
	} else if (slash == d->path) {
		str_copy(parent, "/", sizeof parent);
		base = slash[1] ? slash + 1 : ".";
	} else {
		snprintf(parent, sizeof parent, "%.*s", (int)(slash - d->path), d->path);
		base = slash + 1;
	}
	if (strcmp(base, "..") == 0 || strcmp(base, ".") == 0) {
		/* "." and ".." are folders by definition: nothing to create, no link to refuse. */
		pfd = AT_FDCWD;
		base = d->path;
		create = false;
	} else {
		pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			return err_set(err, errlen, "cannot %s %s: %s: %s", create ? "create" : "open", d->path,
				       parent, strerror(errno));
	}
	rc = outdir_open_at(d, pfd, base, create, err, errlen);
	if (pfd >= 0)
		close(pfd);
	return rc;
}

int outdir_open_sub(struct outdir *d, const struct outdir *parent, const char *name, char *err,
		    size_t errlen)
{
	d->fd = -1;
	if (snprintf(d->path, sizeof d->path, "%s/%s", parent->path, name) >= (int)sizeof d->path)
		return err_set(err, errlen, "%s/%s: path too long", parent->path, name);
	if (!outdir_name_ok(name))
		return err_set(err, errlen, "%s: '%s' is not a folder name acklab makes "
			       "(expected [a-z0-9][a-z0-9_-]*)", parent->path, name);
	return outdir_open_at(d, parent->fd, name, true, err, errlen);
}

int outdir_open_file(const struct outdir *d, const char *name, enum outdir_mode mode, char *err,
		     size_t errlen)
{
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	char shown[PATH_MAX + 256];
	struct stat st;
	int fd;

	snprintf(shown, sizeof shown, "%s/%s", d->path, name);
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return err_set(err, errlen, "%s: not a file name", shown);
	if (mode == OUTDIR_APPEND)
		flags |= O_APPEND;
	fd = openat(d->fd, name, flags, OUTDIR_FILE_MODE);
	if (fd < 0) {
		int e = errno;

		if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			return outdir_link_err(d->fd, name, shown, err, errlen);
		if (e == ENXIO)       /* O_NONBLOCK on a FIFO nobody reads */
			return err_set(err, errlen, "%s exists and is not a regular file", shown);
		return err_set(err, errlen, "cannot write %s: %s", shown, strerror(e));
	}
	if (fstat(fd, &st) == -1) {
		err_set(err, errlen, "cannot write %s: %s", shown, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink > 1) {
		close(fd);
		return err_set(err, errlen, S_ISREG(st.st_mode)
					    ? "%s has another hard link: refusing to write through it"
					    : "%s exists and is not a regular file", shown);
	}
	if ((mode == OUTDIR_TRUNCATE && ftruncate(fd, 0) == -1) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		err_set(err, errlen, "cannot write %s: %s", shown, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int outdir_write_file(const struct outdir *d, const char *name, const void *buf, size_t len,
		      char *err, size_t errlen)
{
	const char *p = buf;
	int fd = outdir_open_file(d, name, OUTDIR_TRUNCATE, err, errlen);

	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(err, errlen, "cannot write %s/%s: %s", d->path, name,
				n < 0 ? strerror(errno) : "no room");
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) == -1)
		return err_set(err, errlen, "cannot write %s/%s: %s", d->path, name, strerror(errno));
	return 0;
}

/* A second descriptor on the same folder, for readdir (which moves the offset). */
static DIR *outdir_list(int fd, const char *shown, char *err, size_t errlen)
{
	int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;

	if (dup_fd < 0) {
		err_set(err, errlen, "cannot read %s: %s", shown, strerror(errno));
		return NULL;
	}
	dir = fdopendir(dup_fd);
	if (!dir) {
		err_set(err, errlen, "cannot read %s: %s", shown, strerror(errno));
		close(dup_fd);
	}
	return dir;
}

static bool outdir_is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

int outdir_clear(const struct outdir *d, char *err, size_t errlen)
{
	char shown[PATH_MAX + 256];
	struct dirent *e;
	struct stat st;
	int rc = 0;
	DIR *dir;

	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		/* Pass 0 looks for links, so a refused folder is left exactly as it was; pass 1 removes. */
		dir = outdir_list(d->fd, d->path, err, errlen);
		if (!dir)
			return -1;
		while (rc == 0 && (errno = 0, e = readdir(dir))) {
			if (outdir_is_dot(e->d_name))
				continue;
			snprintf(shown, sizeof shown, "%s/%s", d->path, e->d_name);
			if (fstatat(d->fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
				if (errno != ENOENT)
					rc = err_set(err, errlen, "cannot clear %s: %s", shown, strerror(errno));
				continue;
			}
			if (pass == 0 && S_ISLNK(st.st_mode))
				rc = outdir_link_err(d->fd, e->d_name, shown, err, errlen);
			else if (pass == 1 && S_ISREG(st.st_mode) && unlinkat(d->fd, e->d_name, 0) == -1 &&
				 errno != ENOENT)
				rc = err_set(err, errlen, "cannot remove %s: %s", shown, strerror(errno));
		}
		if (rc == 0 && errno)
			rc = err_set(err, errlen, "cannot read %s: %s", d->path, strerror(errno));
		closedir(dir);
	}
	return rc;
}

/* Entries of the folder fd (shown as shown), depth levels down: no links; sub-folders owned by us. */
static int outdir_check_level(int fd, const char *shown, int depth, char *err, size_t errlen)
{
	char sub[PATH_MAX + 256];
	struct dirent *e;
	int rc = 0;
	DIR *dir = outdir_list(fd, shown, err, errlen);

	if (!dir)
		return -1;
	while (rc == 0 && (e = readdir(dir))) {
		struct stat st;
		int sfd;

		if (outdir_is_dot(e->d_name))
			continue;
		snprintf(sub, sizeof sub, "%s/%s", shown, e->d_name);
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;         /* gone meanwhile: nothing to refuse */
		if (S_ISLNK(st.st_mode)) {
			rc = outdir_link_err(fd, e->d_name, sub, err, errlen);
			break;
		}
		if (!S_ISDIR(st.st_mode) || depth <= 1)
			continue;
		sfd = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0) {
			rc = outdir_open_err(fd, e->d_name, sub, errno, err, errlen);
			break;
		}
		rc = outdir_check_folder(sfd, sub, err, errlen);
		if (rc == 0)
			rc = outdir_check_level(sfd, sub, depth - 1, err, errlen);
		close(sfd);
	}
	closedir(dir);
	return rc;
}

int outdir_check_tree(const char *path, char *err, size_t errlen)
{
	struct outdir d;
	struct stat st;
	int rc;

	if (lstat(path, &st) == -1 && errno == ENOENT)
		return 0;             /* made by the run: nothing in it yet */
	if (outdir_open(&d, path, false, err, errlen) == -1)
		return -1;
	rc = outdir_check_level(d.fd, d.path, OUTDIR_CHECK_DEPTH, err, errlen);
	outdir_close(&d);
	return rc;
}

int outdir_symlink(const struct outdir *parent, const char *name, const char *target, char *err,
		   size_t errlen)
{
	struct stat st;

	if (fstatat(parent->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISLNK(st.st_mode))
			return err_set(err, errlen, "%s/%s exists and is not a symbolic link: left as it is",
				       parent->path, name);
		if (unlinkat(parent->fd, name, 0) == -1 && errno != ENOENT)
			return err_set(err, errlen, "cannot replace %s/%s: %s", parent->path, name,
				       strerror(errno));
	}
	if (symlinkat(target, parent->fd, name) == -1)
		return err_set(err, errlen, "cannot point %s/%s at %s: %s", parent->path, name, target,
			       strerror(errno));
	return 0;
}

void outdir_close(struct outdir *d)
{
	if (d && d->fd >= 0)
		close(d->fd);
	if (d)
		d->fd = -1;
}

int outdir_make_parents(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof buf)
		return err_set(err, errlen, "%s: path too long", path);
	str_copy(buf, path, sizeof buf);
	for (char *c = buf + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return err_set(err, errlen, "cannot create %s: %s", buf, strerror(errno));
		*c = '/';
	}
	return 0;
}

/*
 * One level of a run folder: check (remove == false) or remove its entries.
 * depth 0 is the run folder, 1 a scenario folder, 2 a cell folder (files only).
 */
static int outdir_clear_level(int dfd, const char *shown, int depth, bool remove, char *err, size_t errlen)
{
	DIR *dir;
	struct dirent *e;
	int rc = 0, fd = dup(dfd);

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return err_set(err, errlen, "cannot read %s: %s", shown, strerror(errno));
	}
	while (rc == 0 && (e = readdir(dir))) {
		struct stat st;
		char sub[PATH_MAX];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof sub, "%s/%s", shown, e->d_name);
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			rc = err_set(err, errlen, "cannot stat %s: %s", sub, strerror(errno));
		} else if (S_ISLNK(st.st_mode)) {
			rc = err_set(err, errlen, "%s is a symbolic link: --force never follows or removes one; "
				     "remove it yourself", sub);
		} else if (S_ISDIR(st.st_mode)) {
			int sfd;

			if (depth >= 2) {
				rc = err_set(err, errlen, "%s is deeper than a run's cell folders: not a run "
					     "folder acklab made; --force clears only those", sub);
				break;
			}
			sfd = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd < 0) {
				rc = err_set(err, errlen, "cannot open %s: %s", sub, strerror(errno));
				break;
			}
			rc = outdir_clear_level(sfd, sub, depth + 1, remove, err, errlen);
			close(sfd);
			if (rc == 0 && remove && unlinkat(dfd, e->d_name, AT_REMOVEDIR) == -1)
				rc = err_set(err, errlen, "cannot remove %s: %s", sub, strerror(errno));
		} else if (remove && unlinkat(dfd, e->d_name, 0) == -1) {
			rc = err_set(err, errlen, "cannot remove %s: %s", sub, strerror(errno));
		}
	}
	closedir(dir);
	return rc;
}

int outdir_clear_run(const char *path, char *err, size_t errlen)
{
	struct outdir d;
	int rc;

	if (outdir_open(&d, path, false, err, errlen) == -1)
		return -1;
	/* Everything is looked at first, so a link or a stranger's folder stops it before any removal. */
	rc = outdir_clear_level(d.fd, d.path, 0, false, err, errlen);
	if (rc == 0)
		rc = outdir_clear_level(d.fd, d.path, 0, true, err, errlen);
	outdir_close(&d);
	return rc;
}
