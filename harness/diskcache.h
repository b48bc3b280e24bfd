/*
 * diskcache: the unsynced writes of acklab's storage filesystem (diskfs),
 * kept in memory the way LazyFS keeps them, so a power cut can drop them.
 *
 * Every write to a file goes here first, not to the real file below: the
 * real folder holds only what was fsynced (plus metadata: creating,
 * unlinking, renaming and truncating a file act on the real folder at
 * once, as a journaled filesystem commits them). Reads and sizes see the
 * real file with the cached writes laid over it in the order they were
 * made, so a process cannot tell the cache is there. fsync of a file writes
 * its cached writes to the real file, in order; a clean shutdown writes
 * every file's; a power cut (diskcache_drop_all) forgets them, and each
 * file reads again as its last fsync left it.
 *
 * Files are known by the real file's inode number, which a rename keeps.
 * The real folder is the machine's filesystem: "written to the real file"
 * is what survives here, since acklab itself never loses the machine's
 * page cache (so no fsync of the real file is needed, and none is made).
 * Not thread-safe: diskfs holds one lock around every call.
 */
#ifndef ACKLAB_DISKCACHE_H
#define ACKLAB_DISKCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Past this many cached bytes in all, the file written to is written back (as a kernel would). */
#define DISKCACHE_MAX_BYTES (64u << 20)

struct diskcache;

/* A new, empty cache (NULL when out of memory). */
struct diskcache *diskcache_new(void);
/* Free everything cached, writing nothing (NULL ok). */
void diskcache_free(struct diskcache *dc);

/*
 * Cache a write of len bytes at off to the file ino, whose real file is
 * open as fd (read-write; kept, dup'ed, for writing back later). Returns
 * len, or -errno.
 */
ssize_t diskcache_write(struct diskcache *dc, ino_t ino, int fd, const void *buf, size_t len,
			off_t off);
/* Read as the file looks with its cached writes: bytes read (0 at the end), or -errno. */
ssize_t diskcache_read(struct diskcache *dc, ino_t ino, int fd, void *buf, size_t len, off_t off);
/* The file's size with its cached writes, given its real size. */
off_t diskcache_size(const struct diskcache *dc, ino_t ino, off_t real_size);
/* The file was truncated to size (already done to the real file): forget what lies past it. */
void diskcache_truncate(struct diskcache *dc, ino_t ino, off_t size);
/* Write the file's cached writes to its real file, in order (fsync). 0 or -errno. */
int diskcache_sync(struct diskcache *dc, ino_t ino);
/* The file is gone (its last name unlinked): forget its cached writes. */
void diskcache_forget(struct diskcache *dc, ino_t ino);
/* Write every file's cached writes (a clean shutdown). 0, or the first -errno. */
int diskcache_sync_all(struct diskcache *dc);
/* Power cut: forget every cached write; *writes and *bytes say how many were lost. */
void diskcache_drop_all(struct diskcache *dc, uint64_t *writes, uint64_t *bytes);
/* How many writes and bytes are cached now, unsynced. */
void diskcache_pending(const struct diskcache *dc, uint64_t *writes, uint64_t *bytes);

#endif
