/*
 * capability: the names of the capability bits, and their formatting. The
 * table order is the order in which they are printed.
 */
#include "capability.h"

#include <string.h>

#include "util.h"

static const struct {
	unsigned bit;
	const char *word;
} cap_table[] = {
	{ CAP_FAILPOINTS, "failpoints" },
	{ CAP_EVENTS, "events" },
	{ CAP_RESTART, "restart" },
	{ CAP_TIMERS, "timers" },
	{ CAP_CATCHUP, "catchup" },
	{ CAP_STORAGE, "storage" },
	{ CAP_REPLICAS, "replicas" },
	{ CAP_BOT, "bot" },
	{ CAP_BOT_FAILPOINTS, "bot-failpoints" },
	{ CAP_BOT_HTTP, "bot-http" },
	{ CAP_BOT_WS, "bot-websocket" },
};

const char *cap_name(unsigned cap)
{
	for (size_t i = 0; i < ARRAY_LEN(cap_table); i++)
		if (cap_table[i].bit == cap)
			return cap_table[i].word;
	return NULL;
}

unsigned cap_lookup(const char *word)
{
	for (size_t i = 0; i < ARRAY_LEN(cap_table); i++)
		if (strcmp(cap_table[i].word, word) == 0)
			return cap_table[i].bit;
	return 0;
}

const char *cap_suggest(const char *word)
{
	const char *best = NULL;
	int best_d = 3;

	for (size_t i = 0; i < ARRAY_LEN(cap_table); i++) {
		int d = edit_distance(word, cap_table[i].word);

		if (d < best_d) {
			best_d = d;
			best = cap_table[i].word;
		}
	}
	return best;
}

void cap_format(unsigned set, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(cap_table); i++) {
		if (!(set & cap_table[i].bit))
			continue;
		if (used && used + 2 < len)
			used += str_copy(buf + used, ", ", len - used);
		if (used < len)
			used += str_copy(buf + used, cap_table[i].word, len - used);
	}
	if (!set)
		str_copy(buf, "none", len);
}
