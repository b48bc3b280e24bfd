/*
 * diskcache: unsynced writes per file, as a list of extents in the order
 * they were written; see diskcache.h.
 *
 * A list, not a page map: a read lays every extent that overlaps it over
 * the real file's bytes, later ones last, which is exactly what the writes
 * would have left. A write that continues the previous one (a log being
 * appended to, SQLite's WAL) grows that extent instead of adding one, so
 * the lists stay short. Files are few (a server's store, its journal), so
 * they are found by a linear search.
 */
#include "diskcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct extent {
	off_t off;
	size_t len;
	unsigned char *data;
};

struct cached_file {
	ino_t ino;
	int fd;                       /* the real file, dup'ed from the first write's */
	off_t size;                   /* the size with the cached writes */
	struct extent *ext;
	size_t next, cap;
	uint64_t writes, bytes;       /* write() calls and bytes cached, for the counts */
};

struct diskcache {
	struct cached_file *files;
	size_t nfiles, cap;
	uint64_t bytes;               /* cached in all */
};

struct diskcache *diskcache_new(void)
{
	return calloc(1, sizeof(struct diskcache));
}

static void file_clear(struct cached_file *f)
{
	for (size_t i = 0; i < f->next; i++)
		free(f->ext[i].data);
	free(f->ext);
	f->ext = NULL;
	f->next = f->cap = 0;
	f->writes = f->bytes = 0;
}

/* Forget file i and close its fd; the last file takes its place. */
static void cache_remove(struct diskcache *dc, size_t i)
{
	struct cached_file *f = &dc->files[i];

	dc->bytes -= f->bytes;
	file_clear(f);
	close(f->fd);
	dc->files[i] = dc->files[--dc->nfiles];
}

void diskcache_free(struct diskcache *dc)
{
	if (!dc)
		return;
	while (dc->nfiles > 0)
		cache_remove(dc, dc->nfiles - 1);
	free(dc->files);
	free(dc);
}

static struct cached_file *cache_find(const struct diskcache *dc, ino_t ino, size_t *index)
{
	for (size_t i = 0; i < dc->nfiles; i++)
		if (dc->files[i].ino == ino) {
			if (index)
				*index = i;
			return &dc->files[i];
		}
	return NULL;
}

/* The entry for ino, made on its first write from the real file open as fd. */
static struct cached_file *cache_file(struct diskcache *dc, ino_t ino, int fd, int *err)
{
	struct cached_file *f = cache_find(dc, ino, NULL);
	struct stat st;

	if (f)
		return f;
	if (fstat(fd, &st) != 0) {
		*err = errno;
		return NULL;
	}
	if (dc->nfiles == dc->cap) {
		size_t cap = dc->cap ? dc->cap * 2 : 8;
		struct cached_file *grown = realloc(dc->files, cap * sizeof *grown);

		if (!grown) {
			*err = ENOMEM;
			return NULL;
		}
		dc->files = grown;
		dc->cap = cap;
	}
	f = &dc->files[dc->nfiles];
	memset(f, 0, sizeof *f);
	f->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (f->fd < 0) {
		*err = errno;
		return NULL;
	}
	f->ino = ino;
	f->size = st.st_size;
	dc->nfiles++;
	return f;
}

/* Write f's extents to its real file in order, and its size; then it holds none. */
static int file_sync(struct diskcache *dc, struct cached_file *f)
{
	struct stat st;

	for (size_t i = 0; i < f->next; i++) {
		const struct extent *e = &f->ext[i];
		size_t done = 0;

		while (done < e->len) {
			ssize_t n = pwrite(f->fd, e->data + done, e->len - done, e->off + (off_t)done);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n < 0 ? -errno : -EIO;
			done += (size_t)n;
		}
	}
	/* A write past the end that a later truncate cut leaves the real file longer. */
	if (fstat(f->fd, &st) == 0 && st.st_size != f->size && ftruncate(f->fd, f->size) != 0)
		return -errno;
	dc->bytes -= f->bytes;
	file_clear(f);
	return 0;
}

