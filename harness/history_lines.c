/*
 * history_lines: a file's lines, read and scanned by reader threads, each
 * block at its own offset (history_lines.h).
 *
 * The file is cut into blocks of `block` bytes; block k holds the lines
 * whose first byte lies in [k * block, (k + 1) * block), so each block can
 * be read on its own (pread from one byte before its start, to see whether
 * a line starts there, until the newline that ends its last line) and no
 * reader waits for another. Batches sit in a ring of LINES_SLOTS; a reader
 * claims the next block number under the lock, and only when its slot has
 * been handed back by the caller; a batch changes hands only under the
 * lock, by its "full" flag, so a reader and the caller never touch one
 * batch at once. The caller takes the batches in block order, so the lines
 * come in file order whatever the threads do.
 */
#include "history_lines.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* How many bytes of the file a block covers (its lines may run past the end). */
#define LINES_BLOCK (1 << 20)
/* How far past the block a read goes, and each further read when its last line is longer. */
#define LINES_TAIL (64 << 10)
/* Reader threads at most: with more than the machine's cores they only take turns. */
#define LINES_READERS_MAX 4
/* Batches in the ring: the one the caller reads and one or more ahead for each reader. */
#define LINES_SLOTS 8

struct lines_batch {
	char *buf;
	size_t cap;
	struct history_line *lines;
	size_t n, cap_lines;
	bool full;                    /* filled: the caller's to read, until it hands it back */
	bool last;                    /* the file ends in this block (or a read error ends it here) */
	int error;                    /* errno of the read error that ended it, else 0 */
};

struct history_lines {
	int fd;
	size_t block;
	history_line_prepare_fn *prepare;
	size_t slots;                 /* batches in the ring: 2 per reader, at most LINES_SLOTS */
	struct lines_batch batch[LINES_SLOTS];
	size_t claimed;               /* under the lock: the next block number a reader takes */
	size_t last_block;            /* under the lock: the number of the block the file ends in, once known */
	size_t reading;               /* the block the caller reads or waits for (it hands back the ones before) */
	size_t pos;                   /* the next line of the batch being read */
	bool holding;                 /* the caller holds batch[reading % slots] */
	bool stop;
	int nthreads;
	pthread_t thread[LINES_READERS_MAX];
	pthread_mutex_t lock;
	pthread_cond_t changed;
};

static int lines_grow(char **buf, size_t *cap, size_t need)
{
	size_t cap2 = *cap ? *cap : need;
	char *bigger;

	while (cap2 < need)
		cap2 *= 2;
	if (cap2 == *cap)
		return 0;
	bigger = realloc(*buf, cap2);
	if (!bigger)
		return -1;
	*buf = bigger;
	*cap = cap2;
	return 0;
}

static int lines_add(const struct history_lines *r, struct lines_batch *b, char *text, size_t len)
{
	struct history_line *l;

	if (b->n == b->cap_lines) {
		size_t cap = b->cap_lines ? b->cap_lines * 2 : 4096;
		struct history_line *v = realloc(b->lines, cap * sizeof *v);

		if (!v)
			return -1;
		b->lines = v;
		b->cap_lines = cap;
	}
	l = &b->lines[b->n++];
	l->text = text;
	l->len = len;
	l->scanned = len > 0 && history_scan_line(text, len, &l->f);
	if (r->prepare)
		r->prepare(l);
	return 0;
}

/* Split p[0..len) into lines as getline() and stripping '\n' and '\r' would, and scan them. */
static int lines_split(const struct history_lines *r, struct lines_batch *b, char *p, size_t len)
{
	char *end = p + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *next = nl ? nl + 1 : end;

		while (n > 0 && p[n - 1] == '\r')
			n--;
		p[n] = '\0';          /* on the '\n' or a '\r', or the spare byte after the file's end */
		if (lines_add(r, b, p, n) == -1)
			return -1;
		p = next;
	}
	return 0;
}

/*
 * Read the file from offset `from` into b->buf[*used..] until at least
 * `until` bytes are there or the file ends (*eof). 0, or an errno.
 */
static int lines_read(struct history_lines *r, struct lines_batch *b, off_t from, size_t *used,
		      size_t until, bool *eof)
{
	if (lines_grow(&b->buf, &b->cap, until + 1) == -1)
		return ENOMEM;
	while (*used < until) {
		ssize_t got = pread(r->fd, b->buf + *used, until - *used, from + (off_t)*used);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno;
		if (got == 0) {
			*eof = true;
			break;
		}
		*used += (size_t)got;
	}
	return 0;
}

