/*
 * trigger: when a fault fires. Pure matching, no I/O, so it is unit-tested
 * on canned events.
 *
 * Kinds: at a time offset from the start of the workload; when a role's
 * event matches (role, event name, and optionally the message it concerns,
 * found by its token in the event's "text"); when a packet crossing the
 * router carries a message's token (optionally only from or to a given
 * host, and optionally held at the router until the fault has fired); when
 * a role's process exits. Every kind
 * takes a count: fire on the Nth match (default 1). A trigger fires once.
 */
#ifndef ACKLAB_TRIGGER_H
#define ACKLAB_TRIGGER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum trigger_kind { TRIGGER_AT, TRIGGER_EVENT, TRIGGER_PACKET, TRIGGER_EXIT };

struct trigger {
	enum trigger_kind kind;
	int64_t at_ms;                /* TRIGGER_AT */
	char role[32];                /* TRIGGER_EVENT, TRIGGER_EXIT */
	char ev[32];                  /* TRIGGER_EVENT: the "ev" value, e.g. "persisted" */
	char msg_id[32];              /* TRIGGER_EVENT (optional), TRIGGER_PACKET: message id like "m3" */
	char token[96];               /* that message's token, filled in by the runner */
	char from[32], to[32];        /* TRIGGER_PACKET: only packets from / to this host ("": any) */
	bool hold;                    /* TRIGGER_PACKET: the router holds the packet (and the rest of
	                                 its flow) until the fault has fired, then lets it go */
	bool hold_drop;               /* ... and then drops what it held instead */
	int count;                    /* fire on the count-th match; >= 1 */
	int seen;                     /* matches so far */
	bool fired;
};

/* Does this event from role match? Counts it; returns true exactly when the trigger fires now. */
bool trigger_on_event(struct trigger *tr, const char *role, json_t *ev);
/*
 * A packet carried token from host from to host to (either NULL: not
 * known, which a trigger with that filter never matches). Same contract.
 */
bool trigger_on_packet(struct trigger *tr, const char *token, const char *from, const char *to);
/* Does this trigger need the router's queue (a hold, or a direction to tell)? */
bool trigger_needs_queue(const struct trigger *tr);
/* Time since workload start. Same contract. */
bool trigger_on_time(struct trigger *tr, int64_t elapsed_ms);
/* Role's process exited. Same contract. */
bool trigger_on_exit(struct trigger *tr, const char *role);

/* "the 2nd persisted event of server for m3", "the first packet carrying m3 through the router",
 * "the first packet carrying m3 from client to server (held until its fault fired)",
 * "500 ms after start", "server exiting". */
void trigger_describe(const struct trigger *tr, char *buf, size_t len);

#endif