ssize_t diskcache_write(struct diskcache *dc, ino_t ino, int fd, const void *buf, size_t len,
			off_t off)
{
	int err = 0;
	struct cached_file *f = cache_file(dc, ino, fd, &err);
	struct extent *last;

	if (!f)
		return -err;
	if (len == 0)
		return 0;
	last = f->next ? &f->ext[f->next - 1] : NULL;
	if (last && last->off + (off_t)last->len == off) {
		/* It continues the previous write: grow that extent. */
		unsigned char *grown = realloc(last->data, last->len + len);

		if (!grown)
			return -ENOMEM;
		memcpy(grown + last->len, buf, len);
		last->data = grown;
		last->len += len;
	} else {
		if (f->next == f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 16;
			struct extent *ext = realloc(f->ext, cap * sizeof *ext);

			if (!ext)
				return -ENOMEM;
			f->ext = ext;
			f->cap = cap;
		}
		last = &f->ext[f->next];
		last->data = malloc(len);
		if (!last->data)
			return -ENOMEM;
		memcpy(last->data, buf, len);
		last->off = off;
		last->len = len;
		f->next++;
	}
	f->writes++;
	f->bytes += len;
	dc->bytes += len;
	if (off + (off_t)len > f->size)
		f->size = off + (off_t)len;
	if (dc->bytes > DISKCACHE_MAX_BYTES) {
		int rc = file_sync(dc, f);

		if (rc < 0)
			return rc;
	}
	return (ssize_t)len;
}

ssize_t diskcache_read(struct diskcache *dc, ino_t ino, int fd, void *buf, size_t len, off_t off)
{
	const struct cached_file *f = cache_find(dc, ino, NULL);
	unsigned char *out = buf;
	size_t got = 0;

	if (!f) {
		ssize_t n;

		do
			n = pread(fd, buf, len, off);
		while (n < 0 && errno == EINTR);
		return n < 0 ? -errno : n;
	}
	if (off >= f->size)
		return 0;
	if ((off_t)len > f->size - off)
		len = (size_t)(f->size - off);
	/* The real file's bytes, then zeros where it ends before the cached size. */
	while (got < len) {
		ssize_t n = pread(fd, out + got, len - got, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	memset(out + got, 0, len - got);
	for (size_t i = 0; i < f->next; i++) {
		const struct extent *e = &f->ext[i];
		off_t from = e->off > off ? e->off : off;
		off_t to = e->off + (off_t)e->len;

		if (to > off + (off_t)len)
			to = off + (off_t)len;
		if (from < to)
			memcpy(out + (from - off), e->data + (from - e->off), (size_t)(to - from));
	}
	return (ssize_t)len;
}

off_t diskcache_size(const struct diskcache *dc, ino_t ino, off_t real_size)
{
	const struct cached_file *f = cache_find(dc, ino, NULL);

	return f ? f->size : real_size;
}

void diskcache_truncate(struct diskcache *dc, ino_t ino, off_t size)
{
	struct cached_file *f = cache_find(dc, ino, NULL);
	size_t keep = 0;

	if (!f)
		return;
	for (size_t i = 0; i < f->next; i++) {
		struct extent *e = &f->ext[i];

		if (e->off >= size) {
			free(e->data);
			continue;
		}
		if (e->off + (off_t)e->len > size)
			e->len = (size_t)(size - e->off);
		f->ext[keep++] = *e;
	}
	f->next = keep;
	f->size = size;
}

int diskcache_sync(struct diskcache *dc, ino_t ino)
{
	struct cached_file *f = cache_find(dc, ino, NULL);

	return f ? file_sync(dc, f) : 0;
}

void diskcache_forget(struct diskcache *dc, ino_t ino)
{
	size_t i;

	if (cache_find(dc, ino, &i))
		cache_remove(dc, i);
}

int diskcache_sync_all(struct diskcache *dc)
{
	int first = 0;

	for (size_t i = 0; i < dc->nfiles; i++) {
		int rc = file_sync(dc, &dc->files[i]);

		if (rc < 0 && first == 0)
			first = rc;
	}
	return first;
}

void diskcache_drop_all(struct diskcache *dc, uint64_t *writes, uint64_t *bytes)
{
	diskcache_pending(dc, writes, bytes);
	while (dc->nfiles > 0)
		cache_remove(dc, dc->nfiles - 1);
}

void diskcache_pending(const struct diskcache *dc, uint64_t *writes, uint64_t *bytes)
{
	*writes = *bytes = 0;
	for (size_t i = 0; i < dc->nfiles; i++) {
		*writes += dc->files[i].writes;
		*bytes += dc->files[i].bytes;
	}
}
