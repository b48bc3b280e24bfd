/*
 * cell_await: the awaits that ask nothing of the server, so a scenario for
 * a server acklab did not write (no event lines) can still wait for the
 * moment it needs.
 *
 *   await store has MSG    the stack's own store command (the one that reads
 *                          the store back at the end) is run from the client
 *                          host, again and again, until its output holds
 *                          MSG's token. It runs as the role "store-poll":
 *                          its output goes to its own log and never into the
 *                          history, so the store the checker reads is only
 *                          the read-back at the end.
 *   await packet MSG at HOST   a packet carrying MSG has left the router
 *                          toward HOST (the capture's outgoing copy on the
 *                          router's interface to HOST).
 *
 * Both turn the cell's loop while they wait, so faults, rules and the queue
 * go on; a poll's pacing is a turn of the loop too, never a bare sleep.
 */
#include <stdio.h>
#include <string.h>

#include "cell.h"
#include "util.h"

/* Between two runs of the store command: the loop turns meanwhile. */
#define CELL_STORE_POLL_MS 20
/* The longest one run of the store command may take before it is stopped. */
#define CELL_STORE_RUN_MS 2000

/* The channel msg was sent to (the scenario's unless its send step names one). */
static const char *cell_msg_channel(struct cell *c, const char *msg)
{
	for (int i = 0; i < c->s->nsteps; i++) {
		const struct scn_step *st = &c->s->steps[i];

		if (st->kind == SCN_SEND && strcmp(st->msg_id, msg) == 0 && st->channel[0])
			return st->channel;
	}
	return c->s->channel;
}

/* One run of the store command, to its end (or until deadline). 0, or -1 when it could not start. */
static int cell_store_poll_once(struct cell *c, struct role *r, const char *channel, int64_t deadline)
{
	int64_t until = mono_ns() + (int64_t)CELL_STORE_RUN_MS * 1000000;
	char err[512];
	int rc;

	if (deadline < until)
		until = deadline;
	c->channel_override = channel;
	rc = cell_start_role(c, r, true, err, sizeof err);
	c->channel_override = NULL;
	if (rc == -1) {
		cell_fail(c, "stack %s: store (await store has): %s", c->st->name, err);
		return -1;
	}
	/* To its exit, turning the loop: stopping it at once would block the loop (and the queue). */
	while (!r->exited_recorded && mono_ns() < until && !c->failed && !(c->o->stop && *c->o->stop))
		cell_turn(c, (int)((until - mono_ns() + 999999) / 1000000));
	if (!r->exited_recorded) {
		proc_stop(r->proc, 200);
		cell_turn(c, 0);
	}
	return 0;
}

int cell_await_store(struct cell *c, const char *msg, int ms)
{
	int64_t start = mono_ns(), deadline = start + (int64_t)ms * 1000000;
	struct role *r = cell_role(c, CELL_STORE_POLL);
	int polls = 0;

	if (!r && c->nroles < RUNNER_MAX_ROLES)
		r = cell_add_role(c, CELL_STORE_POLL, "client", &c->st->store);
	if (!r) {
		cell_fail(c, "too many roles in one cell");
		return -1;
	}
	c->store_poll_token = cell_token(c, msg);
	c->store_poll_found = false;
	while (!c->failed && !(c->o->stop && *c->o->stop) && mono_ns() < deadline) {
		if (cell_store_poll_once(c, r, cell_msg_channel(c, msg), deadline) == -1)
			break;
		polls++;
		if (c->store_poll_found) {
			history_add(c->hist, "acklab", json_pack("{s:s, s:s, s:i, s:f}", "ev", "store-has",
								 "id", msg, "polls", polls, "after_ms",
								 ms_since(start)), mono_ns());
			c->store_poll_token = NULL;
			return 0;
		}
		cell_idle(c, CELL_STORE_POLL_MS);
	}
	c->store_poll_token = NULL;
	return -1;
}

/* Has a packet carrying msg left the router toward host, in arrivals [*from, nlog)? */
static bool cell_packet_seen(struct cell *c, size_t *from, const char *msg, const char *host)
{
	for (size_t i = *from; i < c->nlog; i++) {
		json_t *e = c->log[i].ev;
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *to = json_string_value(json_object_get(e, "to"));

		if (strcmp(c->log[i].role, "router") == 0 && id && to && strcmp(id, msg) == 0 &&
		    strcmp(to, host) == 0)
			return true;
	}
	*from = c->nlog;
	return false;
}

int cell_await_packet(struct cell *c, const char *msg, const char *host, int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;
	size_t from = 0;              /* an await naming a message looks at the whole run */

	while (!c->failed && !(c->o->stop && *c->o->stop)) {
		if (cell_packet_seen(c, &from, msg, host))
			return 0;
		if (mono_ns() >= deadline)
			return -1;
		cell_turn(c, (int)((deadline - mono_ns() + 999999) / 1000000));
	}
	return -1;
}
