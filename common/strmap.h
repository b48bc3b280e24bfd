/*
 * strmap: a map from strings to ints, for the places that look messages up
 * by id or by token once per history entry (the checker, the cell's settle
 * check), where a scan of every message would make the work quadratic.
 * Open addressing with linear probing, kept at most half full; the map
 * holds its own copies of the keys.
 */
#ifndef ACKLAB_STRMAP_H
#define ACKLAB_STRMAP_H

#include <stddef.h>

struct strmap {
	char **keys;                  /* owned; NULL = empty slot */
	int *vals;
	size_t mask;                  /* slots - 1 */
	size_t n;
};

/* An empty map. Returns 0, or -1 when out of memory. Free with strmap_free. */
int strmap_init(struct strmap *m);
/* Set key to val (a copy of key is kept). Returns 0, or -1 when out of memory. */
int strmap_put(struct strmap *m, const char *key, int val);
/* The value of key, or -1 when it is not there. */
int strmap_get(const struct strmap *m, const char *key);
void strmap_free(struct strmap *m);

#endif