/* Fill b with the lines of block k (a reader's work, or the caller's without readers). */
static void lines_fill(struct history_lines *r, struct lines_batch *b, size_t k)
{
	/* From one byte before the block, to see whether a line starts at its first byte. */
	off_t from = k ? (off_t)(k * r->block) - 1 : 0;
	size_t end = (size_t)((off_t)((k + 1) * r->block) - from);   /* the block's end, in buf */
	size_t used = 0, start, stop;
	bool eof = false;
	char *nl;
	int e;

	b->n = 0;
	b->error = 0;
	b->last = false;
	/* Past the block's end: whether the file goes on, and mostly the end of its last line. */
	if ((e = lines_read(r, b, from, &used, end + LINES_TAIL, &eof)))
		goto failed;
	b->last = eof && used <= end;
	/* The first line starting in the block: after the first newline before its last byte. */
	start = 0;
	if (k) {
		nl = memchr(b->buf, '\n', used < end - 1 ? used : end - 1);
		if (!nl)
			return;           /* no line starts here: one line longer than a block runs through it */
		start = (size_t)(nl - b->buf) + 1;
	}
	/* The last one ends at the first newline from the block's last byte on (or at the file's end). */
	stop = end - 1 < start ? start : end - 1;
	for (;;) {
		nl = stop < used ? memchr(b->buf + stop, '\n', used - stop) : NULL;
		if (nl || eof)
			break;
		stop = used;
		if ((e = lines_read(r, b, from, &used, used + LINES_TAIL, &eof)))
			goto failed;
	}
	stop = nl ? (size_t)(nl - b->buf) + 1 : used;
	if (lines_split(r, b, b->buf + start, stop - start) == -1) {
		e = ENOMEM;
		goto failed;
	}
	return;
failed:
	b->n = 0;
	b->error = e;
	b->last = true;
}

static void *lines_reader(void *arg)
{
	struct history_lines *r = arg;

	thread_nice(10);              /* the caller, which takes the lines in order, goes first */
	pthread_mutex_lock(&r->lock);
	for (;;) {
		size_t k = r->claimed;
		struct lines_batch *b = &r->batch[k % r->slots];

		/* Block k's slot is free once the caller has handed back block k - slots. */
		while (!r->stop && k <= r->last_block && (k >= r->reading + r->slots || b->full)) {
			pthread_cond_wait(&r->changed, &r->lock);
			k = r->claimed;
			b = &r->batch[k % r->slots];
		}
		if (r->stop || k > r->last_block)
			break;
		r->claimed++;
		pthread_mutex_unlock(&r->lock);
		lines_fill(r, b, k);
		pthread_mutex_lock(&r->lock);
		if (b->last && k < r->last_block)
			r->last_block = k;
		b->full = true;
		pthread_cond_broadcast(&r->changed);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static int lines_readers_wanted(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? 1 : cpus > LINES_READERS_MAX ? LINES_READERS_MAX : (int)cpus;
}

struct history_lines *history_lines_open(const char *path, size_t block, int readers,
					 history_line_prepare_fn *prepare)
{
	struct history_lines *r = calloc(1, sizeof *r);
	int e;

	if (!r)
		return NULL;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		e = errno;
		free(r);
		errno = e;
		return NULL;
	}
	posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	r->block = block ? block : LINES_BLOCK;
	r->prepare = prepare;
	if (readers < 0)
		readers = lines_readers_wanted();
	if (readers > LINES_READERS_MAX)
		readers = LINES_READERS_MAX;
	r->slots = readers > 1 ? 2 * (size_t)readers : 2;
	r->last_block = SIZE_MAX;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->changed, NULL);
	while (r->nthreads < readers && thread_start_quiet(&r->thread[r->nthreads], lines_reader, r) == 0)
		r->nthreads++;
	return r;
}

int history_lines_next(struct history_lines *r, struct history_line **line)
{
	for (;;) {
		struct lines_batch *b = &r->batch[r->reading % r->slots];

		if (r->holding) {
			if (r->pos < b->n) {
				*line = &b->lines[r->pos++];
				return 1;
			}
			if (b->last) {
				errno = b->error;
				return b->error ? -1 : 0;
			}
			pthread_mutex_lock(&r->lock);
			b->full = false;
			r->reading++;
			r->holding = false;
			pthread_cond_broadcast(&r->changed);
			pthread_mutex_unlock(&r->lock);
			continue;
		}
		if (r->nthreads) {
			pthread_mutex_lock(&r->lock);
			while (!b->full)
				pthread_cond_wait(&r->changed, &r->lock);
			pthread_mutex_unlock(&r->lock);
		} else {
			lines_fill(r, b, r->reading);
			b->full = true;
		}
		r->holding = true;
		r->pos = 0;
	}
}

void history_lines_close(struct history_lines *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	for (int i = 0; i < r->nthreads; i++)
		pthread_join(r->thread[i], NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->changed);
	for (size_t i = 0; i < r->slots; i++) {
		free(r->batch[i].buf);
		free(r->batch[i].lines);
	}
	close(r->fd);
	free(r);
}
