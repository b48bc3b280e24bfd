/*
 * chatc_backoff: the retry schedule: ceilings double from base up to cap,
 * every delay lies in [ceiling/2, ceiling], and one seed replays one sequence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../fixtures/chatc/backoff.h"

static void test_ceiling(void **state)
{
	struct backoff b;

	backoff_init(&b, 500, 30000, 1);
	assert_int_equal(backoff_ceiling_ms(&b, 0), 500);
	assert_int_equal(backoff_ceiling_ms(&b, 1), 500);
	assert_int_equal(backoff_ceiling_ms(&b, 2), 1000);
	assert_int_equal(backoff_ceiling_ms(&b, 3), 2000);
	assert_int_equal(backoff_ceiling_ms(&b, 6), 16000);
	assert_int_equal(backoff_ceiling_ms(&b, 7), 30000);
	assert_int_equal(backoff_ceiling_ms(&b, 1000), 30000);
	backoff_init(&b, 50, 20, 1);
	assert_int_equal(backoff_ceiling_ms(&b, 1), 20);
	backoff_init(&b, 0, 100, 1);
	assert_int_equal(backoff_ceiling_ms(&b, 5), 0);
	assert_int_equal(backoff_delay_ms(&b, 5), 0);
}

static void test_bounds_and_spread(void **state)
{
	struct backoff b;
	int k, i, low_half = 0, high_half = 0;

	backoff_init(&b, 100, 5000, 42);
	for (k = 1; k <= 10; k++) {
		long d = backoff_ceiling_ms(&b, k);

		for (i = 0; i < 200; i++) {
			long v = backoff_delay_ms(&b, k);

			assert_true(v >= d / 2);
			assert_true(v <= d);
			if (v < d / 2 + d / 4)
				low_half++;
			else
				high_half++;
		}
	}
	/* the random half really varies */
	assert_true(low_half > 500);
	assert_true(high_half > 500);
}

static void test_seed_determinism(void **state)
{
	struct backoff a, b, c;
	int i, differ = 0;

	backoff_init(&a, 10, 10000, 7);
	backoff_init(&b, 10, 10000, 7);
	backoff_init(&c, 10, 10000, 8);
	for (i = 1; i < 50; i++) {
		long va = backoff_delay_ms(&a, i % 12 + 1);

		assert_int_equal(va, backoff_delay_ms(&b, i % 12 + 1));
		differ += va != backoff_delay_ms(&c, i % 12 + 1);
	}
	assert_true(differ > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ceiling),
		cmocka_unit_test(test_bounds_and_spread),
		cmocka_unit_test(test_seed_determinism),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
