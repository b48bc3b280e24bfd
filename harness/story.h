/*
 * story: the per-message timeline of one checked cell, the one place that
 * decides which history entries tell the story of the affected messages and
 * how each is said. Every reporter that shows a story reads it from here.
 */
#ifndef ACKLAB_STORY_H
#define ACKLAB_STORY_H

#include <stdbool.h>
#include <stddef.h>

#include "check.h"

struct story_line {
	double t_ms;                  /* since the cell's start */
	char role[32];                /* client, server, recipient1, acklab, ... */
	char what[640];               /* the sentence */
	int msg;                      /* index in chk.msgs of the message it concerns, or -1 */
};

struct story {
	bool *affected;               /* by message index: the messages the story follows; owned */
	struct story_line *lines;     /* owned */
	size_t n, cap;
	char (*store)[256];           /* by message index: what the store holds of it; owned */
	bool kept;                    /* false when the cell's history was not available */
};

/* Build the story of c (a checked cell). Returns 0, or -1 when out of memory. Free with story_free. */
int story_build(const struct cell_result *c, struct story *out);
void story_free(struct story *s);

#endif
