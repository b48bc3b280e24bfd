/*
 * history_lines: a file's lines, read and scanned one block ahead
 * (history_lines.h).
 *
 * Two batches, each a buffer of whole lines and their scans. The reader
 * (a thread, or the caller itself when there is none) fills batch k % 2
 * while the caller reads batch (k - 1) % 2; a batch changes hands only
 * under the lock, by its "full" flag, so the two never touch the same
 * batch at once. A line cut by the end of a block is carried, by the reader
 * alone, to the start of the next batch.
 */
#include "history_lines.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What one batch reads at least (a longer line makes its buffer grow). */
#define LINES_BLOCK (1 << 20)

struct lines_batch {
	char *buf;
	size_t cap;
	struct history_line *lines;
	size_t n, cap_lines;
	bool full;                    /* filled: the caller's to read, until it hands it back */
	bool last;                    /* the file ends with this batch (or a read error does) */
	int error;                    /* errno of the read error that ended it, else 0 */
};

struct history_lines {
	int fd;
	struct lines_batch batch[2];
	char *carry;                  /* the reader's: the cut line at the end of the last block */
	size_t ncarry, capcarry;
	bool eof;
	size_t filling;               /* the reader's: how many batches it has filled */
	size_t reading;               /* the caller's: how many batches it has handed back */
	size_t pos;                   /* the next line of the batch being read */
	bool holding;                 /* the caller holds batch[reading % 2] */
	bool threaded, stop;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
};

static int lines_grow(char **buf, size_t *cap, size_t need)
{
	size_t cap2 = *cap ? *cap : LINES_BLOCK + 1;
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

static int lines_add(struct lines_batch *b, char *text, size_t len)
{
	struct history_line *l;

	if (b->n == b->cap_lines) {
		size_t cap = b->cap_lines ? b->cap_lines * 2 : 8192;
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
	return 0;
}

/* Split buf[0..whole) into lines as getline() and stripping '\n' and '\r' would, and scan them. */
static int lines_split(struct lines_batch *b, size_t whole)
{
	char *p = b->buf, *end = b->buf + whole;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *next = nl ? nl + 1 : end;

		while (n > 0 && p[n - 1] == '\r')
			n--;
		p[n] = '\0';          /* on the '\n' or a '\r', or the spare byte after the file's end */
		if (lines_add(b, p, n) == -1)
			return -1;
		p = next;
	}
	return 0;
}

/* Fill b with the next block's whole lines (the reader's work). */
static void lines_fill(struct history_lines *r, struct lines_batch *b)
{
	size_t used, whole;
	char *nl = NULL;

	b->n = 0;
	b->error = 0;
	b->last = false;
	if (lines_grow(&b->buf, &b->cap, r->ncarry + LINES_BLOCK + 1) == -1)
		goto nomem;
	if (r->ncarry)
		memcpy(b->buf, r->carry, r->ncarry);
	used = r->ncarry;
	r->ncarry = 0;
	for (;;) {
		while (!r->eof && used + 1 < b->cap) {
			ssize_t got = read(r->fd, b->buf + used, b->cap - 1 - used);

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				b->error = errno;
				b->last = true;
				return;
			}
			r->eof = got == 0;
			used += (size_t)got;
		}
		if (r->eof || (nl = memrchr(b->buf, '\n', used)))
			break;
		if (lines_grow(&b->buf, &b->cap, b->cap * 2) == -1)      /* one line longer than the block */
			goto nomem;
	}
	whole = r->eof ? used : (size_t)(nl - b->buf) + 1;
	r->ncarry = used - whole;
	if (r->ncarry) {
		if (lines_grow(&r->carry, &r->capcarry, r->ncarry) == -1)
			goto nomem;
		memcpy(r->carry, b->buf + whole, r->ncarry);
	}
	if (lines_split(b, whole) == -1)
		goto nomem;
	b->last = r->eof;
	return;
nomem:
	b->error = ENOMEM;
	b->last = true;
}

static void *lines_reader(void *arg)
{
	struct history_lines *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct lines_batch *b = &r->batch[r->filling % 2];

		while (!r->stop && b->full)
			pthread_cond_wait(&r->changed, &r->lock);
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->lock);
		lines_fill(r, b);
		pthread_mutex_lock(&r->lock);
		b->full = true;
		r->filling++;
		pthread_cond_broadcast(&r->changed);
		if (b->last)
			break;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct history_lines *history_lines_open(const char *path)
{
	struct history_lines *r = calloc(1, sizeof *r);
	sigset_t all, old;
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
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->changed, NULL);
	/* The reader takes no signals: they stay with the threads that handle them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r->threaded = pthread_create(&r->thread, NULL, lines_reader, r) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

int history_lines_next(struct history_lines *r, struct history_line **line)
{
	for (;;) {
		struct lines_batch *b = &r->batch[r->reading % 2];

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
		if (r->threaded) {
			pthread_mutex_lock(&r->lock);
			while (!b->full)
				pthread_cond_wait(&r->changed, &r->lock);
			pthread_mutex_unlock(&r->lock);
		} else {
			lines_fill(r, b);
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
	if (r->threaded) {
		pthread_mutex_lock(&r->lock);
		r->stop = true;
		pthread_cond_broadcast(&r->changed);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
	}
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->changed);
	for (int i = 0; i < 2; i++) {
		free(r->batch[i].buf);
		free(r->batch[i].lines);
	}
	free(r->carry);
	close(r->fd);
	free(r);
}
