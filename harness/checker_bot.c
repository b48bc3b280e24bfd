/*
 * checker_bot: the checker's bot view (checker.h, chk_bot_view). A bot's
 * job is to process every event once: the Events API and Socket Mode
 * deliver at least once (so a bot without event_id dedup can process a
 * retried event twice), RTM at most once (so a bot that was away misses
 * events). Its record, read back after the run like the store, says what it
 * processed; each stored message (one event each) is then processed once
 * (ok), never (bot-lost) or twice (bot-dup). Only messages the send side
 * calls ok are looked at: a message that never made it to the store was
 * never an event, and a send-side bug stays the message's class. A
 * separate pass after classification, so the send-side checker is
 * untouched by it. The record is fed an entry at a time (checker_bot.h) and
 * looked at once every message is classified.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker_bot.h"
#include "strmap.h"
#include "token.h"
#include "util.h"

json_t *chk_bot_add_record(struct history *h, const char *line, int64_t t_read_ns)
{
	json_t *o = json_loads(line, 0, NULL);

	if (!json_is_object(o)) {
		json_decref(o);
		return history_add_line(h, "bot-store", line, t_read_ns);
	}
	if (!json_object_get(o, "ev"))
		json_object_set_new(o, "ev", json_string("processed"));
	return history_add(h, "bot-store", o, t_read_ns);
}

int chk_bot_feed(struct chk_bot *b, const struct history_fields *e)
{
	char *text;

	b->seen = true;           /* its start counts: a bot that processed nothing has a record too */
	if (!e->ev || strcmp(e->ev, "processed") != 0 || !e->text)
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char **v = realloc(b->texts, cap * sizeof *v);

		if (!v)
			return -1;
		b->texts = v;
		b->cap = cap;
	}
	if (!(text = strdup(e->text)))
		return -1;
	b->texts[b->n++] = text;
	return 0;
}

void chk_bot_free(struct chk_bot *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->texts[i]);
	free(b->texts);
	memset(b, 0, sizeof *b);
}

int chk_bot_view(const struct chk_bot *b, struct chk_result *r)
{
	struct strmap by_token;
	int *processed = NULL, rc = -1;

	if (!b->seen || r->nmsgs == 0)
		return 0;
	if (strmap_init(&by_token, (size_t)r->nmsgs) == -1)
		return -1;
	processed = calloc((size_t)r->nmsgs, sizeof *processed);
	if (!processed)
		goto done;
	for (int m = 0; m < r->nmsgs; m++)
		if (strmap_put(&by_token, r->msgs[m].token, m) == -1)
			goto done;
	for (size_t i = 0; i < b->n; i++) {
		char token[TOKEN_MAX];
		size_t pos = 0;

		while (token_next(b->texts[i], &pos, token, sizeof token)) {
			int m = strmap_get(&by_token, token);

			if (m >= 0) {
				processed[m]++;
				break;
			}
		}
	}
	for (int m = 0; m < r->nmsgs; m++) {
		struct chk_message *msg = &r->msgs[m];
		char why[256];

		if (msg->cls != CHK_OK || processed[m] == 1)
			continue;
		r->counts[CHK_OK]--;
		msg->cls = processed[m] == 0 ? CHK_BOT_LOST : CHK_BOT_DUP;
		r->counts[msg->cls]++;
		if (processed[m] == 0)
			snprintf(why, sizeof why, "stored once and shown Sent; the bot never processed it");
		else
			snprintf(why, sizeof why, "stored once and shown Sent; the bot processed it %d times",
				 processed[m]);
		msg->why = arena_strdup(&r->strings, why);
		if (!msg->why)
			goto done;
	}
	rc = 0;
done:
	free(processed);
	strmap_free(&by_token);
	return rc;
}
