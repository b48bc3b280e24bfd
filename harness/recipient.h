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
 * The stack of a receive cell, made of two parsed stacks, which it takes:
 * rcpt becomes the result (its path, name, describe, order, default,
 * listener, timers for the listeners and expect lines stay), with the
 * sender's client and the sender's timers for the client; unless rcpt
 * gives a server of its own, also the sender's server, store, setup, port
 * and ready, and the sender's offers with "catchup" as rcpt says. sender
 * is freed. Cannot fail: commands move, nothing is copied.
 */
struct stack *recipient_compose(struct stack *sender, struct stack *rcpt);

/*
 * What only the stacks can tell about s: a receive scenario's sender is a
 * send stack that exists, and its expect lines name recipient stacks (a
 * send scenario's, send stacks). Errors as "x.scn:LINE:COL: ...". Returns
 * 0 or -1 with err.
 */
int recipient_check(const struct scenario *s, const struct stack_set *stacks, char *err, size_t errlen);

#endif
