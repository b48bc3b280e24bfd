/*
 * fault_table: the rows in the order `acklab list` and `acklab doctor` show
 * them, and lookups by name with suggestions for typos; see fault_table.h.
 */
#include "fault_table.h"

#include <string.h>

#include "fault_disk.h"
#include "fault_lb.h"
#include "fault_net.h"
#include "fault_proc.h"
#include "fault_queue.h"
#include "util.h"

static const struct fault_ops *const fault_rows[] = {
	&fault_crash,
	&fault_pause,
	&fault_resume,
	&fault_restart,
	&fault_stop,
	&fault_drain,
	&fault_drop_replies,
	&fault_drop,
	&fault_blackhole,
	&fault_reset,
	&fault_evict_nat,
	&fault_partition,
	&fault_hold,
	&fault_delay,
	&fault_loss,
	&fault_duplicate,
	&fault_reorder,
	&fault_disk_full,
	&fault_disk_error,
	&fault_disk_slow,
	&fault_lose_unsynced,
	NULL,
};

#define FAULT_NROWS (ARRAY_LEN(fault_rows) - 1)

const struct fault_ops *const *fault_table(void)
{
	return fault_rows;
}

const struct fault_ops *fault_lookup(const char *name)
{
	for (size_t i = 0; i < FAULT_NROWS; i++)
		if (strcmp(fault_rows[i]->name, name) == 0)
			return fault_rows[i];
	return NULL;
}

const char *const *fault_names(void)
{
	static const char *names[FAULT_NROWS + 1];

	for (size_t i = 0; i < FAULT_NROWS; i++)
		names[i] = fault_rows[i]->name;
	names[FAULT_NROWS] = NULL;
	return names;
}

const char *fault_suggest(const char *name)
{
	const char *best = NULL;
	int best_d = (int)strlen(name) / 3 + 2;   /* how far a typo may wander */

	for (size_t i = 0; i < FAULT_NROWS; i++) {
		int d = edit_distance(name, fault_rows[i]->name);

		if (d < best_d) {
			best_d = d;
			best = fault_rows[i]->name;
		}
	}
	if (!best && strcmp(name, "heal") != 0)
		for (size_t i = 0; i < FAULT_NROWS; i++)
			if (strstr(fault_rows[i]->name, name) || strstr(name, fault_rows[i]->name))
				return fault_rows[i]->name;
	return best;
}
