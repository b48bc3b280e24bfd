/*
 * util: clock, error buffers, string copy, number parsing and the edit
 * distance behind every suggestion; see util.h.
 */
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

double ms_since(int64_t start_ns)
{
	return (double)(mono_ns() - start_ns) / 1e6;
}

int err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

size_t str_copy(char *dst, const char *src, size_t dstlen)
{
	size_t n = strlen(src);

	if (dstlen) {
		size_t c = n < dstlen - 1 ? n : dstlen - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int parse_long(const char *s, long min, long max, long *out, char *err, size_t errlen)
{
	char *end;
	long v;

	if (!s || !*s)
		return err_set(err, errlen, "empty value where a number was expected");
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || end == s)
		return err_set(err, errlen, "'%s' is not a number", s);
	if (errno == ERANGE || v < min || v > max)
		return err_set(err, errlen, "'%s' is out of range %ld..%ld", s, min, max);
	*out = v;
	return 0;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void mem_hugepages(void *p, size_t len)
{
	const uintptr_t huge = 2u << 20;
	uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1), end = ((uintptr_t)p + len) & ~(huge - 1);

	if (len >= 2 * huge && end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}

void thread_nice(int increment)
{
	id_t self = (id_t)gettid();
	int now;

	errno = 0;
	now = getpriority(PRIO_PROCESS, self);
	if (errno == 0)
		(void)setpriority(PRIO_PROCESS, self, now + increment > 19 ? 19 : now + increment);
}

int thread_start_quiet(pthread_t *thread, void *(*run)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(thread, NULL, run, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

char *file_read_text(const char *path, size_t max_bytes, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	char *text = NULL;

	if (!f) {
		err_set(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == -1) {
		err_set(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, errlen, "%s: not a text file (%s)", path,
			S_ISDIR(st.st_mode) ? "it is a folder" : "not a regular file");
		goto done;
	}
	if ((size_t)st.st_size > max_bytes) {
		err_set(err, errlen, "%s: file too large (%lld bytes; at most %zu)", path,
			(long long)st.st_size, max_bytes);
		goto done;
	}
	text = calloc(1, (size_t)st.st_size + 1);
	if (!text) {
		err_set(err, errlen, "%s: out of memory", path);
		goto done;
	}
	if (fread(text, 1, (size_t)st.st_size, f) != (size_t)st.st_size || ferror(f)) {
		err_set(err, errlen, "%s: read failed", path);
		free(text);
		text = NULL;
		goto done;
	}
	if (memchr(text, '\0', (size_t)st.st_size)) {
		err_set(err, errlen, "%s: not a text file (contains a NUL byte)", path);
		free(text);
		text = NULL;
	}
done:
	fclose(f);
	return text;
}

size_t utf8_valid_prefix(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = u[i];
		size_t n;
		unsigned char lo = 0x80, hi = 0xbf;   /* the second byte's range */

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;            /* overlong */
			else if (c == 0xed)
				hi = 0x9f;            /* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;            /* overlong */
			else if (c == 0xf4)
				hi = 0x8f;            /* above U+10FFFF */
		} else
			return i;
		if (i + n >= len)     /* cut short */
			return i;
		if (u[i + 1] < lo || u[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if ((u[i + k] & 0xc0) != 0x80)
				return i;
		i += n + 1;
	}
	return len;
}

int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (la >= ARRAY_LEN(row) || lb >= ARRAY_LEN(row))
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}
