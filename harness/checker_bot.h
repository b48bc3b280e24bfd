/*
 * checker_bot: the checker's bot view, fed an entry at a time like the rest
 * of the checker (checker_feed.h): chk_feed() hands it the entries of the
 * role "bot-store" (the bot's record as the run read it back), and
 * chk_end() lets it reclassify the messages. Private to the checker's files.
 */
#ifndef ACKLAB_CHECKER_BOT_H
#define ACKLAB_CHECKER_BOT_H

#include <stdbool.h>
#include <stddef.h>

#include "checker.h"
#include "history_scan.h"

struct chk_bot {
	bool seen;                    /* the cell has a bot: its record was read back (maybe empty) */
	char **texts;                 /* each processed event's text, owned */
	size_t n, cap;
};

/* One entry of the role "bot-store". 0, or -1 when out of memory. */
int chk_bot_feed(struct chk_bot *b, const struct history_fields *e);
/*
 * Every message classified ok: bot-lost if the bot never processed it,
 * bot-dup if it did twice or more (r's counts follow). Nothing when the
 * cell had no bot. 0, or -1 when out of memory.
 */
int chk_bot_view(const struct chk_bot *b, struct chk_result *r);
void chk_bot_free(struct chk_bot *b);

#endif
