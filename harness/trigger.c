/*
 * trigger: deciding when a fault fires, from the stream of things the runner
 * sees (role events, packets carrying a token, the clock, process exits).
 *
 * A packet trigger may name the hosts a packet goes from and to; the caller
 * says where each packet went (the router's queue knows, with the hosts' own
 * addresses on both sides of the NAT), and a packet whose end is not known
 * never matches a trigger that asks for one.
 *
 * Everything here is pure: a trigger is a small struct the runner fills from
 * the scenario, and each trigger_on_*() call counts one observation and says
 * whether this is the moment. A trigger fires once, on its count-th match
 * (count < 1 is taken as 1), and never again. An event concerns a message
 * when its "id" is the message's id (client events) or its "text" carries the
 * message's token (server events, which only know the text); with no token
 * filled in, only "id" is compared. No I/O, so the table-driven unit test
 * covers every kind on canned events.
 */
#include "trigger.h"
#include "token.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

/* Count one match; true exactly on the count-th one. */
static bool trigger_count(struct trigger *tr)
{
	int want = tr->count < 1 ? 1 : tr->count;

	if (tr->fired)
		return false;
	tr->seen++;
	if (tr->seen < want)
		return false;
	tr->fired = true;
	return true;
}

static bool trigger_event_concerns(const struct trigger *tr, json_t *ev)
{
	const char *id, *text;

	if (!tr->msg_id[0])
		return true;
	id = json_string_value(json_object_get(ev, "id"));
	if (id && strcmp(id, tr->msg_id) == 0)
		return true;
	if (!tr->token[0])
		return false;
	text = json_string_value(json_object_get(ev, "text"));
	return token_in_text(text, tr->token);
}

bool trigger_on_event(struct trigger *tr, const char *role, json_t *ev)
{
	const char *name;

	if (tr->kind != TRIGGER_EVENT || tr->fired || !role || !json_is_object(ev))
		return false;
	if (strcmp(role, tr->role) != 0)
		return false;
	name = json_string_value(json_object_get(ev, "ev"));
	if (!name || strcmp(name, tr->ev) != 0)
		return false;
	if (!trigger_event_concerns(tr, ev))
		return false;
	return trigger_count(tr);
}

/* Does a packet's end (host, NULL when not known) pass the trigger's filter want ("" = any)? */
static bool trigger_end_matches(const char *want, const char *host)
{
	return !want[0] || (host && strcmp(want, host) == 0);
}

bool trigger_on_packet(struct trigger *tr, const char *token, const char *from, const char *to)
{
	if (tr->kind != TRIGGER_PACKET || tr->fired || !token || !tr->token[0])
		return false;
	if (strcmp(token, tr->token) != 0)
		return false;
	if (!trigger_end_matches(tr->from, from) || !trigger_end_matches(tr->to, to))
		return false;
	return trigger_count(tr);
}

bool trigger_needs_queue(const struct trigger *tr)
{
	return tr->kind == TRIGGER_PACKET && (tr->hold || tr->from[0] || tr->to[0]);
}

bool trigger_on_time(struct trigger *tr, int64_t elapsed_ms)
{
	if (tr->kind != TRIGGER_AT || tr->fired)
		return false;
	if (elapsed_ms < tr->at_ms)
		return false;
	/* Time only moves forward: the first tick past at_ms is the moment. */
	tr->seen++;
	tr->fired = true;
	return true;
}

bool trigger_on_exit(struct trigger *tr, const char *role)
{
	if (tr->kind != TRIGGER_EXIT || tr->fired || !role)
		return false;
	if (strcmp(role, tr->role) != 0)
		return false;
	return trigger_count(tr);
}

/* "first", "2nd", "3rd", "11th", "21st", ... */
static const char *trigger_ordinal(int n, char *buf, size_t len)
{
	const char *suffix = "th";

	if (n <= 1)
		return "first";
	if (n % 100 < 11 || n % 100 > 13) {
		if (n % 10 == 1)
			suffix = "st";
		else if (n % 10 == 2)
			suffix = "nd";
		else if (n % 10 == 3)
			suffix = "rd";
	}
	snprintf(buf, len, "%d%s", n, suffix);
	return buf;
}

void trigger_describe(const struct trigger *tr, char *buf, size_t len)
{
	char ord[16];
	const char *nth = trigger_ordinal(tr->count, ord, sizeof(ord));

	if (!buf || !len)
		return;
	switch (tr->kind) {
	case TRIGGER_AT:
		snprintf(buf, len, "%lld ms after start", (long long)tr->at_ms);
		break;
	case TRIGGER_EVENT:
		snprintf(buf, len, "the %s %s event of %s%s%s", nth, tr->ev, tr->role,
			 tr->msg_id[0] ? " for " : "", tr->msg_id);
		break;
	case TRIGGER_PACKET:
		snprintf(buf, len, "the %s packet carrying %s%s%s%s%s %s%s", nth,
			 tr->msg_id[0] ? tr->msg_id : tr->token, tr->from[0] ? " from " : "", tr->from,
			 tr->to[0] ? " to " : "", tr->to,
			 tr->from[0] || tr->to[0] ? "across the router" : "through the router",
			 !tr->hold ? "" : tr->hold_drop ? " (held until its fault fired, then dropped)"
							: " (held until its fault fired)");
		break;
	case TRIGGER_EXIT:
		if (tr->count <= 1)
			snprintf(buf, len, "%s exiting", tr->role);
		else
			snprintf(buf, len, "%s exiting for the %s time", tr->role, nth);
		break;
	default:
		snprintf(buf, len, "unknown trigger kind %d", (int)tr->kind);
		break;
	}
}
