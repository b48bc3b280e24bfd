/*
 * capability: what a stack offers to scenarios, and what a scenario needs.
 *
 * A stack built from a system acklab did not write offers little: it listens,
 * it answers, it can be killed. The reference system offers more: named
 * failpoints inside the server, event lines ("persisted m3"), a restart with
 * the same store, client timers taken from the scenario, and recipients that
 * catch up through history after a reconnect. "storage" is not declared but
 * follows from the server's command: one that names {dir} keeps its data
 * there, where acklab's filesystem can break it. A scenario that uses one of
 * these on a stack that lacks it cannot observe what it means to, so the
 * cell is "n/a" (never a silent "clean"). Capabilities are a bit set so a
 * requirement check is one AND.
 */
#ifndef ACKLAB_CAPABILITY_H
#define ACKLAB_CAPABILITY_H

#include <stddef.h>

enum capability {
	CAP_FAILPOINTS = 1u << 0,     /* the server takes {failpoints} and honours them */
	CAP_EVENTS     = 1u << 1,     /* the server prints event lines (persisted, fanout, ...) */
	CAP_RESTART    = 1u << 2,     /* the server can be started again on the same store */
	CAP_TIMERS     = 1u << 3,     /* the client takes the scenario's timers ({timeout-ms}, ...) */
	CAP_CATCHUP    = 1u << 4,     /* recipients catch up through history after a reconnect */
	CAP_STORAGE    = 1u << 5,     /* the server keeps its data under {dir} (storage faults reach it) */
	CAP_REPLICAS   = 1u << 6,     /* several server instances can share one store ({instance}) */
	CAP_BOT        = 1u << 7,     /* a bot role, and a bot-store command that reads its record back */
	CAP_BOT_FAILPOINTS = 1u << 8, /* the bot takes {failpoints} (process=crash@N) */
	CAP_BOT_HTTP   = 1u << 9,     /* the server delivers to the bot by HTTP POSTs it retries (Events API) */
	CAP_BOT_WS     = 1u << 10,    /* the bot holds a WebSocket to the server (RTM, Socket Mode) */
};
#define CAP_ALL (CAP_FAILPOINTS | CAP_EVENTS | CAP_RESTART | CAP_TIMERS | CAP_CATCHUP | CAP_STORAGE | \
		 CAP_REPLICAS | CAP_BOT | CAP_BOT_FAILPOINTS | CAP_BOT_HTTP | CAP_BOT_WS)

/* The word for one capability bit ("failpoints"), or NULL for anything else. */
const char *cap_name(unsigned cap);
/* The bit named word, or 0 when unknown. */
unsigned cap_lookup(const char *word);
/* The closest known word to a misspelt one, or NULL. */
const char *cap_suggest(const char *word);
/* "failpoints, events": the bits of set as words joined by ", " ("none" for 0). */
void cap_format(unsigned set, char *buf, size_t len);

#endif
