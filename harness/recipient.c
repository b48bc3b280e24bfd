/*
 * recipient: pairing receive scenarios with recipient stacks, and the
 * stack of a receive cell (recipient.h). Composing moves the commands'
 * template words from the two parsed stacks into one, so the cell's stack
 * owns everything it holds (the recipient stack's expect lines included)
 * and is freed with stack_free like one parsed from a file.
 */
#include "recipient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capability.h"
#include "util.h"

bool recipient_pairs(const struct scenario *s, const struct stack *st)
{
	return (s->sender[0] != '\0') == st->recipient;
}

/* Move src's words into dst, which holds none; src is left empty. */
static void recipient_move_cmd(struct stack_cmd *dst, struct stack_cmd *src)
{
	*dst = *src;
	memset(src, 0, sizeof *src);
}

struct stack *recipient_compose(struct stack *sender, struct stack *rcpt)
{
	bool own = rcpt->server.nwords > 0;
	struct stack_timer timers[STACK_MAX_TIMERS];
	int n = 0;

	/* What the server can do is the server's; whether the listener catches up is the listener's. */
	if (!own)
		rcpt->offers = (sender->offers & ~CAP_CATCHUP) | (rcpt->offers & CAP_CATCHUP);
	recipient_move_cmd(&rcpt->client, &sender->client);
	if (!own) {
		recipient_move_cmd(&rcpt->server, &sender->server);
		recipient_move_cmd(&rcpt->store, &sender->store);
		if (!rcpt->setup.nwords) {
			recipient_move_cmd(&rcpt->setup, &sender->setup);
			rcpt->setup_timeout_ms = sender->setup_timeout_ms;
		}
		rcpt->port = sender->port;
		rcpt->ready_port = sender->ready_port;
	}
	/* The sender's timers for the client, the recipient stack's for the listeners. */
	for (int i = 0; i < sender->ntimers && n < STACK_MAX_TIMERS; i++)
		if (sender->timers[i].client) {
			timers[n] = sender->timers[i];
			timers[n++].listen = false;
		}
	for (int i = 0; i < rcpt->ntimers && n < STACK_MAX_TIMERS; i++)
		if (rcpt->timers[i].listen) {
			timers[n] = rcpt->timers[i];
			timers[n++].client = false;
		}
	memcpy(rcpt->timers, timers, (size_t)n * sizeof *timers);
	rcpt->ntimers = n;
	stack_free(sender);
	return rcpt;
}

static const struct stack *recipient_find(const struct stack_set *set, const char *name)
{
	for (int i = 0; i < set->n; i++)
		if (strcmp(set->stacks[i].name, name) == 0)
			return &set->stacks[i];
	return NULL;
}

int recipient_check(const struct scenario *s, const struct stack_set *stacks, char *err, size_t errlen)
{
	bool receive = s->sender[0] != '\0';

	if (receive) {
		const struct stack *st = recipient_find(stacks, s->sender);

		if (!st || st->recipient)
			return err_set(err, errlen, "%s:%d:%d: %s '%s' (a receive scenario's sender is a send "
				       "stack: see `acklab list`)", s->path, s->sender_pos.line, s->sender_pos.col,
				       st ? "sender is a recipient stack," : "unknown stack", s->sender);
	}
	for (int k = 0; k < s->nexpects; k++) {
		const struct scn_expect *e = &s->expects[k];
		const struct stack *st = recipient_find(stacks, e->stack);

		if (st && st->recipient != receive)
			return err_set(err, errlen, "%s:%d:%d: '%s' is a %s stack, and this is a %s scenario (%s)",
				       s->path, e->pos.line, e->pos.col + 7, e->stack,
				       st->recipient ? "recipient" : "send", receive ? "receive" : "send",
				       receive ? "its columns are recipient stacks; the sender is named by 'sender'" :
						 "recipient stacks are the columns of scenarios that say 'sender STACK'");
	}
	return 0;
}
