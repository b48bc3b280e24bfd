/*
 * cell_bot: a cell's bot role and the read-back of what it processed
 * (cell_bot.c). Part of the runner, below runner.c and beside cell_roles.c.
 */
#ifndef ACKLAB_CELL_BOT_H
#define ACKLAB_CELL_BOT_H

#include <stdbool.h>

struct cell;

/* The role that reads the bot's record back, and the cell file that keeps it. */
#define CELL_BOT_STORE "bot-store"
#define CELL_BOT_RECORD "bot.jsonl"

/* Does this cell run a bot (the scenario says bot, the stack has one)? */
bool cell_has_bot(const struct cell *c);
/*
 * Stop the bot, run the stack's bot-store command in the bot's host and keep
 * its output as bot.jsonl. 0 (also when the cell has no bot), or -1 (the
 * cell failed).
 */
int cell_read_bot(struct cell *c);

#endif
