/*
 * strmap: string -> int (strmap.h). FNV-1a hashes; the table doubles when
 * half full. Key copies are packed into an arena (arena.h), so a map of a
 * million keys is a few hundred allocations, not a million.
 */
#include "strmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static uint64_t strmap_hashn(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *end = s + len; s < end; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static uint64_t strmap_hash(const char *s)
{
	return strmap_hashn(s, strlen(s));
}

static int strmap_alloc(struct strmap *m, size_t slots)
{
	m->slots = calloc(slots, sizeof *m->slots);
	if (!m->slots)
		return -1;
	mem_hugepages(m->slots, slots * sizeof *m->slots);
	m->mask = slots - 1;
	m->n = 0;
	return 0;
}

int strmap_init(struct strmap *m, size_t expected)
{
	size_t slots = 64;

	m->keys_copied.blocks = NULL;
	while (slots < expected * 2)
		slots *= 2;
	return strmap_alloc(m, slots);
}

static void strmap_place(struct strmap *m, const char *key, uint64_t h, int val)
{
	size_t i = (size_t)h & m->mask;

	while (m->slots[i].key)
		i = (i + 1) & m->mask;
	m->slots[i] = (struct strmap_slot){ h, key, val };
	m->n++;
}

static int strmap_double(struct strmap *m)
{
	struct strmap old = *m;

	if (strmap_alloc(m, (old.mask + 1) * 2) == -1) {
		*m = old;
		return -1;
	}
	for (size_t i = 0; i <= old.mask; i++)
		if (old.slots[i].key)
			strmap_place(m, old.slots[i].key, old.slots[i].hash, old.slots[i].val);
	free(old.slots);
	return 0;
}

/* Set key to val: 1 when it was there, 0 when added, -1 out of memory. */
static int strmap_set(struct strmap *m, const char *key, int val)
{
	uint64_t h = strmap_hash(key);
	const char *copy;

	for (size_t i = (size_t)h & m->mask; m->slots[i].key; i = (i + 1) & m->mask)
		if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0) {
			m->slots[i].val = val;
			return 1;
		}
	if ((m->n + 1) * 2 > m->mask + 1 && strmap_double(m) == -1)
		return -1;
	if (!(copy = arena_strdup(&m->keys_copied, key)))
		return -1;
	strmap_place(m, copy, h, val);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, int val)
{
	return strmap_set(m, key, val) == -1 ? -1 : 0;
}

int strmap_getn(const struct strmap *m, const char *key, size_t len)
{
	uint64_t h;

	if (!m->slots)
		return -1;
	h = strmap_hashn(key, len);
	for (size_t i = (size_t)h & m->mask; m->slots[i].key; i = (i + 1) & m->mask)
		if (m->slots[i].hash == h && strncmp(m->slots[i].key, key, len) == 0 && !m->slots[i].key[len])
			return m->slots[i].val;
	return -1;
}

int strmap_get(const struct strmap *m, const char *key)
{
	return strmap_getn(m, key, strlen(key));
}

void strmap_free(struct strmap *m)
{
	arena_free(&m->keys_copied);
	free(m->slots);
	m->slots = NULL;
	m->n = 0;
}
