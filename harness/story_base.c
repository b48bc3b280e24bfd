/*
 * story_base: the small pieces the story's two halves share (story.c, which
 * says each history entry, and story_wire.c, which reads the packets and
 * the faults beside it): field access, times relative to the cell, which
 * affected message an entry concerns, appending a line. Below both, so
 * neither reaches into the other for them.
 */
#include "story_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"
#include "util.h"

const char *story_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

double story_t(const struct story_ctx *x, json_t *e)
{
	return (double)(json_integer_value(json_object_get(e, "t")) - x->t0) / 1e6;
}

void story_cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t l = strlen(buf);
	va_list ap;

	if (l + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + l, len - l, fmt, ap);
	va_end(ap);
}

int story_concerns(const struct story_ctx *x, json_t *e)
{
	const char *id = story_str(e, "id"), *token = story_str(e, "token"), *text = story_str(e, "text");
	const struct chk_result *r = x->r;

	for (int i = 0; i < r->nmsgs; i++) {
		if (!x->out->affected[i])
			continue;
		if ((id && strcmp(id, r->msgs[i].id) == 0) || (token && strcmp(token, r->msgs[i].token) == 0) ||
		    token_in_text(text, r->msgs[i].token))
			return i;
	}
	return -1;
}

const char *story_short_ts(const char *ts, char *buf, size_t len)
{
	size_t n = ts ? strlen(ts) : 0;

	if (!ts)
		snprintf(buf, len, "?");
	else if (n > 8)
		snprintf(buf, len, "…%s", ts + n - 6);
	else
		snprintf(buf, len, "%s", ts);
	return buf;
}

const char *story_lane_name(int lane, char *buf, size_t len)
{
	static const char *const names[] = { "screen", "client", "router", "server", "store" };

	if (lane >= 0 && lane < STORY_LANE_RECIPIENT)
		snprintf(buf, len, "%s", names[lane]);
	else
		snprintf(buf, len, "recipient%d", lane - STORY_LANE_RECIPIENT + 1);
	return buf;
}

int story_push(struct story *s, const struct story_line *l)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct story_line *v = realloc(s->lines, cap * sizeof *v);

		if (!v)
			return -1;
		s->lines = v;
		s->cap = cap;
	}
	s->lines[s->n++] = *l;
	return 0;
}
