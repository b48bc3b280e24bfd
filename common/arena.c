/*
 * arena: chained blocks (arena.h), the first 64 KiB, each next one twice
 * the one before up to 8 MiB (larger for a larger string): a small arena
 * stays small, and a big one is a few dozen blocks the kernel can back
 * with huge pages (mem_hugepages in util.h).
 */
#include "arena.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK (64 * 1024)
#define ARENA_BLOCK_MAX (8 * 1024 * 1024)

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	char data[];
};

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	struct arena_block *b = a->blocks;
	char *copy;

	if (!b || b->size - b->used < len + 1) {
		size_t size = !b ? ARENA_BLOCK : b->size >= ARENA_BLOCK_MAX / 2 ? ARENA_BLOCK_MAX : b->size * 2;

		if (size < len + 1)
			size = len + 1;
		if (!(b = malloc(sizeof *b + size)))
			return NULL;
		mem_hugepages(b, sizeof *b + size);
		b->next = a->blocks;
		b->used = 0;
		b->size = size;
		a->blocks = b;
	}
	copy = b->data + b->used;
	memcpy(copy, s, len);
	copy[len] = '\0';
	b->used += len + 1;
	return copy;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void arena_tail(const struct arena *a, void **base, size_t *used, size_t *size)
{
	const struct arena_block *b = a->blocks;

	*base = b ? (void *)b->data : NULL;
	*used = b ? b->used : 0;
	*size = b ? b->size : 0;
}

void arena_free(struct arena *a)
{
	while (a->blocks) {
		struct arena_block *next = a->blocks->next;

		free(a->blocks);
		a->blocks = next;
	}
}
