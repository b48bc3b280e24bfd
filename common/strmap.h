/*
 * strmap: a map from strings to ints, for the places that look messages up
 * by id or by token once per history entry (the checker, the cell's settle
 * check), where a scan of every message would make the work quadratic.
 * Open addressing with linear probing, kept at most half full. Each slot
 * keeps the key's hash, so a probe compares strings only when the hashes
 * agree; the map keeps its own copies of the keys, packed in large blocks.
 */
#ifndef ACKLAB_STRMAP_H
#define ACKLAB_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

struct strmap_slot {
	uint64_t hash;
	const char *key;              /* into blocks; NULL = empty slot */
	int val;
};

struct strmap {
	struct strmap_slot *slots;    /* one cache line holds a slot's hash, key and value */
	size_t mask;                  /* slots - 1 */
	size_t n;
	struct arena keys_copied;     /* where the key copies live */
};

/* An empty map with room for about expected keys before it grows. 0, or -1 when out of memory. */
int strmap_init(struct strmap *m, size_t expected);
/* Set key to val (a copy of key is kept). Returns 0, or -1 when out of memory. */
int strmap_put(struct strmap *m, const char *key, int val);
/* The value of key, or -1 when it is not there. */
int strmap_get(const struct strmap *m, const char *key);
/* The same for the len bytes at key (no NUL needed after them). */
int strmap_getn(const struct strmap *m, const char *key, size_t len);
void strmap_free(struct strmap *m);

#endif
