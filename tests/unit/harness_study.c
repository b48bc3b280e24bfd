/*
 * Tests of the detection study's pure parts: the kernel's retransmission
 * model (the limit tcp_retries2 allows and when the connection is really
 * dropped, checked against the figures the kernel's own formula gives), and
 * the generated scenarios: every row's text parses, sends into the dead
 * connection on a timeline, and sets what the row says it sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness/scenario.h"
#include "../../harness/study.h"

static void test_kernel_model(void **state)
{
	(void)state;
	/* tcp_model_timeout(): ((2 << 15... capped: 1023 * 200 ms + 6 * 120 s. */
	assert_true(fabs(study_kernel_limit_ms(15, 200) - 924600.0) < 0.5);
	assert_true(fabs(study_kernel_limit_ms(2, 200) - 1400.0) < 0.5);
	assert_true(fabs(study_kernel_limit_ms(0, 200) - 200.0) < 0.5);
	/* Timer firings at 0.2, 0.6, 1.4, 3.0 s: 3.0 - 0.2 is the first past 1.4 s. */
	assert_true(fabs(study_kernel_give_up_ms(2, 200) - 3000.0) < 0.5);
	/* ... 204.6 s, then 120 s steps: 1044.6 - 0.2 is the first past 924.6 s. */
	assert_true(fabs(study_kernel_give_up_ms(15, 200) - 1044600.0) < 0.5);
	assert_true(study_kernel_give_up_ms(3, 200) > study_kernel_give_up_ms(2, 200));
}

static void test_rows_parse(void **state)
{
	(void)state;
	assert_true(study_detection_nrows >= 6);
	for (size_t i = 0; i < study_detection_nrows; i++) {
		const struct study_row *r = &study_detection_rows[i];
		char *text = study_detection_scenario(r), err[512] = "", want[96];
		struct scenario *s = NULL;

		assert_non_null(text);
		if (scenario_parse_string(r->name, text, &s, err, sizeof err) != 0)
			fail_msg("%s: %s", r->name, err);
		assert_string_equal(s->name, r->name);
		assert_true(s->nmsgs > 10);
		snprintf(want, sizeof want, "net.ipv4.tcp_retries2=%d", r->retries2);
		assert_non_null(strstr(text, want));
		snprintf(want, sizeof want, "heartbeat-ms %ld tcp-user-timeout-ms %ld tcp-keepalive-ms %ld",
			 r->heartbeat_ms, r->user_timeout_ms, r->keepalive_ms);
		assert_non_null(strstr(text, want));
		assert_non_null(strstr(text, "fault evict-nat client server"));
		assert_true(!r->idle || strstr(text, "\nwait "));
		scenario_free(s);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_model),
		cmocka_unit_test(test_rows_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
