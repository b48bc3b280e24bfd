/*
 * arena: strings copied into large blocks and freed all at once. For the
 * many small strings of one big job (a million messages' tokens and
 * sentences in the checker, the keys of a strmap), where a malloc each
 * would cost more than the work and scatter the strings over memory.
 */
#ifndef ACKLAB_ARENA_H
#define ACKLAB_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *blocks;   /* the newest first; NULL when empty */
};

/* A copy of s (len bytes, then a NUL) in a; NULL when out of memory. Valid until arena_free. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
/* The same for a NUL-terminated s. */
char *arena_strdup(struct arena *a, const char *s);
/*
 * The block being filled: its bytes at *base, *used of *size taken (all 0
 * when a is empty). For prefault_ahead (prefault.h), to have its pages
 * present before the strings reach them.
 */
void arena_tail(const struct arena *a, void **base, size_t *used, size_t *size);
/* Free every block; a is empty (and usable) again. */
void arena_free(struct arena *a);

#endif
