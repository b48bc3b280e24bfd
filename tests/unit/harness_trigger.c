/*
 * Unit tests for trigger.c: table-driven. Each case is a trigger, a sequence
 * of observations and the index of the observation on which it must fire
 * (or -1 for never), so counts, wrong roles, wrong events and other
 * messages are all checked the same way. Descriptions are compared exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../harness/trigger.h"

enum obs_kind { OBS_EVENT, OBS_PACKET, OBS_TIME, OBS_EXIT };

struct obs {
	enum obs_kind kind;
	const char *role;     /* OBS_EVENT, OBS_EXIT; OBS_PACKET: the host it came from (NULL: not known) */
	const char *json;     /* OBS_EVENT; OBS_PACKET: the host it went to (NULL: not known) */
	const char *token;    /* OBS_PACKET */
	int64_t ms;           /* OBS_TIME */
};

struct tcase {
	const char *name;
	struct trigger tr;
	struct obs obs[6];
	int nobs;
	int fires_at;         /* index into obs, or -1 */
};

#define TOK3 "acklab-5f2c-m3"
#define TOK4 "acklab-5f2c-m4"

static const struct tcase cases[] = {
	{ "event by id, first match",
	  { .kind = TRIGGER_EVENT, .role = "client", .ev = "sent", .msg_id = "m3", .token = TOK3, .count = 1 },
	  { { OBS_EVENT, "client", "{\"ev\":\"sending\",\"id\":\"m3\"}", 0, 0 },
	    { OBS_EVENT, "client", "{\"ev\":\"sent\",\"id\":\"m2\"}", 0, 0 },
	    { OBS_EVENT, "client", "{\"ev\":\"sent\",\"id\":\"m3\"}", 0, 0 },
	    { OBS_EVENT, "client", "{\"ev\":\"sent\",\"id\":\"m3\"}", 0, 0 } }, 4, 2 },
	{ "event by token in text, 2nd match",
	  { .kind = TRIGGER_EVENT, .role = "server", .ev = "persisted", .msg_id = "m3", .token = TOK3, .count = 2 },
	  { { OBS_EVENT, "server", "{\"ev\":\"persisted\",\"text\":\"m4: x (" TOK4 ")\"}", 0, 0 },
	    { OBS_EVENT, "server", "{\"ev\":\"persisted\",\"text\":\"m3: x (" TOK3 ")\"}", 0, 0 },
	    { OBS_EVENT, "client", "{\"ev\":\"persisted\",\"text\":\"m3: x (" TOK3 ")\"}", 0, 0 },
	    { OBS_EVENT, "server", "{\"ev\":\"fanout\",\"text\":\"m3: x (" TOK3 ")\"}", 0, 0 },
	    { OBS_EVENT, "server", "{\"ev\":\"persisted\",\"text\":\"m3: x (" TOK3 ")\"}", 0, 0 },
	    { OBS_EVENT, "server", "{\"ev\":\"persisted\",\"text\":\"m3: x (" TOK3 ")\"}", 0, 0 } }, 6, 4 },
	{ "event without a message matches any",
	  { .kind = TRIGGER_EVENT, .role = "server", .ev = "ready", .count = 0 },
	  { { OBS_EVENT, "client", "{\"ev\":\"ready\"}", 0, 0 },
	    { OBS_EVENT, "server", "{\"ev\":\"ready\"}", 0, 0 } }, 2, 1 },
	{ "event with empty token compares id only",
	  { .kind = TRIGGER_EVENT, .role = "server", .ev = "persisted", .msg_id = "m3", .count = 1 },
	  { { OBS_EVENT, "server", "{\"ev\":\"persisted\",\"text\":\"m3: x (" TOK3 ")\"}", 0, 0 },
	    { OBS_EVENT, "server", "{\"ev\":\"persisted\",\"id\":\"m3\"}", 0, 0 } }, 2, 1 },
	{ "event never matches wrong role or event",
	  { .kind = TRIGGER_EVENT, .role = "server", .ev = "persisted", .msg_id = "m3", .token = TOK3, .count = 1 },
	  { { OBS_EVENT, "recipient1", "{\"ev\":\"persisted\",\"id\":\"m3\"}", 0, 0 },
	    { OBS_EVENT, "server", "{\"ev\":\"recv\",\"id\":\"m3\"}", 0, 0 },
	    { OBS_EVENT, "server", "{\"id\":\"m3\"}", 0, 0 },
	    { OBS_EVENT, "server", "[1,2]", 0, 0 },
	    { OBS_PACKET, 0, 0, TOK3, 0 },
	    { OBS_EXIT, "server", 0, 0, 0 } }, 6, -1 },
	{ "packet, first",
	  { .kind = TRIGGER_PACKET, .msg_id = "m3", .token = TOK3, .count = 1 },
	  { { OBS_PACKET, 0, 0, TOK4, 0 },
	    { OBS_PACKET, 0, 0, TOK3, 0 },
	    { OBS_PACKET, 0, 0, TOK3, 0 } }, 3, 1 },
	{ "packet from a host: other directions and unknown ends do not count",
	  { .kind = TRIGGER_PACKET, .msg_id = "m3", .token = TOK3, .from = "client", .count = 1 },
	  { { OBS_PACKET, "server", "client", TOK3, 0 },
	    { OBS_PACKET, 0, "server", TOK3, 0 },
	    { OBS_PACKET, "client", "server", TOK4, 0 },
	    { OBS_PACKET, "client", "server", TOK3, 0 } }, 4, 3 },
	{ "packet from and to, 2nd",
	  { .kind = TRIGGER_PACKET, .msg_id = "m3", .token = TOK3, .from = "server", .to = "recipient2",
	    .hold = true, .count = 2 },
	  { { OBS_PACKET, "server", "recipient2", TOK3, 0 },
	    { OBS_PACKET, "server", "recipient1", TOK3, 0 },
	    { OBS_PACKET, "server", 0, TOK3, 0 },
	    { OBS_PACKET, "server", "recipient2", TOK3, 0 },
	    { OBS_PACKET, "server", "recipient2", TOK3, 0 } }, 5, 3 },
	{ "packet to a host, from anyone",
	  { .kind = TRIGGER_PACKET, .msg_id = "m3", .token = TOK3, .to = "server", .count = 1 },
	  { { OBS_PACKET, "server", "client", TOK3, 0 },
	    { OBS_PACKET, 0, "server", TOK3, 0 } }, 2, 1 },
	{ "packet, 3rd",
	  { .kind = TRIGGER_PACKET, .msg_id = "m3", .token = TOK3, .count = 3 },
	  { { OBS_PACKET, 0, 0, TOK3, 0 },
	    { OBS_PACKET, 0, 0, TOK4, 0 },
	    { OBS_PACKET, 0, 0, TOK3, 0 },
	    { OBS_EVENT, "server", "{\"ev\":\"persisted\",\"id\":\"m3\"}", 0, 0 },
	    { OBS_PACKET, 0, 0, TOK3, 0 },
	    { OBS_PACKET, 0, 0, TOK3, 0 } }, 6, 4 },
	{ "time",
	  { .kind = TRIGGER_AT, .at_ms = 500 },
	  { { OBS_TIME, 0, 0, 0, 0 },
	    { OBS_TIME, 0, 0, 0, 499 },
	    { OBS_TIME, 0, 0, 0, 501 },
	    { OBS_TIME, 0, 0, 0, 800 } }, 4, 2 },
	{ "exit, 2nd",
	  { .kind = TRIGGER_EXIT, .role = "server", .count = 2 },
	  { { OBS_EXIT, "server", 0, 0, 0 },
	    { OBS_EXIT, "client", 0, 0, 0 },
	    { OBS_EXIT, "server", 0, 0, 0 },
	    { OBS_EXIT, "server", 0, 0, 0 } }, 4, 2 },
};

