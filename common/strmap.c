/*
 * strmap: string -> int (strmap.h). FNV-1a hashes; the table doubles when
 * half full, so a lookup is a probe or two.
 */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

static size_t strmap_hash(const char *s)
{
	size_t h = (size_t)1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
	return h;
}

static int strmap_alloc(struct strmap *m, size_t slots)
{
	m->keys = calloc(slots, sizeof *m->keys);
	m->vals = calloc(slots, sizeof *m->vals);
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		m->keys = NULL;
		m->vals = NULL;
		return -1;
	}
	m->mask = slots - 1;
	m->n = 0;
	return 0;
}

int strmap_init(struct strmap *m)
{
	return strmap_alloc(m, 64);
}

/* Put an owned key in a slot of a table known to have room. */
static void strmap_place(struct strmap *m, char *key, int val)
{
	size_t i = strmap_hash(key) & m->mask;

	while (m->keys[i])
		i = (i + 1) & m->mask;
	m->keys[i] = key;
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
			strmap_place(m, old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, int val)
{
	char *copy;

	for (size_t i = strmap_hash(key) & m->mask; m->keys[i]; i = (i + 1) & m->mask)
		if (strcmp(m->keys[i], key) == 0) {
			m->vals[i] = val;
			return 0;
		}
	if ((m->n + 1) * 2 > m->mask + 1 && strmap_double(m) == -1)
		return -1;
	if (!(copy = strdup(key)))
		return -1;
	strmap_place(m, copy, val);
	return 0;
}

int strmap_get(const struct strmap *m, const char *key)
{
	if (!m->keys)
		return -1;
	for (size_t i = strmap_hash(key) & m->mask; m->keys[i]; i = (i + 1) & m->mask)
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	return -1;
}

void strmap_free(struct strmap *m)
{
	if (m->keys)
		for (size_t i = 0; i <= m->mask; i++)
			free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->n = 0;
}
