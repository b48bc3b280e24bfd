/*
 * Tests of the matrix's default -j: it follows the cores this process may
 * run on (pinned to one core, at most MATRIX_JOBS_PER_CORE cells), stays
 * within 1..MATRIX_MAX_JOBS, and says how it was reached.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness/matrix.h"

static void test_default_follows_the_cores(void **state)
{
	cpu_set_t all, one;
	char why[256] = "", want[32];
	int jobs, pinned, cpu = 0;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
	jobs = matrix_default_jobs(why, sizeof why);
	assert_true(jobs >= 1 && jobs <= MATRIX_MAX_JOBS);
	assert_true(jobs <= CPU_COUNT(&all) * MATRIX_JOBS_PER_CORE);
	snprintf(want, sizeof want, "%d (%d core", jobs, CPU_COUNT(&all));
	assert_true(strncmp(why, want, strlen(want)) == 0);

	while (!CPU_ISSET(cpu, &all))
		cpu++;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
	pinned = matrix_default_jobs(why, sizeof why);
	assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
	assert_true(pinned >= 1 && pinned <= MATRIX_JOBS_PER_CORE);
	assert_non_null(strstr(why, "(1 core,"));
	assert_int_equal(matrix_default_jobs(NULL, 0), jobs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_follows_the_cores),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
