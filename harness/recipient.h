/*
 * recipient: the receive side of the matrix. The article's other lesson is
 * that a WebSocket push is a hint and the history is the truth, and what
 * varies there is the recipient, not the sender. So a receive-side
 * scenario ("sender http", scenario.h) is run against one fixed send stack
 * (its sender) and each recipient stack ("kind recipient", stack.h): the
 * columns of the receive-side matrix are listeners (listen-ws-only,
 * listen-catchup, listen-stale-cursor, or a vendor's own), its rows the
 * receive scenarios, and the send-side matrix keeps its own rows and
 * columns.
 *
 * A receive cell is one stack, composed here from the two files: the
 * sender's client (and server, store, port and ready, unless the recipient
 * stack brings its own), the recipient's listen command; it carries the
 * recipient's name, order and default, so the cell's folder, its column
 * and its expect line are the recipient's. Everything downstream (plan,
 * run, check, reports) sees an ordinary stack; the plan keeps both files'
 * text, so a receive cell is re-run and re-checked like any other.
 */
#ifndef ACKLAB_RECIPIENT_H
#define ACKLAB_RECIPIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"
#include "stack.h"

/* Can st be a column of s: a recipient stack for a receive scenario, a send stack for the others. */
bool recipient_pairs(const struct scenario *s, const struct stack *st);

/*
 * The stack of a receive cell: sender's client, rcpt's listen, the server,
 * store, port and ready of rcpt when it gives a server, else the sender's;
 * rcpt's path, name, describe, order and default. Offers: rcpt's when it
 * gives a server, else the sender's with "catchup" as rcpt says. Returns 0
 * with *out owned by the caller (stack_free), or -1 with err.
 */
int recipient_compose(const struct stack *sender, const struct stack *rcpt, struct stack **out, char *err,
		      size_t errlen);

/*
 * What only the stacks can tell about s: a receive scenario's sender is a
 * send stack that exists, and its expect lines name recipient stacks (a
 * send scenario's, send stacks). Errors as "x.scn:LINE:COL: ...". Returns
 * 0 or -1 with err.
 */
int recipient_check(const struct scenario *s, const struct stack_set *stacks, char *err, size_t errlen);

#endif
