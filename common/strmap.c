/*
 * strmap: string -> int (strmap.h). FNV-1a hashes; the table doubles when
 * half full. Key copies are packed into 64 KiB blocks so that a map of a
 * million keys is a few hundred allocations, not a million.
 */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

struct strmap_block {
	struct strmap_block *next;
	size_t used, size;
	char data[];
};

#define STRMAP_BLOCK (64 * 1024)

static uint64_t strmap_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int strmap_alloc(struct strmap *m, size_t slots)
{
	m->keys = calloc(slots, sizeof *m->keys);
	m->hashes = malloc(slots * sizeof *m->hashes);
	m->vals = malloc(slots * sizeof *m->vals);
	if (!m->keys || !m->hashes || !m->vals) {
		free(m->keys);
		free(m->hashes);
		free(m->vals);
		m->keys = NULL;
		m->hashes = NULL;
		m->vals = NULL;
		return -1;
	}
	m->mask = slots - 1;
	m->n = 0;
	return 0;
}

int strmap_init(struct strmap *m, size_t expected)
{
	size_t slots = 64;

	m->blocks = NULL;
	while (slots < expected * 2)
		slots *= 2;
	return strmap_alloc(m, slots);
}

static void strmap_place(struct strmap *m, const char *key, uint64_t h, int val)
{
	size_t i = (size_t)h & m->mask;

	while (m->keys[i])
		i = (i + 1) & m->mask;
	m->keys[i] = key;
	m->hashes[i] = h;
	m->vals[i] = val;
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
		if (old.keys[i])
			strmap_place(m, old.keys[i], old.hashes[i], old.vals[i]);
	free(old.keys);
	free(old.hashes);
	free(old.vals);
	return 0;
}

/* A copy of key in the blocks. */
static const char *strmap_copy(struct strmap *m, const char *key)
{
	size_t len = strlen(key) + 1;
	struct strmap_block *b = m->blocks;
	char *copy;

	if (!b || b->size - b->used < len) {
		size_t size = len > STRMAP_BLOCK ? len : STRMAP_BLOCK;

		if (!(b = malloc(sizeof *b + size)))
			return NULL;
		b->next = m->blocks;
		b->used = 0;
		b->size = size;
		m->blocks = b;
	}
	copy = b->data + b->used;
	memcpy(copy, key, len);
	b->used += len;
	return copy;
}

/* Set (replace) or add (keep): one probe either way. */
static int strmap_set(struct strmap *m, const char *key, int val, int replace)
{
	uint64_t h = strmap_hash(key);
	const char *copy;

	for (size_t i = (size_t)h & m->mask; m->keys[i]; i = (i + 1) & m->mask)
		if (m->hashes[i] == h && strcmp(m->keys[i], key) == 0) {
			if (replace)
				m->vals[i] = val;
			return 1;
		}
	if ((m->n + 1) * 2 > m->mask + 1 && strmap_double(m) == -1)
		return -1;
	if (!(copy = strmap_copy(m, key)))
		return -1;
	strmap_place(m, copy, h, val);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, int val)
{
	return strmap_set(m, key, val, 1) == -1 ? -1 : 0;
}

int strmap_add(struct strmap *m, const char *key, int val)
{
	return strmap_set(m, key, val, 0);
}

int strmap_get(const struct strmap *m, const char *key)
{
	uint64_t h;

	if (!m->keys)
		return -1;
	h = strmap_hash(key);
	for (size_t i = (size_t)h & m->mask; m->keys[i]; i = (i + 1) & m->mask)
		if (m->hashes[i] == h && strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	return -1;
}

void strmap_free(struct strmap *m)
{
	while (m->blocks) {
		struct strmap_block *next = m->blocks->next;

		free(m->blocks);
		m->blocks = next;
	}
	free(m->keys);
	free(m->hashes);
	free(m->vals);
	m->keys = NULL;
	m->hashes = NULL;
	m->vals = NULL;
	m->n = 0;
}
