/*
 * util: the few helpers every program needs: one clock, error buffers,
 * bounded string copies and number parsing with clear failure.
 *
 * Time: every event in acklab carries CLOCK_MONOTONIC nanoseconds. Namespaces
 * do not change that clock, so the harness and every role share one time base.
 */
#ifndef ACKLAB_UTIL_H
#define ACKLAB_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t mono_ns(void);
/* Milliseconds since an earlier mono_ns() reading. */
double ms_since(int64_t start_ns);

/* An error message for the caller: printf into err (may be NULL), returns -1. */
int err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Is a the word b (strcmp(a, b) == 0)? Inline, for roles and events compared
 * with words on every line of a big history: with b known, the compiler
 * unrolls it, where a call to strcmp costs more than the comparison.
 */
static inline bool str_is(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/*
 * Lower the calling thread's priority by increment nice steps (at most to
 * 19): for helper threads that work ahead of one serial thread, which
 * should have a core whenever they compete for one. Best effort.
 */
void thread_nice(int increment);
/*
 * pthread_create(thread, NULL, run, arg) with every signal blocked in the
 * new thread, so signals stay with the threads that handle them. Returns
 * pthread_create's result.
 */
int thread_start_quiet(pthread_t *thread, void *(*run)(void *), void *arg);

/* Copy at most dstlen-1 bytes and always terminate; returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t dstlen);

/*
 * Parse a whole decimal integer in [min, max]. Returns 0, or -1 with err
 * filled ("'12x' is not a number", "'70000' is out of range 1..65535").
 */
int parse_long(const char *s, long min, long max, long *out, char *err, size_t errlen);

/*
 * Read a whole text file into a NUL-terminated buffer (caller frees). Refuses,
 * with err naming the path, what is not a regular file ("it is a folder"),
 * anything over max_bytes, and anything holding a NUL byte.
 */
char *file_read_text(const char *path, size_t max_bytes, char *err, size_t errlen);

/*
 * How many leading bytes of s[0..len) are well-formed UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF): len when all are.
 */
size_t utf8_valid_prefix(const char *s, size_t len);

/*
 * Levenshtein distance between a and b (insert, delete, substitute cost 1),
 * for "did you mean" suggestions. Words of 64 bytes or more count as 99
 * (too far to suggest).
 */
int edit_distance(const char *a, const char *b);

/* Sleep for ms milliseconds, restarting after signals. For pacing only, never for waiting on a condition. */
void sleep_ms(long ms);
/*
 * Ask the kernel to back a large allocation (len bytes at p, from malloc or
 * realloc, not yet touched) with transparent huge pages where it can: one
 * fault per 2 MiB instead of per 4 KiB, which is most of the cost of filling
 * hundreds of MB for the first time. Below 4 MiB, or where the kernel says
 * no, it does nothing: only a hint.
 */
void mem_hugepages(void *p, size_t len);

#endif
