/*
 * recipient: pairing receive scenarios with recipient stacks, and the
 * stack of a receive cell (recipient.h). Composing copies the commands'
 * template words, so the cell's stack owns everything it holds and is freed
 * with stack_free like one parsed from a file.
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

static int recipient_copy_cmd(struct stack_cmd *dst, const struct stack_cmd *src)
{
	dst->nwords = 0;
	dst->line = src->line;
	for (int i = 0; i < src->nwords; i++) {
		if (!(dst->words[i] = strdup(src->words[i])))
			return -1;
		dst->nwords++;
	}
	return 0;
}

int recipient_compose(const struct stack *sender, const struct stack *rcpt, struct stack **out, char *err,
		      size_t errlen)
{
	struct stack *s = calloc(1, sizeof *s);
	const struct stack *srv = rcpt->server.nwords ? rcpt : sender;

	*out = NULL;
	if (!s)
		return err_set(err, errlen, "%s: out of memory", rcpt->path);
	str_copy(s->path, rcpt->path, sizeof s->path);
	str_copy(s->name, rcpt->name, sizeof s->name);
	str_copy(s->describe, rcpt->describe, sizeof s->describe);
	s->is_default = rcpt->is_default;
	s->order = rcpt->order;
	s->recipient = true;
	s->kind_line = rcpt->kind_line;
	s->port = srv->port;
	s->ready_port = srv->ready_port;
	/* What the server can do is the server's; whether the listener catches up is the listener's. */
	s->offers = srv == rcpt ? rcpt->offers : (sender->offers & ~CAP_CATCHUP) | (rcpt->offers & CAP_CATCHUP);
	if (recipient_copy_cmd(&s->client, &sender->client) == -1 ||
	    recipient_copy_cmd(&s->listen, &rcpt->listen) == -1 ||
	    recipient_copy_cmd(&s->server, &srv->server) == -1 ||
	    recipient_copy_cmd(&s->store, &srv->store) == -1) {
		stack_free(s);
		return err_set(err, errlen, "%s: out of memory", rcpt->path);
	}
	*out = s;
	return 0;
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