static bool observe(struct trigger *tr, const struct obs *o)
{
	json_t *ev;
	bool fired;

	switch (o->kind) {
	case OBS_EVENT:
		ev = json_loads(o->json, 0, NULL);
		assert_non_null(ev);
		fired = trigger_on_event(tr, o->role, ev);
		json_decref(ev);
		return fired;
	case OBS_PACKET:
		return trigger_on_packet(tr, o->token, o->role, o->json);
	case OBS_TIME:
		return trigger_on_time(tr, o->ms);
	case OBS_EXIT:
		return trigger_on_exit(tr, o->role);
	}
	return false;
}

static void test_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct trigger tr = cases[c].tr;
		int fired_at = -1;

		for (int i = 0; i < cases[c].nobs; i++) {
			if (observe(&tr, &cases[c].obs[i])) {
				if (fired_at != -1)
					fail_msg("%s: fired twice (at %d and %d)", cases[c].name, fired_at, i);
				fired_at = i;
			}
		}
		if (fired_at != cases[c].fires_at)
			fail_msg("%s: fired at %d, expected %d", cases[c].name, fired_at, cases[c].fires_at);
		assert_int_equal(tr.fired, cases[c].fires_at >= 0);
	}
}

static void test_describe(void **state)
{
	struct {
		struct trigger tr;
		const char *want;
	} d[] = {
		{ { .kind = TRIGGER_EVENT, .role = "server", .ev = "persisted", .msg_id = "m3", .count = 2 },
		  "the 2nd persisted event of server for m3" },
		{ { .kind = TRIGGER_EVENT, .role = "client", .ev = "sent", .count = 1 },
		  "the first sent event of client" },
		{ { .kind = TRIGGER_EVENT, .role = "server", .ev = "recv", .msg_id = "m1", .count = 11 },
		  "the 11th recv event of server for m1" },
		{ { .kind = TRIGGER_EVENT, .role = "server", .ev = "recv", .msg_id = "m1", .count = 23 },
		  "the 23rd recv event of server for m1" },
		{ { .kind = TRIGGER_PACKET, .msg_id = "m3", .token = TOK3, .count = 1 },
		  "the first packet carrying m3 through the router" },
		{ { .kind = TRIGGER_PACKET, .msg_id = "m3", .from = "client", .to = "server", .hold = true,
		    .count = 1 },
		  "the first packet carrying m3 from client to server across the router (held until its "
		  "fault fired)" },
		{ { .kind = TRIGGER_PACKET, .msg_id = "m3", .to = "recipient1", .hold = true, .hold_drop = true,
		    .count = 2 },
		  "the 2nd packet carrying m3 to recipient1 across the router (held until its fault fired, "
		  "then dropped)" },
		{ { .kind = TRIGGER_AT, .at_ms = 500 }, "500 ms after start" },
		{ { .kind = TRIGGER_EXIT, .role = "server", .count = 1 }, "server exiting" },
		{ { .kind = TRIGGER_EXIT, .role = "server", .count = 2 }, "server exiting for the 2nd time" },
	};
	char buf[200];

	(void)state;
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		trigger_describe(&d[i].tr, buf, sizeof(buf));
		assert_string_equal(buf, d[i].want);
	}
	/* Truncation is safe. */
	trigger_describe(&d[0].tr, buf, 8);
	assert_string_equal(buf, "the 2nd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
