/*
 * chatc_shown: the recipient's display rule. By default every push frame is
 * displayed, a second push of one ts included (a server that pushes twice
 * must be seen doing it); a catch-up row whose ts was displayed, and a push
 * whose ts a catch-up displayed, are dropped (a correct client matches its
 * two sources on ts). With the "all" policy one ts is displayed once, as a
 * UI keyed by ts would. Many distinct ts survive the table growing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "../../fixtures/chatc/shown.h"

static void test_every_push_is_displayed(void **state)
{
	struct shown s;

	shown_init(&s, SHOWN_EVERY_PUSH);
	assert_int_equal(shown_admit(&s, "1700000000.000001", SHOWN_PUSH), 1);
	assert_int_equal(shown_admit(&s, "1700000000.000001", SHOWN_PUSH), 1);
	assert_int_equal(shown_admit(&s, "1700000000.000001", SHOWN_PUSH), 1);
	assert_int_equal(shown_admit(&s, "1700000000.000002", SHOWN_PUSH), 1);
	shown_free(&s);
}

static void test_catchup_of_a_pushed_ts_is_dropped(void **state)
{
	struct shown s;

	shown_init(&s, SHOWN_EVERY_PUSH);
	assert_int_equal(shown_admit(&s, "1700000000.000001", SHOWN_PUSH), 1);
	assert_int_equal(shown_admit(&s, "1700000000.000001", SHOWN_CATCHUP), 0);
	assert_int_equal(shown_admit(&s, "1700000000.000002", SHOWN_CATCHUP), 1);
	/* a catch-up that reads a row twice (overlapping pages) shows it once */
	assert_int_equal(shown_admit(&s, "1700000000.000002", SHOWN_CATCHUP), 0);
	/* the push queued behind the catch-up that already showed it */
	assert_int_equal(shown_admit(&s, "1700000000.000002", SHOWN_PUSH), 0);
	/* a push seen first, then caught up, then pushed again: the second push still shows */
	assert_int_equal(shown_admit(&s, "1700000000.000001", SHOWN_PUSH), 1);
	shown_free(&s);
}

static void test_once_per_ts(void **state)
{
	struct shown s;

	shown_init(&s, SHOWN_ONCE_PER_TS);
	assert_int_equal(shown_admit(&s, "1700000000.000001", SHOWN_PUSH), 1);
	assert_int_equal(shown_admit(&s, "1700000000.000001", SHOWN_PUSH), 0);
	assert_int_equal(shown_admit(&s, "1700000000.000001", SHOWN_CATCHUP), 0);
	assert_int_equal(shown_admit(&s, "1700000000.000002", SHOWN_CATCHUP), 1);
	assert_int_equal(shown_admit(&s, "1700000000.000002", SHOWN_PUSH), 0);
	shown_free(&s);
}

static void test_many_ts_and_reuse_after_free(void **state)
{
	struct shown s;
	char ts[32];
	int i;

	shown_init(&s, SHOWN_EVERY_PUSH);
	for (i = 0; i < 5000; i++) {
		snprintf(ts, sizeof(ts), "1700000000.%06d", i);
		assert_int_equal(shown_admit(&s, ts, i % 2 ? SHOWN_PUSH : SHOWN_CATCHUP), 1);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(ts, sizeof(ts), "1700000000.%06d", i);
		assert_int_equal(shown_admit(&s, ts, SHOWN_CATCHUP), 0);
		/* pushed first: a second push shows; caught up first: it does not */
		assert_int_equal(shown_admit(&s, ts, SHOWN_PUSH), i % 2 ? 1 : 0);
	}
	assert_int_equal((int)s.n, 5000);
	shown_free(&s);
	assert_int_equal(shown_admit(&s, "1700000000.000001", SHOWN_CATCHUP), 1);
	shown_free(&s);
}

static void test_policy_names(void **state)
{
	assert_int_equal(shown_policy_parse("catchup"), SHOWN_EVERY_PUSH);
	assert_int_equal(shown_policy_parse("all"), SHOWN_ONCE_PER_TS);
	assert_int_equal(shown_policy_parse("off"), -1);
	assert_int_equal(shown_policy_parse(""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_push_is_displayed),
		cmocka_unit_test(test_catchup_of_a_pushed_ts_is_dropped),
		cmocka_unit_test(test_once_per_ts),
		cmocka_unit_test(test_many_ts_and_reuse_after_free),
		cmocka_unit_test(test_policy_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
